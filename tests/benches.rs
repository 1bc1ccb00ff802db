//! The example benches in `testplans/benches/`: each parses, and every plan validates
//! on it unchanged, except where the bench's own ratings refuse a set point, the plan
//! needs an instrument (a thermal chamber, the pack's RS485 or RS232) the bench lacks, or the
//! bench's source is an electronic load and the plan charges the pack. A plan that needs
//! packs in parallel validates on a lab bench wired to one pack, and is skipped there.

use libtest_mimic::{Failed, Trial};
use rig::bench::Bench;
use rig::plan::load_plan;

use crate::support;

/// (bench file, plan file): refused because the bench's source is rated lower than the
/// plan's set points; the message must say so. Each trips DOCP, above the 100 A the lab's
/// source is rated for.
const REFUSED: &[(&str, &str)] = &[
    ("lab_chroma.yaml", "docp_peak_discharge.yaml"),
    ("lab_chroma.yaml", "led_protection_rows.yaml"),
    ("lab_chroma.yaml", "led_protection_rows_losun.yaml"),
];

pub fn trials() -> Vec<Trial> {
    let dir = support::repo().join("testplans/benches");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|path| {
            let name = support::stem(&path);
            Trial::test(
                format!("bench::{name}::runs_every_plan_unchanged"),
                move || check(&path),
            )
        })
        .collect()
}

fn check(path: &std::path::Path) -> Result<(), Failed> {
    let bench = Bench::load(path).map_err(|p| Failed::from(format!("{p}")))?;
    let file = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    for plan in support::plan_files() {
        let plan_file = plan
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        let refused = REFUSED.contains(&(file, plan_file.as_str()));
        // On a discharge-only bench (an electronic load as the source), a plan that
        // charges or sets a voltage is refused, every reason naming the load.
        let load_bench = bench
            .instruments
            .values()
            .any(|i| i.driver == rig::bench::Driver::ScpiLoad);
        let load_refusal = |line: &str| {
            load_bench
                && (line.contains("electronic load")
                    || line.contains("the rating of the bench's source"))
        };
        // Plans that need an instrument this bench does not have (a chamber, the pack's
        // RS485 or RS232): refused before anything is connected, every reason naming it.
        let lacks = |line: &str| {
            ["chamber", "rs485", "rs232"]
                .iter()
                .any(|i| !bench.instruments.contains_key(*i) && line.contains(i))
        };
        match (load_plan(&plan, &bench), refused) {
            (Ok(p), false) => {
                let skip = rig::runner::skip_reason(&p, &bench);
                let wanted = (p.packs > 1 && !bench.is_virtual()).then(|| {
                    format!(
                        "needs {} packs in parallel; bench {} has 1",
                        p.packs, bench.name
                    )
                });
                if skip != wanted {
                    return Err(format!(
                        "{plan_file} on {file}: skipped {skip:?}, expected {wanted:?}"
                    )
                    .into());
                }
            }
            (Err(p), false)
                if p.iter()
                    .all(|x| lacks(&x.one_line()) || load_refusal(&x.one_line())) => {}
            (Err(p), true)
                if p.iter()
                    .all(|x| x.one_line().contains("the rating of the bench's source")) => {}
            (Err(p), _) => return Err(format!("{plan_file} on {file}: {p}").into()),
            (Ok(_), true) => {
                return Err(
                    format!("{plan_file} should be refused on {file} (source rating)").into(),
                );
            }
        }
    }
    Ok(())
}
