//! A lab's memory: every run's results in a database (SQLite beside the run folders by
//! default, PostgreSQL for a lab), history and trends of measurements, firmware gating,
//! and the bench reservation that keeps two runs off one bench. See docs/results.md.
//!
//! The run's event logs stay the record: results are rows read from a run folder
//! ([`folder::read_run`]) after its plans end, written by [`store::Store`]; `rig results
//! import` does the same for any folder. A failure to write results never fails a run.

pub mod folder;
pub mod gate;
pub mod gate_report;
pub mod history;
pub mod info;
pub mod lock;
pub mod log;
pub mod pack_id;
pub mod pg_lock;
pub mod rows;
pub mod session;
pub mod store;
pub mod target;
pub mod wallclock;

pub use rows::RunRows;
pub use store::{Store, StoreError};
pub use target::Target;

#[derive(Debug, thiserror::Error)]
pub enum ResultsError {
    #[error(transparent)]
    Folder(#[from] folder::FolderError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot start the runtime for the results database")]
    Runtime(#[source] std::io::Error),
}

/// Read a run folder and write its rows; returns them.
pub fn record_run(dir: &std::path::Path, target: &Target) -> Result<RunRows, ResultsError> {
    let rows = folder::read_run(dir)?;
    block_on(async {
        let store = Store::open(target).await?;
        let written = store.write_run(&rows).await;
        store.close().await;
        written
    })??;
    Ok(rows)
}

/// Run database work to completion on a runtime of its own (the CLI is synchronous).
pub fn block_on<F: std::future::Future>(future: F) -> Result<F::Output, ResultsError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(ResultsError::Runtime)?;
    Ok(runtime.block_on(future))
}

/// FNV-1a 64 of a text: stable ids and lock keys (not security).
pub fn fingerprint(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// [`fingerprint`] as 16 hex digits, as plan hashes are written.
pub fn fingerprint_hex(text: &str) -> String {
    format!("{:016x}", fingerprint(text))
}

/// An error and its causes on one line each, for stderr.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(&format!("\n  caused by: {s}"));
        source = s.source();
    }
    text
}
