//! The lab's options of `rig run`: where results go, the firmware label, and what to
//! do when the bench is in use.

use crate::results::session::Options;

#[derive(Debug, Default, clap::Args)]
pub struct LabArgs {
    /// Results database: `postgres://user@host/db` (a lab's; it also reserves benches
    /// across stations), a SQLite file, or `none`. Default: `$RIG_RESULTS`, else the lab
    /// file's `results:` (`$RIG_LAB`, else /etc/rig/lab.yaml), else `rig.db` in the
    /// folder that holds the run folder.
    #[arg(long, value_name = "URL")]
    pub results: Option<String>,
    /// The firmware on the pack, as the history and gates should know it (e.g.
    /// `1.4.2`); without it, what the pack reports over RS485 (0x96), if anything.
    #[arg(long, value_name = "VERSION")]
    pub firmware_label: Option<String>,
    /// If another run holds the bench, wait for it instead of refusing at once.
    #[arg(long)]
    pub wait_bench: bool,
}

impl LabArgs {
    pub fn options(&self) -> Options {
        Options {
            results: self.results.clone(),
            firmware_label: self.firmware_label.clone(),
            wait_bench: self.wait_bench,
        }
    }
}
