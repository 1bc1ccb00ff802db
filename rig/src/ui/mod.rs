//! `rig run --ui`: a live web page of the run. The event-log writer tees the lines the
//! page shows into a [`Feed`]; a small server on a thread of its own (its own runtime,
//! wall time, whatever clock the plans run on) serves the page, the plans' outlines and
//! the feed as server-sent events, and turns the page's Abort button into the same
//! stop request as SIGINT. The page reads nothing from the instruments: what it shows
//! is what the log says.
//!
//! Bound to loopback by default; any other address only with an access token, which
//! every request must then carry.

mod feed;
mod outline;
mod server;

use std::net::SocketAddr;
use std::sync::Arc;

pub use feed::Feed;
pub use outline::PlanOutline;
pub use server::ABORT_HEADER;

/// Where and how to serve the page.
#[derive(Clone, Debug)]
pub struct UiOptions {
    pub addr: SocketAddr,
    pub token: Option<String>,
}

impl UiOptions {
    /// Refuse a page anyone on the network could open and abort the run from.
    pub fn check(&self) -> Result<(), String> {
        if let Some(t) = &self.token
            && (t.len() < 8
                || !t
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b)))
        {
            return Err(
                "--ui-token must be at least 8 characters of A-Z, a-z, 0-9, `-`, `_`, `.`, `~` (it goes into the page's URL)"
                    .into(),
            );
        }
        if !self.addr.ip().is_loopback() && self.token.is_none() {
            return Err(format!(
                "--ui {} is reachable from other machines: give --ui-token TOKEN too (every request must carry it), or bind to 127.0.0.1",
                self.addr
            ));
        }
        Ok(())
    }
}

/// Bind the address and serve the page for the rest of the process, on a thread of its
/// own. Returns the page's URL (with the token, when there is one).
pub fn start(options: &UiOptions, feed: Feed, plans: &[PlanOutline]) -> std::io::Result<String> {
    let listener = std::net::TcpListener::bind(options.addr)?;
    listener.set_nonblocking(true)?;
    let bound = listener.local_addr()?;
    let shared = server::Shared {
        feed,
        plans: serde_json::to_string(plans)
            .map_err(std::io::Error::other)?
            .into(),
        token: options.token.as_deref().map(Arc::from),
    };
    std::thread::Builder::new()
        .name("rig-ui".into())
        .spawn(move || serve(listener, shared))?;
    let host = if bound.ip().is_unspecified() {
        // 0.0.0.0 is no address a browser can open; loopback reaches it from here.
        SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), bound.port())
    } else {
        bound
    };
    Ok(match &options.token {
        Some(t) => format!("http://{host}/?token={t}"),
        None => format!("http://{host}/"),
    })
}

/// The server's thread: a runtime of its own, so a plan's paused clock never touches it.
fn serve(listener: std::net::TcpListener, shared: server::Shared) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            crate::cli::out::errln!("error: the live page cannot run: {e}");
            return;
        }
    };
    runtime.block_on(async move {
        let served = match tokio::net::TcpListener::from_std(listener) {
            Ok(l) => axum::serve(l, server::router(shared)).await,
            Err(e) => Err(e),
        };
        if let Err(e) = served {
            crate::cli::out::errln!("error: the live page stopped: {e}");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(addr: &str, token: Option<&str>) -> UiOptions {
        UiOptions {
            addr: addr.parse().unwrap(),
            token: token.map(String::from),
        }
    }

    #[test]
    fn only_loopback_goes_without_a_token() {
        assert!(options("127.0.0.1:0", None).check().is_ok());
        assert!(options("[::1]:8080", None).check().is_ok());
        let open = options("0.0.0.0:8080", None).check().unwrap_err();
        assert!(open.contains("--ui-token"), "{open}");
        assert!(
            options("0.0.0.0:8080", Some("s3cret-token"))
                .check()
                .is_ok()
        );
    }

    #[test]
    fn a_token_is_long_and_url_safe() {
        assert!(options("0.0.0.0:0", Some("short")).check().is_err());
        assert!(options("0.0.0.0:0", Some("has a space")).check().is_err());
        assert!(options("0.0.0.0:0", Some("a&token=x")).check().is_err());
    }

    #[test]
    fn the_url_carries_the_token() {
        let url = start(
            &options("127.0.0.1:0", Some("s3cret-token")),
            Feed::default(),
            &[],
        )
        .unwrap();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        assert!(url.ends_with("/?token=s3cret-token"), "{url}");
    }
}
