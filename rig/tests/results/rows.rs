//! The rows of a run: the live write at the end of `rig run` and `rig results import`
//! of the same folder agree; a folder from before `run.json`, and a killed run's,
//! import what they hold.

use rig::results::Target;
use rig::results::log::KILLED;

use super::common::{Lab, labs, read_rows, run_id, sigkill, soak_plan, text, wait_for};

/// Two quick plans of the suite on the virtual bench, labelled firmware 1.4.2.
fn live_run(lab: &Lab, out: &str) -> String {
    let out = lab.path(out);
    let o = lab.rig(&[
        "run",
        "testplans/rs485_monitoring.yaml",
        "testplans/cocp_lockout.yaml",
        "--out",
        out.to_str().unwrap(),
        "--results",
        &lab.results,
        "--firmware-label",
        "1.4.2",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}: {}", lab.name, text(&o));
    run_id(&o)
}

fn import(lab: &Lab, dir: &str, results: &str) -> String {
    let o = lab.rig(&[
        "results",
        "import",
        lab.path(dir).to_str().unwrap(),
        "--results",
        results,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}: {}", lab.name, text(&o));
    text(&o)
}

#[test]
fn import_gives_the_same_rows_as_the_live_write() {
    for lab in labs("import_gives_the_same_rows_as_the_live_write") {
        let id = live_run(&lab, "runs/live");
        let live = lab.rows(&id).expect("rig run wrote the run");
        assert_eq!(live.run.firmware_label.as_deref(), Some("1.4.2"));
        assert_eq!(live.run.verdict, "pass");
        assert_eq!(live.run.exit_code, Some(0));
        assert!(live.run.station.is_some() && live.run.finished_unix.is_some());
        let ids: Vec<&str> = live.plans.iter().map(|p| p.plan.plan_id.as_str()).collect();
        assert_eq!(ids, ["cocp_lockout", "rs485_monitoring"]);
        for p in &live.plans {
            assert_eq!(p.plan.verdict, "pass");
            assert!(!p.expectations.is_empty(), "{}", p.plan.plan_id);
            assert!(p.instruments.iter().any(|i| i.instrument == "source"));
            assert_eq!(
                p.plan.dut_file.as_deref(),
                Some("testplans/duts/lesso_lsrr51v100ah.yaml")
            );
            assert_eq!(p.plan.dut_hash.as_ref().map(String::len), Some(16));
            // The twin's RS485 0x51 says `software 0.0`.
            assert_eq!(p.plan.pack_firmware.as_deref(), Some("0.0"));
        }

        // Into a second, empty database (SQLite, whatever the first was): the same
        // rows, field by field.
        let other = lab.path("other.db").display().to_string();
        import(&lab, "runs/live", &other);
        let imported = read_rows(&Target::parse(&other).unwrap(), &id).unwrap();
        assert_eq!(imported, live);
        // Again into the same database: replaced, not duplicated.
        import(&lab, "runs/live", &lab.results);
        assert_eq!(lab.rows(&id).unwrap(), live);
    }
}

#[test]
fn a_folder_made_before_the_database_imports_its_plans_unchanged() {
    for lab in labs("a_folder_made_before_the_database_imports_its_plans_unchanged") {
        let id = live_run(&lab, "runs/2026-11-21T18-30-05Z");
        let live = lab.rows(&id).unwrap();
        // An older rig wrote no run.json.
        std::fs::remove_file(lab.path("runs/2026-11-21T18-30-05Z/run.json")).unwrap();
        let said = import(&lab, "runs/2026-11-21T18-30-05Z", &lab.results);
        let old_id = said
            .split_whitespace()
            .skip_while(|w| *w != "run")
            .nth(1)
            .unwrap()
            .to_string();
        assert!(old_id.starts_with("dir-"), "{said}");
        let old = lab.rows(&old_id).unwrap();
        assert_eq!(old.run.station, None);
        assert_eq!(old.run.firmware_label, None);
        assert_eq!(old.run.started_at.as_deref(), Some("2026-11-21T18:30:05Z"));
        assert_eq!(
            (old.run.bench.as_str(), old.run.verdict.as_str()),
            ("sim", "pass")
        );
        // What the logs hold is the same; only run.json's DUT file hashes are missing.
        let mut expected = live.plans.clone();
        for p in &mut expected {
            p.plan.dut_file = None;
            p.plan.dut_hash = None;
        }
        assert_eq!(old.plans, expected);
    }
}

#[test]
fn a_killed_run_imports_what_its_log_holds_as_incomplete() {
    for lab in labs("a_killed_run_imports_what_its_log_holds_as_incomplete") {
        let plan = soak_plan(&lab.path("plans"));
        let out = lab.path("runs/killed");
        let mut child = lab
            .command(&[
                "run",
                plan.to_str().unwrap(),
                "--out",
                out.to_str().unwrap(),
                "--results",
                &lab.results,
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let log = out.join("soak.events.jsonl");
        wait_for(&log, "output on", "the soak switching its output on");
        sigkill(&mut child);
        let said = import(&lab, "runs/killed", &lab.results);
        assert!(said.contains("incomplete"), "{said}");
        let id = rig::results::folder::run_id(&out).unwrap();
        let rows = lab.rows(&id).unwrap();
        assert_eq!(rows.run.verdict, "incomplete");
        assert_eq!((rows.run.finished_unix, rows.run.exit_code), (None, None));
        let [plan] = &rows.plans[..] else {
            panic!("{rows:#?}")
        };
        assert_eq!(plan.plan.verdict, "error");
        assert!(plan.plan.incomplete);
        assert_eq!(plan.plan.message.as_deref(), Some(KILLED));
        let logged = std::fs::read_to_string(&log).unwrap();
        let connected = logged.matches("\"event\":\"instrument_connected\"").count();
        assert!(connected > 0);
        assert_eq!(plan.instruments.len(), connected);
    }
}
