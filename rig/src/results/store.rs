//! The results database: open (and migrate), write a run's rows, read them back. One
//! code path for SQLite and PostgreSQL through sqlx's `Any` driver; the SQL is the
//! subset both speak (`$1` parameters, no auto-increment, no upsert syntax).

use std::borrow::Cow;
use std::time::Duration;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Row, SqlSafeStr};

use super::rows::{
    ExpectationRow, InstrumentRow, MeasurementRow, PlanRow, PlanRows, RunRow, RunRows,
};
use super::target::Target;

/// The schema's versions, oldest first; a released file is never edited (sqlx checks
/// each applied migration's checksum), a change is a new file.
const MIGRATIONS: [(i64, &str, &str); 1] = [(
    1,
    "results",
    include_str!("../../migrations/0001_results.sql"),
)];

/// How long opening the database may take before the write is given up.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the results database {target}")]
    Open {
        target: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot bring the results database {target} to the current schema")]
    Migrate {
        target: String,
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    #[error("cannot create the folder of {target}")]
    Folder {
        target: String,
        #[source]
        source: std::io::Error,
    },
    #[error("results database {target}: {what}")]
    Query {
        target: String,
        what: &'static str,
        #[source]
        source: sqlx::Error,
    },
}

/// An open results database.
pub struct Store {
    pool: AnyPool,
    target: Target,
}

impl Store {
    /// Connect and apply any migration not yet applied.
    pub async fn open(target: &Target) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        if let Target::Sqlite(path) = target
            && let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Folder {
                target: target.to_string(),
                source,
            })?;
        }
        let pool = AnyPoolOptions::new()
            // SQLite takes one writer at a time anyway; one connection avoids waiting on
            // ourselves.
            .max_connections(match target {
                Target::Sqlite(_) => 1,
                Target::Postgres(_) => 2,
            })
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect(&target.url())
            .await
            .map_err(|source| StoreError::Open {
                target: target.to_string(),
                source,
            })?;
        migrator()
            .run(&pool)
            .await
            .map_err(|source| StoreError::Migrate {
                target: target.to_string(),
                source,
            })?;
        Ok(Store {
            pool,
            target: target.clone(),
        })
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    pub(super) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub(super) fn query_error(&self, what: &'static str) -> impl FnOnce(sqlx::Error) -> StoreError {
        let target = self.target.to_string();
        move |source| StoreError::Query {
            target,
            what,
            source,
        }
    }

    /// Replace everything recorded for this run by `rows`, in one transaction: a
    /// re-import of the same folder leaves the same rows, never duplicates.
    pub async fn write_run(&self, rows: &RunRows) -> Result<(), StoreError> {
        let mut tx = self
            .pool
            .begin()
            .await
            .map_err(self.query_error("cannot start a transaction"))?;
        let err = || self.query_error("cannot write a run");
        for table in [
            "measurement",
            "expectation",
            "instrument",
            "plan_result",
            "run",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE run_id = $1"
            )))
            .bind(&rows.run.run_id)
            .execute(&mut *tx)
            .await
            .map_err(err())?;
        }
        insert_run(&mut tx, &rows.run).await.map_err(err())?;
        for plan in &rows.plans {
            insert_plan(&mut tx, &rows.run.run_id, plan)
                .await
                .map_err(err())?;
        }
        tx.commit().await.map_err(err())
    }

    /// Everything recorded for a run, in the order `read_run` gives it.
    pub async fn read_run(&self, run_id: &str) -> Result<Option<RunRows>, StoreError> {
        let err = || self.query_error("cannot read a run");
        let Some(run) = sqlx::query("SELECT * FROM run WHERE run_id = $1")
            .bind(run_id)
            .fetch_optional(&self.pool)
            .await
            .map_err(err())?
        else {
            return Ok(None);
        };
        let run = run_row(&run).map_err(err())?;
        let mut plans = Vec::new();
        let plan_rows = sqlx::query("SELECT * FROM plan_result WHERE run_id = $1 ORDER BY plan_id")
            .bind(run_id)
            .fetch_all(&self.pool)
            .await
            .map_err(err())?;
        for p in &plan_rows {
            let plan = plan_row(p).map_err(err())?;
            let of_plan = |table: &str, order: &str| {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT * FROM {table} WHERE run_id = $1 AND plan_id = $2 ORDER BY {order}"
                )))
                .bind(run_id.to_string())
                .bind(plan.plan_id.clone())
            };
            let instruments = of_plan("instrument", "instrument")
                .fetch_all(&self.pool)
                .await
                .map_err(err())?
                .iter()
                .map(instrument_row)
                .collect::<Result<_, _>>()
                .map_err(err())?;
            let expectations = of_plan("expectation", "seq")
                .fetch_all(&self.pool)
                .await
                .map_err(err())?
                .iter()
                .map(expectation_row)
                .collect::<Result<_, _>>()
                .map_err(err())?;
            let measurements = of_plan("measurement", "seq")
                .fetch_all(&self.pool)
                .await
                .map_err(err())?
                .iter()
                .map(measurement_row)
                .collect::<Result<_, _>>()
                .map_err(err())?;
            plans.push(PlanRows {
                plan,
                instruments,
                expectations,
                measurements,
            });
        }
        Ok(Some(RunRows { run, plans }))
    }

    pub async fn close(self) {
        self.pool.close().await;
    }
}

fn migrator() -> Migrator {
    Migrator::with_migrations(
        MIGRATIONS
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(*description),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

type Tx = sqlx::Transaction<'static, sqlx::Any>;

async fn insert_run(tx: &mut Tx, r: &RunRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO run (run_id, run_dir, station, station_user, bench, firmware_label, \
         started_at, started_unix, finished_at, finished_unix, verdict, exit_code, \
         rig_version, plan_count) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(&r.run_id)
    .bind(&r.run_dir)
    .bind(&r.station)
    .bind(&r.station_user)
    .bind(&r.bench)
    .bind(&r.firmware_label)
    .bind(&r.started_at)
    .bind(r.started_unix)
    .bind(&r.finished_at)
    .bind(r.finished_unix)
    .bind(&r.verdict)
    .bind(r.exit_code)
    .bind(&r.rig_version)
    .bind(r.plan_count)
    .execute(&mut **tx)
    .await
    .map(drop)
}

async fn insert_plan(tx: &mut Tx, run_id: &str, p: &PlanRows) -> Result<(), sqlx::Error> {
    let r = &p.plan;
    sqlx::query(
        "INSERT INTO plan_result (run_id, plan_id, plan_title, plan_file, plan_hash, dut_id, \
         dut_model, dut_file, dut_hash, bench, defects, clock, verdict, message, \
         skipped_reason, incomplete, duration_s, log_path, pack_serial, pack_firmware) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
         $17, $18, $19, $20)",
    )
    .bind(run_id)
    .bind(&r.plan_id)
    .bind(&r.plan_title)
    .bind(&r.plan_file)
    .bind(&r.plan_hash)
    .bind(&r.dut_id)
    .bind(&r.dut_model)
    .bind(&r.dut_file)
    .bind(&r.dut_hash)
    .bind(&r.bench)
    .bind(&r.defects)
    .bind(&r.clock)
    .bind(&r.verdict)
    .bind(&r.message)
    .bind(&r.skipped_reason)
    .bind(i64::from(r.incomplete))
    .bind(r.duration_s)
    .bind(&r.log_path)
    .bind(&r.pack_serial)
    .bind(&r.pack_firmware)
    .execute(&mut **tx)
    .await?;
    insert_instruments(tx, run_id, p).await?;
    insert_expectations(tx, run_id, p).await?;
    insert_measurements(tx, run_id, p).await
}

async fn insert_instruments(tx: &mut Tx, run_id: &str, p: &PlanRows) -> Result<(), sqlx::Error> {
    let r = &p.plan;
    for i in &p.instruments {
        sqlx::query(
            "INSERT INTO instrument (run_id, plan_id, instrument, driver, resource, identity) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(run_id)
        .bind(&r.plan_id)
        .bind(&i.instrument)
        .bind(&i.driver)
        .bind(&i.resource)
        .bind(&i.identity)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_expectations(tx: &mut Tx, run_id: &str, p: &PlanRows) -> Result<(), sqlx::Error> {
    let r = &p.plan;
    for e in &p.expectations {
        sqlx::query(
            "INSERT INTO expectation (run_id, plan_id, seq, t_s, step, name, condition_text, \
             window_text, location, verdict, reaction_s, message) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(run_id)
        .bind(&r.plan_id)
        .bind(e.seq)
        .bind(e.t_s)
        .bind(e.step)
        .bind(&e.name)
        .bind(&e.condition)
        .bind(&e.window)
        .bind(&e.location)
        .bind(&e.verdict)
        .bind(e.reaction_s)
        .bind(&e.message)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_measurements(tx: &mut Tx, run_id: &str, p: &PlanRows) -> Result<(), sqlx::Error> {
    let r = &p.plan;
    for m in &p.measurements {
        sqlx::query(
            "INSERT INTO measurement (run_id, plan_id, seq, t_s, step, name, kind, value, \
             unit, min_limit, max_limit, margin, verdict, location, message) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(run_id)
        .bind(&r.plan_id)
        .bind(m.seq)
        .bind(m.t_s)
        .bind(m.step)
        .bind(&m.name)
        .bind(&m.kind)
        .bind(m.value)
        .bind(&m.unit)
        .bind(m.min)
        .bind(m.max)
        .bind(m.margin)
        .bind(&m.verdict)
        .bind(&m.location)
        .bind(&m.message)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

pub(super) fn run_row(r: &AnyRow) -> Result<RunRow, sqlx::Error> {
    Ok(RunRow {
        run_id: r.try_get("run_id")?,
        run_dir: r.try_get("run_dir")?,
        station: r.try_get("station")?,
        station_user: r.try_get("station_user")?,
        bench: r.try_get("bench")?,
        firmware_label: r.try_get("firmware_label")?,
        started_at: r.try_get("started_at")?,
        started_unix: r.try_get("started_unix")?,
        finished_at: r.try_get("finished_at")?,
        finished_unix: r.try_get("finished_unix")?,
        verdict: r.try_get("verdict")?,
        exit_code: r.try_get("exit_code")?,
        rig_version: r.try_get("rig_version")?,
        plan_count: r.try_get("plan_count")?,
    })
}

pub(super) fn plan_row(r: &AnyRow) -> Result<PlanRow, sqlx::Error> {
    Ok(PlanRow {
        plan_id: r.try_get("plan_id")?,
        plan_title: r.try_get("plan_title")?,
        plan_file: r.try_get("plan_file")?,
        plan_hash: r.try_get("plan_hash")?,
        dut_id: r.try_get("dut_id")?,
        dut_model: r.try_get("dut_model")?,
        dut_file: r.try_get("dut_file")?,
        dut_hash: r.try_get("dut_hash")?,
        bench: r.try_get("bench")?,
        defects: r.try_get("defects")?,
        clock: r.try_get("clock")?,
        verdict: r.try_get("verdict")?,
        message: r.try_get("message")?,
        skipped_reason: r.try_get("skipped_reason")?,
        incomplete: r.try_get::<i64, _>("incomplete")? != 0,
        duration_s: r.try_get("duration_s")?,
        log_path: r.try_get("log_path")?,
        pack_serial: r.try_get("pack_serial")?,
        pack_firmware: r.try_get("pack_firmware")?,
    })
}

fn instrument_row(r: &AnyRow) -> Result<InstrumentRow, sqlx::Error> {
    Ok(InstrumentRow {
        instrument: r.try_get("instrument")?,
        driver: r.try_get("driver")?,
        resource: r.try_get("resource")?,
        identity: r.try_get("identity")?,
    })
}

fn expectation_row(r: &AnyRow) -> Result<ExpectationRow, sqlx::Error> {
    Ok(ExpectationRow {
        seq: r.try_get("seq")?,
        t_s: r.try_get("t_s")?,
        step: r.try_get("step")?,
        name: r.try_get("name")?,
        condition: r.try_get("condition_text")?,
        window: r.try_get("window_text")?,
        location: r.try_get("location")?,
        verdict: r.try_get("verdict")?,
        reaction_s: r.try_get("reaction_s")?,
        message: r.try_get("message")?,
    })
}

pub(super) fn measurement_row(r: &AnyRow) -> Result<MeasurementRow, sqlx::Error> {
    Ok(MeasurementRow {
        seq: r.try_get("seq")?,
        t_s: r.try_get("t_s")?,
        step: r.try_get("step")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        value: r.try_get("value")?,
        unit: r.try_get("unit")?,
        min: r.try_get("min_limit")?,
        max: r.try_get("max_limit")?,
        margin: r.try_get("margin")?,
        verdict: r.try_get("verdict")?,
        location: r.try_get("location")?,
        message: r.try_get("message")?,
    })
}
