//! Stopping the rig from outside a plan: SIGINT, SIGTERM, SIGHUP and SIGQUIT, listened to from the start
//! of the process to its end, and the rig's own reasons (a panic outside a plan, a
//! closed stdout).
//!
//! A stop is a level, not an edge: once requested it stays requested, and every request
//! is counted. Whoever looks later sees it: a plan that has not started yet does not
//! start, a connect stops between instruments, a step loop ends, and a teardown that
//! sees a further request skips its reconnects (it never skips a safe state). Every
//! plan's runtime can wait for it, since a [`tokio::sync::watch`] channel does not
//! belong to any runtime.
//!
//! One thread of the process listens for the signals ([`install`], called before
//! anything else in `main`). Listening replaces the default "die at once", which would
//! leave a source energised.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::watch;

/// Why the rig was asked to stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// `SIGINT`, `SIGTERM`, `SIGHUP` or `SIGQUIT` (Ctrl-C on other systems).
    Signal(&'static str),
    /// The rig panicked outside a plan (the CLI, between plans, a report).
    Panic,
    /// Whoever read the rig's standard output has gone (`rig run | head`).
    OutputClosed,
    /// The Abort button of the live page (`rig run --ui`).
    Abort,
}

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopReason::Signal(name) => f.write_str(name),
            StopReason::Panic => f.write_str("a panic of the rig"),
            StopReason::OutputClosed => f.write_str("the closing of the rig's standard output"),
            StopReason::Abort => f.write_str("the Abort button of the live page"),
        }
    }
}

/// Every stop request so far: the first and the latest one's reason, and how many
/// there were.
#[derive(Clone, Copy, Debug, Default)]
struct Requests {
    first: Option<StopReason>,
    latest: Option<StopReason>,
    count: u32,
}

static REQUESTS: LazyLock<watch::Sender<Requests>> =
    LazyLock::new(|| watch::Sender::new(Requests::default()));

/// Set by commands that hold no instrument: a signal ends them at once.
static EXIT_AT_ONCE: AtomicBool = AtomicBool::new(false);

/// Ask the rig to stop (again).
pub fn request(reason: StopReason) {
    REQUESTS.send_modify(|r| {
        r.first.get_or_insert(reason);
        r.latest = Some(reason);
        r.count = r.count.saturating_add(1);
    });
    if EXIT_AT_ONCE.load(Ordering::SeqCst) {
        std::process::exit(crate::exit::RIG_ERROR);
    }
}

/// The first reason a stop was requested for, if one was.
pub fn requested() -> Option<StopReason> {
    REQUESTS.borrow().first
}

/// How many stop requests there have been.
pub fn requests() -> u32 {
    REQUESTS.borrow().count
}

/// Resolves when a stop has been requested: at once if one already was.
pub async fn wait() -> StopReason {
    wait_beyond(0).await
}

/// Resolves when there have been more than `seen` stop requests (a second Ctrl-C during
/// a teardown), with the latest request's reason.
pub async fn wait_beyond(seen: u32) -> StopReason {
    let mut rx = REQUESTS.subscribe();
    match rx.wait_for(|r| r.count > seen).await {
        Ok(r) => r.latest.unwrap_or(StopReason::Panic),
        // The sender is a static: it is never dropped.
        Err(_) => std::future::pending().await,
    }
}

/// For commands that hold no instrument (list, validate, report, ...): a signal ends the
/// process at once with [`crate::exit::RIG_ERROR`], as if nothing listened.
pub fn exit_at_once() {
    EXIT_AT_ONCE.store(true, Ordering::SeqCst);
    if requested().is_some() {
        std::process::exit(crate::exit::RIG_ERROR);
    }
}

/// Listen for SIGINT, SIGTERM, SIGHUP and SIGQUIT for the rest of the process, on a thread of its own.
/// Returns once the handlers are installed; a second call does nothing.
pub fn install() -> std::io::Result<()> {
    static INSTALLED: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    INSTALLED
        .get_or_init(|| spawn_listener().map_err(|e| e.to_string()))
        .clone()
        .map_err(std::io::Error::other)
}

fn spawn_listener() -> std::io::Result<()> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("rig-signals".into())
        .spawn(move || listen(ready_tx))?;
    ready_rx
        .recv()
        .map_err(|_| std::io::Error::other("the signal listener ended before it listened"))?
}

/// The listener thread: a small runtime of its own that turns each signal into a
/// request, for as long as the process lives.
fn listen(ready: std::sync::mpsc::Sender<std::io::Result<()>>) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    runtime.block_on(async move {
        let mut signals = match Signals::new() {
            Ok(s) => s,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let _ = ready.send(Ok(()));
        while let Some(name) = signals.next().await {
            say_received(name);
            request(StopReason::Signal(name));
        }
    });
}

/// What the operator sees when a signal arrives; a closed stderr is no reason to fail.
fn say_received(name: &str) {
    use std::io::Write;
    let text = if requests() == 0 {
        format!(
            "{name}: stopping; every instrument goes to its safe state (again to skip reconnects)\n"
        )
    } else {
        format!("{name}: hurrying the teardown (safe states are still sent)\n")
    };
    let _ = std::io::stderr().write_all(text.as_bytes());
}

#[cfg(unix)]
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
    // A closed terminal or a dropped SSH session (SIGHUP) and Ctrl-\ (SIGQUIT) would
    // otherwise end the process at once, with the source still on.
    hup: tokio::signal::unix::Signal,
    quit: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
            hup: signal(SignalKind::hangup())?,
            quit: signal(SignalKind::quit())?,
        })
    }

    async fn next(&mut self) -> Option<&'static str> {
        tokio::select! {
            biased;
            Some(()) = self.int.recv() => Some("SIGINT"),
            Some(()) = self.term.recv() => Some("SIGTERM"),
            Some(()) = self.hup.recv() => Some("SIGHUP"),
            Some(()) = self.quit.recv() => Some("SIGQUIT"),
            else => None,
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        Ok(Signals)
    }

    async fn next(&mut self) -> Option<&'static str> {
        tokio::signal::ctrl_c().await.ok().map(|()| "Ctrl-C")
    }
}
