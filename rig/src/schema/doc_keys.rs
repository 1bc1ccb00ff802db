//! The references' "Every key" tables against the schemas, which are the parser's
//! types: `docs/plan-language.md` against the plan schema, `docs/bench-file.md` against
//! the bench file's. The same keys at each place, the same required ones, and a table
//! for every place, so a reference cannot drift from the parser.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Each table's heading and the schema's name of the place it documents (`None`: the
/// file itself). A new kind of entry in the parser needs a table and a line here.
type Tables = &'static [(&'static str, Option<&'static str>)];

const PLAN_TABLES: Tables = &[
    ("The plan", None),
    ("`requires:`", Some("RawRequires")),
    ("A step", Some("RawStep")),
    ("`source:`", Some("RawSource")),
    ("`charge:` and `discharge:`", Some("RawCharge")),
    ("`relay:`", Some("RawRelay")),
    ("`chamber:`", Some("RawChamber")),
    ("`inverter:`", Some("RawInverter")),
    ("`rs485:`", Some("RawRs485")),
    ("`rs232:`", Some("RawRs232")),
    ("`ramp:`", Some("RawRamp")),
    ("A ramp's levels", Some("RawLevels")),
    ("An expectation", Some("RawExpectation")),
    ("A measurement", Some("RawMeasurement")),
];

const BENCH_TABLES: Tables = &[
    ("The bench file", None),
    ("An instrument", Some("RawInstrument")),
    ("`ratings:`", Some("RawRatings")),
    ("`safe_state:`", Some("RawSafeState")),
    ("A relay", Some("RawRelay")),
    ("An input", Some("RawInput")),
    ("`dut:`", Some("RawDut")),
    ("`twin:`", Some("RawTwin")),
    ("`dip:`", Some("RawDip")),
    ("A fault", Some("RawFault")),
];

/// Key and whether it is required, per place.
type Keys = BTreeMap<String, BTreeSet<(String, bool)>>;

/// The tables under "## Every key": heading -> (key, required) from each row.
fn documented(doc: &str) -> Keys {
    let section = doc
        .split_once("\n## Every key\n")
        .map(|(_, s)| s)
        .expect("the reference has a section `## Every key`");
    let mut keys = Keys::new();
    let mut heading = String::new();
    for line in section.lines() {
        if line.starts_with("## ") {
            break;
        }
        if let Some(h) = line.strip_prefix("### ") {
            heading = h.trim().to_owned();
        } else if let Some(row) = line.strip_prefix("| `") {
            let cells: Vec<&str> = row.split('|').map(str::trim).collect();
            let key = cells[0].trim_end_matches('`').to_owned();
            let required = match cells[1] {
                "yes" => true,
                "no" => false,
                other => panic!("{heading}: `{key}`: Required is `{other}`, not yes or no"),
            };
            keys.entry(heading.clone())
                .or_default()
                .insert((key, required));
        }
    }
    keys
}

/// The keys of one object schema and whether each is required.
fn schema_keys(object: &Value) -> BTreeSet<(String, bool)> {
    let required: Vec<&str> = object["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    object["properties"]
        .as_object()
        .map(|p| {
            p.keys()
                .map(|k| (k.clone(), required.contains(&k.as_str())))
                .collect()
        })
        .unwrap_or_default()
}

/// The reference `doc` (under `docs/`) documents every key of `schema` at its place.
fn check(doc: &str, schema: &Value, tables: Tables) {
    let path = super::tests::repo().join("docs").join(doc);
    let documented = documented(&std::fs::read_to_string(&path).unwrap());
    for (heading, def) in tables {
        let object = match def {
            None => schema,
            Some(name) => &schema["$defs"][name],
        };
        let parser = schema_keys(object);
        assert!(!parser.is_empty(), "{def:?} has no keys in the schema");
        let doc_keys = documented.get(*heading).cloned().unwrap_or_default();
        assert_eq!(
            doc_keys, parser,
            "docs/{doc}, \"### {heading}\" (key, required) differ from the parser's"
        );
    }
    // Every place of the schema that has keys has its table.
    for (name, def) in schema["$defs"].as_object().unwrap() {
        if def.get("properties").is_some() {
            assert!(
                tables.iter().any(|(_, d)| *d == Some(name.as_str())),
                "{name} has keys but no table in docs/{doc} (add one, and a line to its tables)"
            );
        }
    }
    assert_eq!(
        documented.len(),
        tables.len(),
        "docs/{doc} tables: {:?}",
        documented.keys()
    );
}

#[test]
fn every_key_the_plan_parser_accepts_is_documented_and_nothing_else() {
    check("plan-language.md", &super::plan().to_value(), PLAN_TABLES);
}

#[test]
fn every_key_the_bench_parser_accepts_is_documented_and_nothing_else() {
    check(
        "bench-file.md",
        &crate::bench::schema().to_value(),
        BENCH_TABLES,
    );
}

/// The bench file of the reference's example is one the rig accepts.
#[test]
fn the_bench_file_references_example_is_valid() {
    let path = super::tests::repo().join("docs/bench-file.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let example = doc
        .split_once("```yaml\n")
        .and_then(|(_, rest)| rest.split_once("```"))
        .map(|(yaml, _)| yaml)
        .expect("docs/bench-file.md has a YAML example");
    let dir = std::env::temp_dir().join(format!("rig-bench-doc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bench.yaml");
    std::fs::write(&file, example).unwrap();
    let loaded = crate::bench::Bench::load(&file);
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(problems) = loaded {
        let lines: Vec<String> = problems.iter().map(|p| p.one_line()).collect();
        panic!("the example is refused: {lines:#?}");
    }
}
