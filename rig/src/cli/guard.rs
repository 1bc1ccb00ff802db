//! The top-level guard: whatever panics, wherever (a plan, the CLI between plans, a
//! report), the process ends with exit code 2 and no instrument is left energised.
//!
//! A plan guards itself: each phase of its run catches a panic and still puts every
//! connected instrument into its safe state (`runner/run.rs`). Outside a plan nothing
//! is connected, but plans may be running on other threads: the panic hook asks them
//! to stop (as a signal would), so they tear down before the process ends. The hook
//! also remembers that a panic happened, so no exit code and no summary says pass.

use std::any::Any;
use std::panic::{AssertUnwindSafe, PanicHookInfo};
use std::sync::atomic::{AtomicBool, Ordering};

use super::out::errln;
use crate::exit;
use crate::stop::{self, StopReason};

static PANICKED: AtomicBool = AtomicBool::new(false);

/// Whether anything in the process has panicked (even if it was caught).
pub fn panicked() -> bool {
    PANICKED.load(Ordering::SeqCst)
}

/// Remember every panic; outside a plan, stop the plans that run. A panic that is only
/// a closed stdout (libtest-mimic's progress lines after `rig run | head`) is quiet: the
/// reader has gone, there is no one to tell.
pub fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info: &PanicHookInfo<'_>| {
        PANICKED.store(true, Ordering::SeqCst);
        let closed_output = is_broken_pipe(info.payload());
        if !crate::runner::on_plan_thread() {
            stop::request(if closed_output {
                StopReason::OutputClosed
            } else {
                StopReason::Panic
            });
        }
        if !closed_output {
            default(info);
        }
    }));
}

/// `unwrap()` on a write to a closed pipe: its message names the error kind.
fn is_broken_pipe(payload: &(dyn Any + Send)) -> bool {
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or_default();
    text.contains("BrokenPipe") || text.contains("Broken pipe")
}

/// Run the command; a panic that reaches here is exit code 2, and so is a run in which
/// anything panicked.
pub fn run(command: impl FnOnce() -> i32) -> i32 {
    let code = match std::panic::catch_unwind(AssertUnwindSafe(command)) {
        Ok(code) => code,
        Err(payload) => {
            if !is_broken_pipe(payload.as_ref()) {
                errln!("error: the rig panicked; exit code {}", exit::RIG_ERROR);
            }
            exit::RIG_ERROR
        }
    };
    if panicked() && code != exit::RIG_ERROR {
        return exit::RIG_ERROR;
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_to_a_closed_pipe_is_recognised() {
        let err = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let unwrapped = format!("called `Result::unwrap()` on an `Err` value: {err:?}");
        assert!(is_broken_pipe(&unwrapped));
        assert!(is_broken_pipe(
            &"failed printing to stdout: Broken pipe (os error 32)"
        ));
        assert!(!is_broken_pipe(&"index out of bounds"));
        assert!(!is_broken_pipe(&42_u8));
    }
}
