//! TCP connections to instruments (SCPI raw sockets, later Modbus TCP and socketcand).
//!
//! Only for real mode: the virtual bench runs on a paused clock, where socket I/O and
//! timeouts do not mix, so it uses in-memory pipes instead.

use std::fmt;
use std::io;
use std::time::Duration;

use tokio::net::TcpStream;

/// Opens a TCP connection, giving up after `timeout`.
///
/// Nagle is switched off because every exchange is a short command followed by a
/// wait for its answer.
pub async fn connect_tcp(
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<TcpStream, TransportError> {
    let error = |kind| TransportError {
        endpoint: endpoint(host, port),
        kind,
    };
    let stream = tokio::time::timeout(timeout, TcpStream::connect((host, port)))
        .await
        .map_err(|_elapsed| error(TransportErrorKind::Timeout { after: timeout }))?
        .map_err(|source| error(TransportErrorKind::Connect(source)))?;
    stream
        .set_nodelay(true)
        .map_err(|source| error(TransportErrorKind::Connect(source)))?;
    Ok(stream)
}

/// `host:port`, with an IPv6 address in brackets.
fn endpoint(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// A connection could not be opened.
///
/// Display and `source` are written by hand so that the message names the endpoint and
/// what went wrong, while the OS error stays a separate link of the cause chain instead
/// of being printed twice.
#[derive(Debug)]
pub struct TransportError {
    /// `host:port` as dialled.
    pub endpoint: String,
    pub kind: TransportErrorKind,
}

#[derive(Debug, thiserror::Error)]
pub enum TransportErrorKind {
    #[error("no connection within {after:?}")]
    Timeout { after: Duration },
    #[error("connection failed")]
    Connect(#[source] io::Error),
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot connect to {}: {}", self.endpoint, self.kind)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.kind)
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;

    use super::*;

    #[tokio::test]
    async fn connects_to_a_listening_port() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let stream = connect_tcp("127.0.0.1", port, Duration::from_secs(5)).await;
        assert!(stream.is_ok(), "{stream:?}");
    }

    #[tokio::test]
    async fn a_refused_connection_names_the_endpoint_and_keeps_the_cause() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let err = connect_tcp("127.0.0.1", port, Duration::from_secs(5))
            .await
            .unwrap_err();
        assert!(matches!(err.kind, TransportErrorKind::Connect(_)));
        assert_eq!(
            err.to_string(),
            format!("cannot connect to 127.0.0.1:{port}: connection failed")
        );
        assert!(err.source().is_some());
    }

    #[test]
    fn ipv6_endpoints_are_bracketed() {
        assert_eq!(endpoint("::1", 5025), "[::1]:5025");
        assert_eq!(endpoint("bench-psu", 5025), "bench-psu:5025");
    }
}
