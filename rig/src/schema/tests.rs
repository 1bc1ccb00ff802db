//! The schemas against the files they describe: every file in `testplans/` passes, a
//! file with an unknown key or a value of the wrong type does not, and the schemas
//! committed in `schemas/` (which the files' editors read) are the generated ones.

use std::path::{Path, PathBuf};

use serde_json::Value;

pub(super) fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The YAML files directly in `dir`, sorted.
fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

/// A YAML text as the JSON an editor's schema check sees.
fn json(yaml: &str) -> Value {
    serde_saphyr::from_str(yaml).unwrap_or_else(|e| panic!("{e}"))
}

fn validator(name: &str) -> jsonschema::Validator {
    let (_, schema) = super::schemas()
        .into_iter()
        .find(|(n, _)| *n == name)
        .unwrap();
    jsonschema::validator_for(&schema.to_value()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// What `validator` says of `file`'s text: its errors, one line each.
fn errors(validator: &jsonschema::Validator, yaml: &str) -> Vec<String> {
    let doc = json(yaml);
    validator
        .iter_errors(&doc)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn every_file_in_testplans_passes_its_schema() {
    let dir = repo().join("testplans");
    let kinds = [
        ("plan.schema.json", dir.clone()),
        ("bench.schema.json", dir.join("benches")),
        ("dut.schema.json", dir.join("duts")),
    ];
    for (name, folder) in kinds {
        let validator = validator(name);
        let files = yaml_files(&folder);
        assert!(files.len() >= 5, "{}: too few files", folder.display());
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let errors = errors(&validator, &text);
            assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
        }
    }
}

#[test]
fn a_mutated_file_fails_its_schema() {
    let plan = std::fs::read_to_string(repo().join("testplans/cocp_lockout.yaml")).unwrap();
    let plans = validator("plan.schema.json");
    assert!(errors(&plans, &plan).is_empty());
    // An unknown key in a step, a misspelt top-level key, a list where a text goes.
    let unknown = plan.replacen("\n  - name:", "\n  - colour: red\n    name:", 1);
    assert_ne!(unknown, plan);
    assert!(!errors(&plans, &unknown).is_empty(), "unknown key passed");
    let misspelt = plan.replacen("\ntimeout:", "\ntimeuot:", 1);
    assert_ne!(misspelt, plan);
    assert!(!errors(&plans, &misspelt).is_empty(), "misspelt key passed");
    let wrong_type = plan.replacen("\ntimeout:", "\ntimeout: [1, 2]\nx_was:", 1);
    let errs = errors(&plans, &wrong_type);
    assert!(errs.iter().any(|e| e.starts_with("/timeout")), "{errs:?}");

    let dut =
        std::fs::read_to_string(repo().join("testplans/duts/lesso_lsrr51v100ah.yaml")).unwrap();
    let duts = validator("dut.schema.json");
    assert!(errors(&duts, &dut).is_empty());
    let leaf_typo = dut.replacen(", source:", ", sorce:", 1);
    assert_ne!(leaf_typo, dut);
    assert!(
        !errors(&duts, &leaf_typo).is_empty(),
        "a leaf's typo passed"
    );

    let bench = std::fs::read_to_string(repo().join("testplans/benches/sim.yaml")).unwrap();
    let benches = validator("bench.schema.json");
    let no_name = bench.replacen("\nname:", "\nnmae:", 1);
    assert_ne!(no_name, bench);
    assert!(
        !errors(&benches, &no_name).is_empty(),
        "a missing name passed"
    );
}

#[test]
fn the_committed_schemas_are_the_generated_ones() {
    for (name, schema) in super::schemas() {
        let path = repo().join("schemas").join(name);
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == super::text(&schema),
            "{} is out of date: run `cargo run -p rig -- schema` at the repository's root",
            path.display()
        );
    }
}
