//! `rig schema`: JSON Schemas of the three kinds of input file (plan, bench, DUT
//! profile), generated from the same serde types the loaders parse with, so an editor
//! that reads them (the YAML language server, with a
//! `# yaml-language-server: $schema=...` line or its settings) completes and checks
//! exactly what `rig validate` accepts as far as the file's shape goes. What a schema
//! cannot say (units, expressions, names that must exist on the bench, DUT values) is
//! still checked by `rig validate`, with file, line and column.

use std::borrow::Cow;
use std::path::{Path, PathBuf};

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};

/// A YAML scalar the loaders read as text (`56.0 V`, `2 s`, `on`, `16`): in the JSON
/// that YAML becomes, a string, a number or a boolean.
pub struct Scalar;

impl JsonSchema for Scalar {
    fn schema_name() -> Cow<'static, str> {
        "Scalar".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": ["string", "number", "boolean"] })
    }
}

/// Each kind of file with the name of its schema file, in the order they are written.
pub fn schemas() -> [(&'static str, Schema); 3] {
    [
        ("plan.schema.json", titled(plan(), "rig test plan")),
        (
            "bench.schema.json",
            titled(crate::bench::schema(), "rig bench file"),
        ),
        (
            "dut.schema.json",
            titled(crate::dut::schema(), "rig DUT profile"),
        ),
    ]
}

/// The schema of a plan file.
pub fn plan() -> Schema {
    schemars::schema_for!(crate::plan::raw::RawPlan)
}

fn titled(mut schema: Schema, title: &str) -> Schema {
    schema.insert("title".into(), title.into());
    schema
}

/// A schema as written to its file: pretty JSON with a final newline.
pub fn text(schema: &Schema) -> String {
    let mut text = serde_json::to_string_pretty(schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Writes every schema into `dir` (created if missing); the paths written.
pub fn write_all(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (name, schema) in schemas() {
        let path = dir.join(name);
        std::fs::write(&path, text(&schema))?;
        written.push(path);
    }
    Ok(written)
}

#[cfg(test)]
mod doc_keys;
#[cfg(test)]
mod tests;
