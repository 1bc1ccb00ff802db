//! A plan long enough to interrupt, kill or hold a bench with: shared by the CLI and
//! results tests.

use std::path::{Path, PathBuf};

/// A plan that charges slowly for 90 virtual hours, with its DUT profile beside it in
/// `dir`: a run long enough to interrupt or kill while the output is on.
pub fn soak_plan(dir: &Path) -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::fs::create_dir_all(dir.join("duts")).unwrap();
    std::fs::copy(
        repo.join("testplans/duts/lesso_lsrr51v100ah.yaml"),
        dir.join("duts/lesso_lsrr51v100ah.yaml"),
    )
    .unwrap();
    let plan = dir.join("soak.yaml");
    std::fs::write(
        &plan,
        "id: soak\ntitle: a long soak\ndut: lesso_lsrr51v100ah\ntimeout: 100 h\nsteps:\n  - name: charge slowly\n    source: { charge: { current: 1 A, to: 54 V }, output: on }\n    expect:\n      - name: no COCP at 1 A\n        that: not bms.protection_charge_overcurrent\n        for: 90 h\n",
    )
    .unwrap();
    plan
}
