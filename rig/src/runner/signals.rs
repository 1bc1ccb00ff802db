//! SIGINT and SIGTERM: the running plan ends with verdict error and still goes through
//! the safe state; plans that have not started yet do not start. Listening replaces
//! the default "die at once", which would leave a source energised.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Whether a signal asked the rig to stop.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Resolves with the signal's name when SIGINT or SIGTERM arrives (never, if the
/// handlers cannot be installed).
pub async fn stop_requested() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let (Ok(mut int), Ok(mut term)) = (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) else {
            return std::future::pending().await;
        };
        let name = tokio::select! {
            biased;
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        };
        INTERRUPTED.store(true, Ordering::SeqCst);
        name
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        INTERRUPTED.store(true, Ordering::SeqCst);
        "Ctrl-C"
    }
}
