//! Reading input files within bounds. Plans, DUT profiles, bench files and DBCs come
//! from users (and from copies of copies): a file the rig reads must never be able to
//! exhaust its memory, hang it or crash it, so every size has a bound here, each
//! refused with a problem that says which bound and where.
//!
//! The bounds are far above anything a real file needs (the seed files are under 20 kB,
//! the largest expression in them under 200 characters) and far below what would hurt.

use std::io::Read;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::diag::{Problem, Problems, SourceFile, Span};

/// Largest plan, DUT profile or bench file, bytes.
pub const MAX_FILE_BYTES: u64 = 1 << 20;
/// Largest DBC file, bytes: a whole vehicle's database can run to a few megabytes.
pub const MAX_DBC_BYTES: u64 = 16 << 20;
/// Longest id (plan, profile, instrument, relay): ids name files and report rows.
pub const MAX_ID_CHARS: usize = 64;
/// Longest expression or value text (`dut.cocp.trip_current + 5 A`), bytes.
pub const MAX_EXPRESSION_BYTES: usize = 1024;
/// Deepest nesting of an expression (parentheses, `not`, unary minus): the parser and
/// every pass over the tree recurse, so depth is what could overflow the stack.
pub const MAX_EXPRESSION_DEPTH: usize = 32;
/// Most steps a plan may have once its `repeat:` groups are unrolled.
pub const MAX_STEPS: usize = 100_000;
/// Most YAML nodes (scalars, sequences, mappings) in one file.
const MAX_YAML_NODES: usize = 100_000;
/// Deepest YAML nesting (serde-saphyr's default, named here with the others).
const MAX_YAML_DEPTH: usize = 64;

/// Why a file could not be read as text.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path} is not a regular file")]
    NotAFile { path: String },
    #[error("{path} is larger than {max} bytes; the rig reads no input file that large")]
    TooLarge { path: String, max: u64 },
    /// The bytes up to `valid_up_to` are text; the next one is not UTF-8.
    #[error("{path} is not UTF-8 text")]
    NotUtf8 {
        path: String,
        lossy: String,
        valid_up_to: usize,
    },
}

/// The text of a regular file of at most `max` bytes. A device, a FIFO or a file that
/// grows without end (`/dev/zero` behind a link) is refused, never read to its end.
pub fn read_text(path: &Path, max: u64) -> Result<String, ReadError> {
    let shown = || path.display().to_string();
    let io = |source| ReadError::Io {
        path: shown(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile { path: shown() });
    }
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(max + 1).read_to_end(&mut bytes))
        .map_err(io)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge { path: shown(), max });
    }
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 {
        path: shown(),
        valid_up_to: e.utf8_error().valid_up_to(),
        lossy: String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// What the first byte that is not UTF-8 becomes in the text the problem shows: the span
/// covers all of it, so the snippet can show it.
const REPLACEMENT: char = char::REPLACEMENT_CHARACTER;

/// A plan, profile or bench file as a [`SourceFile`], or the problem that refuses it
/// (located at the first byte that is not UTF-8, where there is one).
pub fn read_source(path: &Path) -> Result<SourceFile, Problem> {
    match read_text(path, MAX_FILE_BYTES) {
        Ok(text) => Ok(SourceFile::new(path, text)),
        Err(ReadError::NotUtf8 {
            lossy, valid_up_to, ..
        }) => {
            let file = SourceFile::new(path, lossy);
            Err(Problem::at(
                &file,
                Span::new(valid_up_to, REPLACEMENT.len_utf8()),
                "the file is not UTF-8 text",
            )
            .help("save the file as UTF-8"))
        }
        Err(e) => Err(Problem::without_source(e.to_string())),
    }
}

/// serde-saphyr's options for every input file: its defaults (duplicate keys refused,
/// budgets on) with the node count and depth bounded as above.
fn yaml_options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    let mut budget = options.budget.take().unwrap_or_default();
    budget.max_nodes = MAX_YAML_NODES;
    budget.max_depth = MAX_YAML_DEPTH;
    options.budget = Some(budget);
    options
}

/// A whole file deserialised, or its YAML problems, located: every unknown key, then
/// the first other error (see [`crate::yaml_recovery`]).
pub fn parse_yaml<T: DeserializeOwned>(file: &SourceFile) -> Result<T, Problems> {
    if file.text.len() as u64 > MAX_FILE_BYTES {
        return Err(Problem::in_file(
            file,
            format!("the file is larger than {MAX_FILE_BYTES} bytes"),
        )
        .into());
    }
    crate::yaml_recovery::parse_all(file, |text| {
        serde_saphyr::from_str_with_options(text, yaml_options())
    })
}

/// A problem if `text` (an id) is empty, longer than [`MAX_ID_CHARS`] or not a plain
/// name: ASCII letters, digits, `_` and `-`.
pub fn plain_name_problem(text: &str) -> Option<String> {
    if text.is_empty() {
        return Some("is empty".into());
    }
    if text.chars().count() > MAX_ID_CHARS {
        return Some(format!(
            "is {} characters long; at most {MAX_ID_CHARS}",
            text.chars().count()
        ));
    }
    let plain = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    (!plain).then(|| "is not a plain name".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("rig-input-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_file_above_the_bound_is_refused_without_reading_it_all() {
        let dir = scratch("large");
        let path = dir.join("big.yaml");
        std::fs::write(&path, vec![b'#'; MAX_FILE_BYTES as usize + 1]).unwrap();
        let err = read_source(&path).unwrap_err();
        assert!(
            err.to_string().contains("is larger than 1048576 bytes"),
            "{err}"
        );
        std::fs::write(&path, vec![b'#'; MAX_FILE_BYTES as usize]).unwrap();
        assert!(read_source(&path).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn devices_and_folders_are_not_files() {
        let err = read_text(Path::new("/dev/zero"), 10).unwrap_err();
        assert!(matches!(err, ReadError::NotAFile { .. }), "{err}");
        let dir = scratch("dir");
        let err = read_text(&dir, 10).unwrap_err();
        assert!(matches!(err, ReadError::NotAFile { .. }), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bytes_that_are_not_utf8_are_located() {
        let dir = scratch("utf8");
        let path = dir.join("p.yaml");
        std::fs::write(&path, b"id: x\ntitle: a\xff\n").unwrap();
        let err = read_source(&path).unwrap_err();
        assert!(
            err.one_line()
                .ends_with("p.yaml:2:9: the file is not UTF-8 text (hint: save the file as UTF-8)"),
            "{}",
            err.one_line()
        );
        assert!(
            !err.render().contains("too long to show"),
            "{}",
            err.render()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn yaml_nesting_and_node_counts_are_bounded() {
        let deep = format!("a: {}1{}\n", "[".repeat(70), "]".repeat(70));
        let file = SourceFile::new("deep.yaml", deep);
        let err = parse_yaml::<serde_json::Value>(&file)
            .unwrap_err()
            .0
            .remove(0);
        assert!(
            err.one_line().starts_with("deep.yaml:1:"),
            "{}",
            err.one_line()
        );
        let many = format!("a: [{}]\n", vec!["1"; MAX_YAML_NODES].join(","));
        let file = SourceFile::new("many.yaml", many);
        let err = parse_yaml::<serde_json::Value>(&file)
            .unwrap_err()
            .0
            .remove(0);
        assert!(
            err.one_line().starts_with("many.yaml:1:"),
            "{}",
            err.one_line()
        );
    }

    #[test]
    fn plain_names_are_bounded() {
        assert_eq!(plain_name_problem("cocp_lockout"), None);
        assert_eq!(plain_name_problem(&"x".repeat(64)), None);
        assert_eq!(
            plain_name_problem(&"x".repeat(65)).as_deref(),
            Some("is 65 characters long; at most 64")
        );
        assert_eq!(plain_name_problem("").as_deref(), Some("is empty"));
        assert_eq!(
            plain_name_problem("../x").as_deref(),
            Some("is not a plain name")
        );
    }
}
