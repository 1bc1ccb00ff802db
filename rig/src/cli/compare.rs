//! `rig compare BASELINE CANDIDATE`: gate a run (a new firmware) against the last good
//! one. Exit code 0 if nothing regressed, 1 if something did, 3 if a run folder cannot
//! be read.

use super::out::{errln, outp};
use rig_reports::compare::{Listing, compare as compare_runs, render_listing};
use rig_reports::run::RunData;

use super::CompareArgs;
use crate::exit;

pub fn compare(args: CompareArgs) -> i32 {
    if !(args.tolerance.is_finite() && args.tolerance >= 0.0) {
        errln!("error: --tolerance must be a percentage of 0 or more");
        return exit::INVALID_INPUT;
    }
    let load = |dir: &std::path::Path| {
        RunData::load(dir).map_err(|e| {
            errln!("error: {e}");
            exit::INVALID_INPUT
        })
    };
    let (baseline, candidate) = match (load(&args.baseline), load(&args.candidate)) {
        (Ok(b), Ok(c)) => (b, c),
        (Err(code), _) | (_, Err(code)) => return code,
    };
    let cmp = compare_runs(&baseline, &candidate, args.tolerance);
    outp!(
        "{}",
        render_listing(
            &cmp,
            &args.baseline.display().to_string(),
            &args.candidate.display().to_string(),
            if args.all {
                Listing::All
            } else {
                Listing::Changed
            }
        )
    );
    if cmp.regressed() {
        exit::DUT_FAILED
    } else {
        exit::PASSED
    }
}
