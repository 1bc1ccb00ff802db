//! The station's bench reservation: an exclusive flock(2) on a file named after the
//! bench, held for the whole run. The kernel drops a flock when its holder's process
//! ends however it ends (`kill -9`, a crash, a power cut ends everything anyway), so a
//! bench is never left reserved by a run that is gone. The file holds who took it, for
//! the refusal message; its content is only a note, the flock is the reservation.
//!
//! Lock files live in `$RIG_LOCK_DIR`, else `/run/lock/rig` (shared by every user of
//! the station), else the temporary folder's `rig-locks`.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The environment variable naming the folder of lock files.
pub const LOCK_DIR_ENV: &str = "RIG_LOCK_DIR";

/// Who holds a bench.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub host: String,
    pub user: String,
    pub started_at: String,
    pub run_dir: String,
}

impl Holder {
    /// This process, about to run into `run_dir`.
    pub fn this_process(run_dir: &Path) -> Holder {
        Holder {
            pid: std::process::id(),
            host: super::info::host_name().unwrap_or_else(|| "unknown host".into()),
            user: super::info::user_name().unwrap_or_else(|| "unknown user".into()),
            started_at: super::wallclock::iso(super::wallclock::now_unix()),
            run_dir: run_dir.display().to_string(),
        }
    }
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rig pid {} of {} on {}, since {} (run folder {})",
            self.pid, self.user, self.host, self.started_at, self.run_dir
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("bench `{bench}` is in use by {holder}")]
    Held { bench: String, holder: String },
    #[error("cannot use the lock file {path} of bench `{bench}`")]
    Io {
        bench: String,
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// A bench held by this process until dropped.
#[derive(Debug)]
pub struct StationLock {
    _file: File,
    pub path: PathBuf,
}

/// The folder of lock files.
pub fn lock_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(LOCK_DIR_ENV) {
        return PathBuf::from(dir);
    }
    let run_lock = Path::new("/run/lock");
    if run_lock.is_dir() {
        run_lock.join("rig")
    } else {
        std::env::temp_dir().join("rig-locks")
    }
}

/// The lock file of a bench: its name made safe for a file name, and a hash of the
/// name so that two names that sanitise alike stay apart.
pub fn lock_path(dir: &Path, bench: &str) -> PathBuf {
    let safe: String = bench
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir.join(format!(
        "bench-{safe}-{:08x}.lock",
        super::fingerprint(bench) as u32
    ))
}

/// Take the bench. `wait`: block until the holder is gone (`on_wait` is called once
/// with the holder first); otherwise refuse at once, naming the holder.
pub fn reserve(
    bench: &str,
    holder: &Holder,
    wait: bool,
    on_wait: impl FnOnce(&str),
) -> Result<StationLock, LockError> {
    reserve_in(&lock_dir(), bench, holder, wait, on_wait)
}

/// [`reserve`] with lock files in `dir`.
pub fn reserve_in(
    dir: &Path,
    bench: &str,
    holder: &Holder,
    wait: bool,
    on_wait: impl FnOnce(&str),
) -> Result<StationLock, LockError> {
    let path = lock_path(dir, bench);
    let io = |source| LockError::Io {
        bench: bench.to_string(),
        path: path.display().to_string(),
        source,
    };
    create_shared_dir(dir).map_err(io)?;
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    share(&path);
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let current = read_holder(&mut file);
            if !wait {
                return Err(LockError::Held {
                    bench: bench.to_string(),
                    holder: current,
                });
            }
            on_wait(&current);
            file.lock().map_err(io)?;
        }
        Err(TryLockError::Error(e)) => return Err(io(e)),
    }
    let note = serde_json::to_string(holder).unwrap_or_default();
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| file.write_all(note.as_bytes()))
        .map_err(io)?;
    Ok(StationLock { _file: file, path })
}

fn read_holder(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind().and_then(|_| file.read_to_string(&mut text));
    serde_json::from_str::<Holder>(&text)
        .map(|h| h.to_string())
        .unwrap_or_else(|_| "another process (its note is unreadable)".into())
}

/// The folder every user of the station can add lock files to (sticky, as /tmp).
fn create_shared_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    set_mode(dir, 0o1777);
    Ok(())
}

/// Another user's run must be able to open the file to lock it.
fn share(path: &Path) {
    set_mode(path, 0o666);
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    // Best effort: a file made by another user keeps the mode that user gave it.
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_files_keep_names_apart() {
        let dir = Path::new("/locks");
        let a = lock_path(dir, "lab a");
        let b = lock_path(dir, "lab_a");
        assert_ne!(a, b);
        assert!(a.to_string_lossy().starts_with("/locks/bench-lab_a-"));
        assert!(!lock_path(dir, "../../etc").to_string_lossy().contains(".."));
    }

    #[test]
    fn a_second_reservation_is_refused_with_the_holder_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let reserve =
            |bench: &str, holder: &Holder| reserve_in(dir.path(), bench, holder, false, |_| {});
        let holder = Holder::this_process(Path::new("runs/a"));
        let first = reserve("bench-1", &holder).unwrap();
        let err = reserve("bench-1", &holder).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&format!("rig pid {}", std::process::id())),
            "{text}"
        );
        assert!(text.contains("runs/a"), "{text}");
        assert!(reserve("bench-2", &holder).is_ok(), "another bench is free");
        drop(first);
        assert!(reserve("bench-1", &holder).is_ok());
    }
}
