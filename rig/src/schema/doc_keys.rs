//! `docs/plan-language.md`'s "Every key" tables against the plan schema, which is the
//! parser's types: the same keys at each place, the same required ones, and a table
//! for every place, so the reference cannot drift from the parser.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// Each table's heading and the schema's name of the place it documents (`None`: the
/// plan itself). A new kind of entry in the parser needs a table and a line here.
const TABLES: &[(&str, Option<&str>)] = &[
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

/// Key and whether it is required, per place.
type Keys = BTreeMap<String, BTreeSet<(String, bool)>>;

/// The tables under "## Every key": heading -> (key, required) from each row.
fn documented(doc: &str) -> Keys {
    let section = doc
        .split_once("\n## Every key\n")
        .map(|(_, s)| s)
        .expect("docs/plan-language.md has a section `## Every key`");
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

#[test]
fn every_key_the_parser_accepts_is_documented_and_nothing_else() {
    let path = super::tests::repo().join("docs/plan-language.md");
    let doc = std::fs::read_to_string(&path).unwrap();
    let documented = documented(&doc);
    let schema = super::plan().to_value();
    for (heading, def) in TABLES {
        let object = match def {
            None => &schema,
            Some(name) => &schema["$defs"][name],
        };
        let parser = schema_keys(object);
        assert!(!parser.is_empty(), "{def:?} has no keys in the schema");
        let doc_keys = documented.get(*heading).cloned().unwrap_or_default();
        assert_eq!(
            doc_keys, parser,
            "docs/plan-language.md, \"### {heading}\" (key, required) differ from the parser's"
        );
    }
    // Every place of the schema that has keys has its table.
    for (name, def) in schema["$defs"].as_object().unwrap() {
        if def.get("properties").is_some() {
            assert!(
                TABLES.iter().any(|(_, d)| *d == Some(name.as_str())),
                "{name} has keys but no table in docs/plan-language.md (add one, and a line to TABLES)"
            );
        }
    }
    assert_eq!(
        documented.len(),
        TABLES.len(),
        "tables: {:?}",
        documented.keys()
    );
}
