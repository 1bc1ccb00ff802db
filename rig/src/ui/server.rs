//! The live page's HTTP server (axum): `/` the page, `/plans` the plans' outlines,
//! `/events` the feed as server-sent events (history first, then live), and `/abort`
//! (POST) the stop. With a token, every request must carry it (`?token=` or
//! `Authorization: Bearer`).

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use futures::{Stream, StreamExt};
use tokio::sync::broadcast::error::RecvError;

use super::feed::Feed;
use crate::stop::{self, StopReason};

/// The page: plain HTML and JavaScript, built into the binary.
const PAGE: &str = include_str!("page.html");

/// The header a POST to `/abort` must carry. A page of another site cannot send it
/// without a CORS preflight, which this server never grants, so no other site open in
/// the operator's browser can stop a run.
pub const ABORT_HEADER: &str = "x-rig-abort";

#[derive(Clone)]
pub struct Shared {
    pub feed: Feed,
    /// `/plans`, serialised once: the plans do not change during a run.
    pub plans: Arc<str>,
    pub token: Option<Arc<str>>,
}

pub fn router(shared: Shared) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/plans", get(plans))
        .route("/events", get(events))
        .route("/abort", post(abort))
        .layer(middleware::from_fn_with_state(shared.clone(), authorise))
        .with_state(shared)
}

async fn page() -> Html<&'static str> {
    Html(PAGE)
}

async fn plans(State(s): State<Shared>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        s.plans.to_string(),
    )
        .into_response()
}

/// The feed so far, then every message as it comes. A browser that falls too far
/// behind is dropped; its `EventSource` reconnects and gets the history again.
async fn events(State(s): State<Shared>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (history, live) = s.feed.subscribe();
    let past = futures::stream::iter(history).map(|m| Ok(Event::default().data(&*m)));
    let live = futures::stream::unfold(live, |mut live| async move {
        match live.recv().await {
            Ok(m) => Some((Ok(Event::default().data(&*m)), live)),
            Err(RecvError::Lagged(_) | RecvError::Closed) => None,
        }
    });
    Sse::new(past.chain(live)).keep_alive(KeepAlive::default())
}

/// The Abort button: the same stop request as SIGINT, so the run takes the same path
/// to the safe state and exits 2.
async fn abort(headers: HeaderMap) -> Response {
    if !headers.contains_key(ABORT_HEADER) {
        let text = format!("an abort must carry the header {ABORT_HEADER}\n");
        return (StatusCode::FORBIDDEN, text).into_response();
    }
    say_aborted();
    stop::request(StopReason::Abort);
    (
        StatusCode::ACCEPTED,
        "stopping: every instrument goes to its safe state\n",
    )
        .into_response()
}

/// What the operator at the terminal sees, as for a signal; a closed stderr is no
/// reason to fail.
fn say_aborted() {
    use std::io::Write;
    let text = if stop::requests() == 0 {
        "abort from the live page: stopping; every instrument goes to its safe state\n"
    } else {
        "abort from the live page: hurrying the teardown (safe states are still sent)\n"
    };
    let _ = std::io::stderr().write_all(text.as_bytes());
}

async fn authorise(State(s): State<Shared>, request: Request, next: Next) -> Response {
    let Some(token) = &s.token else {
        return next.run(request).await;
    };
    let given = bearer(request.headers()).or_else(|| query_token(request.uri().query()));
    if given.is_some_and(|g| same(g.as_bytes(), token.as_bytes())) {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            "this page needs its token (?token=...)\n",
        )
            .into_response()
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
}

/// `token=...` of a query string. Tokens are printed by the operator's own choice;
/// `%` escapes are not decoded, so a token should be URL-safe (the docs say so).
fn query_token(query: Option<&str>) -> Option<&str> {
    query?.split('&').find_map(|kv| kv.strip_prefix("token="))
}

/// Equality in time independent of where the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_comes_from_the_query_or_the_header() {
        assert_eq!(query_token(Some("a=1&token=xyz")), Some("xyz"));
        assert_eq!(query_token(Some("a=1")), None);
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, "Bearer xyz".parse().unwrap());
        assert_eq!(bearer(&h), Some("xyz"));
        assert!(same(b"xyz", b"xyz"));
        assert!(!same(b"xyz", b"xyw"));
        assert!(!same(b"xyz", b"xy"));
    }
}
