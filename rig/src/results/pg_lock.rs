//! The lab's bench reservation: a PostgreSQL session-level advisory lock keyed by the
//! bench's name, held on a connection of its own for the whole run, so stations that
//! share the lab database cannot both drive one bench. The server drops the lock when
//! the session ends, and the session ends when the holder's process dies (its socket
//! closes), so a killed run never leaves its bench reserved. The holder is named by
//! its connection's `application_name`, read back from `pg_stat_activity`.

use std::time::Duration;

use sqlx::{AnyConnection, Connection, Row};

use super::lock::Holder;

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How often a waiting run asks again.
const RETRY: Duration = Duration::from_secs(1);

#[derive(Debug, thiserror::Error)]
pub enum LabLockError {
    #[error("bench `{bench}` is in use by {holder} (lab database {target})")]
    Held {
        bench: String,
        holder: String,
        target: String,
    },
    #[error("cannot reserve bench `{bench}` in the lab database {target}")]
    Database {
        bench: String,
        target: String,
        #[source]
        source: sqlx::Error,
    },
    #[error(
        "cannot reserve bench `{bench}`: the lab database {target} did not answer within {CONNECT_TIMEOUT:?}"
    )]
    Timeout { bench: String, target: String },
    #[error("cannot start the runtime for the lab database")]
    Runtime(#[source] std::io::Error),
}

/// A bench held in the lab database until dropped.
pub struct LabLock {
    runtime: tokio::runtime::Runtime,
    conn: Option<AnyConnection>,
}

impl std::fmt::Debug for LabLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LabLock")
    }
}

impl Drop for LabLock {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            // Closing the session releases the lock; a failure here is a session
            // already gone, which released it too.
            let _ = self.runtime.block_on(conn.close());
        }
    }
}

/// The advisory-lock key of a bench: 64 bits of its name's hash.
pub fn key(bench: &str) -> i64 {
    super::fingerprint(&format!("rig bench {bench}")) as i64
}

/// Take the bench in the lab database at `url` (`target` is how to name it).
pub fn reserve(
    url: &str,
    target: &str,
    bench: &str,
    holder: &Holder,
    wait: bool,
    on_wait: impl FnOnce(&str),
) -> Result<LabLock, LabLockError> {
    sqlx::any::install_default_drivers();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(LabLockError::Runtime)?;
    let db = |source| LabLockError::Database {
        bench: bench.to_string(),
        target: target.to_string(),
        source,
    };
    let conn = runtime.block_on(async {
        let mut conn = tokio::time::timeout(CONNECT_TIMEOUT, AnyConnection::connect(url))
            .await
            .map_err(|_| LabLockError::Timeout {
                bench: bench.to_string(),
                target: target.to_string(),
            })?
            .map_err(db)?;
        let name = format!(
            "rig pid {} {}@{} {}",
            holder.pid, holder.user, holder.host, holder.started_at
        );
        sqlx::query("SELECT set_config('application_name', $1, false)")
            .bind(name)
            .execute(&mut conn)
            .await
            .map_err(db)?;
        let mut on_wait = Some(on_wait);
        loop {
            let taken: bool = sqlx::query("SELECT pg_try_advisory_lock($1)")
                .bind(key(bench))
                .fetch_one(&mut conn)
                .await
                .and_then(|r| r.try_get(0))
                .map_err(db)?;
            if taken {
                return Ok(conn);
            }
            let current = holder_of(&mut conn, bench).await.map_err(db)?;
            if !wait {
                let _ = conn.close().await;
                return Err(LabLockError::Held {
                    bench: bench.to_string(),
                    holder: current,
                    target: target.to_string(),
                });
            }
            if let Some(f) = on_wait.take() {
                f(&current);
            }
            tokio::time::sleep(RETRY).await;
        }
    })?;
    Ok(LabLock {
        runtime,
        conn: Some(conn),
    })
}

/// The `application_name` of the session holding the bench's lock.
async fn holder_of(conn: &mut AnyConnection, bench: &str) -> Result<String, sqlx::Error> {
    let key = key(bench) as u64;
    let row = sqlx::query(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
         AND l.classid::bigint = $1 AND l.objid::bigint = $2",
    )
    .bind(i64::from((key >> 32) as u32))
    .bind(i64::from(key as u32))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(match row {
        Some(r) => r
            .try_get::<String, _>(0)
            .unwrap_or_else(|_| "another session".into()),
        None => "another session (it released the bench a moment ago)".into(),
    })
}
