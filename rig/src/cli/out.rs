//! Writing to stdout and stderr without panicking. `println!` panics when the reader
//! has gone (`rig list | head -1` closes the pipe after one line); here a closed
//! stdout only ends the output, and the command goes on to its own exit code. A closed
//! stderr is ignored: no instrument waits on a message.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout and flushes it; after the reader has gone, nothing.
pub fn out(text: std::fmt::Arguments<'_>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut stdout = std::io::stdout().lock();
    if stdout
        .write_fmt(text)
        .and_then(|()| stdout.flush())
        .is_err()
    {
        // Broken pipe or any other failure: the reader cannot be reached any more.
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Writes `text` to stderr, ignoring a closed stderr.
pub fn err(text: std::fmt::Arguments<'_>) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_fmt(text).and_then(|()| stderr.flush());
}

/// `println!` that never panics (see [`out`]).
macro_rules! outln {
    () => { $crate::cli::out::out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::out::out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` that never panics.
macro_rules! outp {
    ($($arg:tt)*) => { $crate::cli::out::out(format_args!($($arg)*)) };
}

/// `eprintln!` that never panics.
macro_rules! errln {
    () => { $crate::cli::out::err(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::cli::out::err(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {errln, outln, outp};
