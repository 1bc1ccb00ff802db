//! Finding plan files: a plan path is used as is; a folder contributes every `.yaml`
//! below it except the data folders `duts/`, `benches/`, `dbc/` and `firmware/`.

use std::path::{Path, PathBuf};

const DATA_DIRS: &[&str] = &["duts", "benches", "dbc", "firmware"];

/// Plan files below `dir`, sorted, so every run takes them in the same order.
pub fn plans_in(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    walk(dir, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !DATA_DIRS.contains(&name) && !name.starts_with('.') {
                walk(&path, out)?;
            }
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
    Ok(())
}
