//! A small Chrome DevTools Protocol client over tokio-tungstenite: commands by id,
//! one page session (flattened), and every JavaScript dialog (the Abort button's
//! confirm) accepted as it opens. Hand-written: the test needs four commands, and the
//! CDP crates bring a whole browser-management layer with them.

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

pub struct Cdp {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    session: Option<String>,
}

impl Cdp {
    pub async fn connect(url: &str) -> Result<Cdp, String> {
        let (ws, _) = connect_async(url)
            .await
            .map_err(|e| format!("cannot open the DevTools websocket {url}: {e}"))?;
        Ok(Cdp {
            ws,
            next_id: 1,
            session: None,
        })
    }

    /// Open `url` in a new tab and talk to that tab from now on.
    pub async fn open(&mut self, url: &str) -> Result<(), String> {
        let target = self
            .call("Target.createTarget", json!({ "url": url }))
            .await?;
        let id = target["targetId"].clone();
        let attached = self
            .call(
                "Target.attachToTarget",
                json!({ "targetId": id, "flatten": true }),
            )
            .await?;
        let session = attached["sessionId"]
            .as_str()
            .ok_or("attachToTarget gave no session")?;
        self.session = Some(session.to_string());
        self.call("Page.enable", json!({})).await?;
        Ok(())
    }

    /// The value of a JavaScript expression in the tab (awaited if it is a promise).
    pub async fn eval(&mut self, expression: &str) -> Result<Value, String> {
        let r = self
            .call(
                "Runtime.evaluate",
                json!({ "expression": expression, "returnByValue": true, "awaitPromise": true }),
            )
            .await?;
        if let Some(e) = r.get("exceptionDetails") {
            return Err(format!("the page threw: {e}"));
        }
        Ok(r["result"]["value"].clone())
    }

    /// A PNG of the tab, the whole page rather than the window, written to `path`.
    pub async fn screenshot(&mut self, path: &std::path::Path) -> Result<(), String> {
        use base64::Engine;
        let shot = self
            .call(
                "Page.captureScreenshot",
                json!({ "format": "png", "captureBeyondViewport": true }),
            )
            .await?;
        let data = shot["data"]
            .as_str()
            .ok_or("captureScreenshot gave no data")?;
        let png = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|e| e.to_string())?;
        std::fs::write(path, png).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// Wait until the tab's document has loaded.
    pub async fn loaded(&mut self) -> Result<(), String> {
        for _ in 0..600 {
            if self.eval("document.readyState").await? == "complete" {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Err("the page never finished loading".into())
    }

    /// Send a command and wait for its answer, accepting dialogs meanwhile.
    pub async fn call(&mut self, method: &str, params: Value) -> Result<Value, String> {
        let id = self.send(method, params).await?;
        loop {
            let message = match self.ws.next().await {
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(format!("websocket: {e}")),
                None => return Err("the browser closed the websocket".into()),
            };
            let v: Value = serde_json::from_str(message.as_str()).map_err(|e| e.to_string())?;
            if v["method"] == "Page.javascriptDialogOpening" {
                self.send("Page.handleJavaScriptDialog", json!({ "accept": true }))
                    .await?;
            } else if v["id"] == id {
                return match v.get("error") {
                    Some(e) => Err(format!("{method}: {e}")),
                    None => Ok(v["result"].clone()),
                };
            }
        }
    }

    async fn send(&mut self, method: &str, params: Value) -> Result<u64, String> {
        let id = self.next_id;
        self.next_id += 1;
        let mut command = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = &self.session {
            command["sessionId"] = json!(s);
        }
        self.ws
            .send(Message::Text(command.to_string().into()))
            .await
            .map_err(|e| format!("websocket: {e}"))?;
        Ok(id)
    }
}
