//! Which plans a run selects: validate, list, partitions, skips and filters.

use super::*;

#[test]
fn validate_and_list_read_without_running() {
    let o = rig(&["validate"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("cocp_lockout"));
    let o = rig(&["validate", "tests/fixtures/invalid/overvoltage.yaml"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let o = rig(&["list"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o).contains("lesso_lsrr51v100ah"));
}

#[test]
fn run_list_names_plans_and_runs_nothing() {
    let out = scratch("list");
    let o = rig(&["run", "--list", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("cocp_lockout: test"), "{}", text(&o));
    assert!(!out.exists());
}

/// The plan names `rig run --list` prints (`NAME: test`), with any extra arguments.
fn listed(extra: &[&str]) -> Vec<String> {
    let o = rig(&[&["run", "--list"], extra].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(": test"))
        .map(str::to_string)
        .collect()
}

/// Issue 14: `--partition k/n` splits the selected plans across CI jobs: for every n
/// the partitions are disjoint and together are the whole selection.
#[test]
fn partitions_split_the_plans_disjointly_and_cover_them_all() {
    let mut whole = listed(&[]);
    whole.sort();
    assert!(whole.len() >= 4, "{whole:?}");
    for n in 1..=4 {
        let mut union = Vec::new();
        for k in 1..=n {
            let part = listed(&["--partition", &format!("{k}/{n}")]);
            assert!(!part.is_empty() || whole.len() < n, "{k}/{n} is empty");
            assert!(part.iter().all(|p| !union.contains(p)), "{k}/{n} overlaps");
            union.extend(part);
        }
        union.sort();
        assert_eq!(
            union, whole,
            "the {n} partitions are not the whole selection"
        );
    }
    // Sorted by id, the first plan goes to partition 1.
    assert!(listed(&["--partition", "1/4"]).contains(&whole[0]));
    // A filter selects first, then the partition splits what it kept.
    let mut cocp: Vec<String> = listed(&["cocp", "--partition", "1/2"]);
    cocp.extend(listed(&["cocp", "--partition", "2/2"]));
    assert!(
        !cocp.is_empty() && cocp.iter().all(|p| p.contains("cocp")),
        "{cocp:?}"
    );
    for bad in ["0/3", "4/3", "3", "1/x", "1/0"] {
        let o = rig(&["run", "--list", "--partition", bad]);
        assert_eq!(o.status.code(), Some(3), "{bad}: {}", text(&o));
        assert!(text(&o).contains("--partition"), "{}", text(&o));
    }
}

/// Issue 14: a plan left out by `--skip` or the name filter is not checked against the
/// bench, so a plan the bench cannot run does not refuse a run that skips it.
#[test]
fn a_skipped_plan_the_bench_cannot_run_is_not_validated() {
    let dir = "tests/fixtures/select";
    let out = scratch("skip-invalid");
    let o = rig(&["run", dir, "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        text(&o).contains("select_overcurrent.yaml:11"),
        "{}",
        text(&o)
    );
    for args in [
        &["--skip", "select_overcurrent"][..],
        &["select_ok"],
        &["--exact", "select_ok"],
    ] {
        let out = scratch("skip-invalid");
        let o = rig(&[&["run", dir, "--out", out.to_str().unwrap()], args].concat());
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
        assert!(out.join("select_ok.events.jsonl").is_file());
        assert!(!out.join("select_overcurrent.events.jsonl").exists());
        assert!(!text(&o).contains("500 A"), "{}", text(&o));
    }
    let o = rig(&["validate", dir, "select_ok"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

/// Issue 13: a misspelt filter ran nothing and exited 0, as if every plan had passed.
#[test]
fn a_filter_that_matches_nothing_is_invalid_input_with_a_suggestion() {
    let out = scratch("filter");
    let o = rig(&["run", "cocp_lockot", "--out", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        text(&o).contains("no plan matches `cocp_lockot`; nothing would run"),
        "{}",
        text(&o)
    );
    assert!(
        text(&o).contains("did you mean `cocp_lockout`?"),
        "{}",
        text(&o)
    );
    assert!(!out.exists(), "nothing ran, nothing was written");
}
