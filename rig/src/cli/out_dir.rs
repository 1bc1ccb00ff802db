//! `--out`: the folder a run writes its logs and reports into. A symbolic link there (the
//! folder itself, or a file in it) would make the rig overwrite whatever it points to,
//! so such a folder is refused before anything runs.

use std::path::Path;

use crate::diag::Problem;

/// A problem if `dir` is a symbolic link or holds one; a folder that does not exist yet
/// is fine (the run creates it).
pub fn symlink_problem(dir: &Path) -> Option<Problem> {
    let is_link = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink());
    let refuse = |link: &Path| {
        Some(
            Problem::without_source(format!(
                "--out {}: {} is a symbolic link; the rig does not write through links",
                dir.display(),
                link.display()
            ))
            .help("name a plain folder, or remove the link"),
        )
    };
    if is_link(dir) {
        return refuse(dir);
    }
    let entries = std::fs::read_dir(dir).ok()?;
    for entry in entries.filter_map(Result::ok) {
        if entry.file_type().is_ok_and(|t| t.is_symlink()) {
            return refuse(&entry.path());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linked_folder_or_a_link_inside_is_refused() {
        let root = std::env::temp_dir().join(format!("rig-out-dir-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let plain = root.join("plain");
        std::fs::create_dir_all(&plain).unwrap();
        assert!(symlink_problem(&plain).is_none());
        assert!(symlink_problem(&root.join("not-yet")).is_none());
        let target = root.join("precious.txt");
        std::fs::write(&target, "keep").unwrap();
        let linked = root.join("linked");
        std::os::unix::fs::symlink(&plain, &linked).unwrap();
        let p = symlink_problem(&linked).unwrap();
        assert!(p.message.contains("is a symbolic link"), "{}", p.message);
        std::os::unix::fs::symlink(&target, plain.join("cocp_lockout.events.jsonl")).unwrap();
        let p = symlink_problem(&plain).unwrap();
        assert!(
            p.message
                .contains("cocp_lockout.events.jsonl is a symbolic link"),
            "{}",
            p.message
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        std::fs::remove_dir_all(&root).unwrap();
    }
}
