//! A scratch lab per test: a temporary folder, its own lock folder, and a results
//! database per backend (a fresh PostgreSQL database for each test, dropped at the end).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};

use rig::results::{RunRows, Store, Target, block_on};
use sqlx::{AnyConnection, Connection};

pub use crate::soak::soak_plan;

pub const POSTGRES_ENV: &str = "RIG_TEST_POSTGRES";

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One backend for one test.
pub struct Lab {
    pub dir: tempfile::TempDir,
    /// What `--results` is given.
    pub results: String,
    pub name: &'static str,
    /// The PostgreSQL database to drop at the end.
    pg: Option<(String, String)>,
}

impl Lab {
    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// `rig ARGS` from the repository's top folder, with this lab's lock folder.
    pub fn rig(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("the rig binary runs")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_rig"));
        c.args(args)
            .current_dir(repo())
            .env("RIG_LOCK_DIR", self.path("locks"))
            .env_remove("RIG_RESULTS")
            .env_remove("RIG_LAB");
        c
    }

    pub fn target(&self) -> Target {
        Target::parse(&self.results).expect("a database")
    }

    /// Everything the database holds for a run.
    pub fn rows(&self, run_id: &str) -> Option<RunRows> {
        read_rows(&self.target(), run_id)
    }
}

pub fn read_rows(target: &Target, run_id: &str) -> Option<RunRows> {
    block_on(async {
        let store = Store::open(target).await.expect("the database opens");
        let rows = store.read_run(run_id).await.expect("the rows read back");
        store.close().await;
        rows
    })
    .expect("a runtime")
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some((admin, db)) = self.pg.take() {
            let _ = block_on(async move {
                if let Ok(mut c) = AnyConnection::connect(&admin).await {
                    let drop = format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(drop)).execute(&mut c).await;
                    let _ = c.close().await;
                }
            });
        }
    }
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A lab on SQLite, and one on PostgreSQL if the server is there.
pub fn labs(test: &str) -> Vec<Lab> {
    let mut labs = vec![sqlite()];
    match std::env::var(POSTGRES_ENV) {
        Ok(url) if !url.is_empty() => labs.push(postgres(&url)),
        _ => eprintln!(
            "{test}: the PostgreSQL half was skipped: {POSTGRES_ENV} is not set (`.ci/run` \
             starts a server and sets it)"
        ),
    }
    labs
}

fn sqlite() -> Lab {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("runs/rig.db").display().to_string();
    Lab {
        dir,
        results,
        name: "sqlite",
        pg: None,
    }
}

/// A database of its own on the server, so tests run side by side.
fn postgres(admin: &str) -> Lab {
    let db = format!(
        "rig_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    sqlx::any::install_default_drivers();
    block_on(async {
        let mut c = AnyConnection::connect(admin)
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_ENV}={admin} does not answer: {e}"));
        let create = format!("CREATE DATABASE {db}");
        sqlx::query(sqlx::AssertSqlSafe(create))
            .execute(&mut c)
            .await
            .expect("a test database");
        let _ = c.close().await;
    })
    .unwrap();
    let results = match admin.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{db}"),
        None => panic!("{POSTGRES_ENV} must end with /DATABASE"),
    };
    Lab {
        dir: tempfile::tempdir().unwrap(),
        results,
        name: "postgres",
        pg: Some((admin.to_string(), db)),
    }
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The run id `rig run` printed (`results: run ID written to ...`).
pub fn run_id(o: &Output) -> String {
    let t = text(o);
    t.lines()
        .find_map(|l| l.strip_prefix("results: run "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no results line in:\n{t}"))
        .to_string()
}

/// Wait (bounded) until `path` holds `needle`.
pub fn wait_for(path: &Path, needle: &str, what: &str) {
    let started = std::time::Instant::now();
    while !std::fs::read_to_string(path)
        .unwrap_or_default()
        .contains(needle)
    {
        assert!(started.elapsed().as_secs() < 60, "{what}: never happened");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

pub fn sigkill(child: &mut std::process::Child) {
    let killed = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let _ = child.wait();
}
