//! Questions to the results database: which runs match a filter, and how one
//! measurement moved across them. Filters apply to a run's plans: a run matches when
//! one of its plans matches every filter given.

use sqlx::Row;

use super::store::{Store, StoreError};

/// What `rig history` and a gate's `--baseline` select on.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    pub plan: Option<String>,
    pub dut: Option<String>,
    pub bench: Option<String>,
    /// The run's firmware label, else what the pack reported (RS485 0x96).
    pub firmware: Option<String>,
    /// A plan verdict: pass, fail, error, skipped.
    pub verdict: Option<String>,
    /// Unix seconds, inclusive.
    pub since: Option<i64>,
    /// Unix seconds, exclusive.
    pub until: Option<i64>,
}

/// The firmware a plan ran against, as the filters and the trend see it.
const FIRMWARE: &str = "COALESCE(r.firmware_label, p.pack_firmware)";

impl Filter {
    /// `WHERE ...` over `run r JOIN plan_result p`, and the values to bind in order.
    fn sql(&self, first_param: usize) -> (String, Vec<Param>) {
        let mut clauses = Vec::new();
        let mut params = Vec::new();
        let mut add = |column: &str, op: &str, value: Param| {
            clauses.push(format!("{column} {op} ${}", first_param + params.len()));
            params.push(value);
        };
        let text = |v: &Option<String>| v.clone().map(Param::Text);
        for (column, value) in [
            ("p.plan_id", text(&self.plan)),
            ("p.dut_id", text(&self.dut)),
            ("r.bench", text(&self.bench)),
            (FIRMWARE, text(&self.firmware)),
            ("p.verdict", text(&self.verdict)),
        ] {
            if let Some(v) = value {
                add(column, "=", v);
            }
        }
        if let Some(t) = self.since {
            add("r.started_unix", ">=", Param::Int(t));
        }
        if let Some(t) = self.until {
            add("r.started_unix", "<", Param::Int(t));
        }
        if clauses.is_empty() {
            (String::new(), params)
        } else {
            (format!(" AND {}", clauses.join(" AND ")), params)
        }
    }
}

#[derive(Clone, Debug)]
enum Param {
    Text(String),
    Int(i64),
}

fn query_with(
    sql: String,
    params: Vec<Param>,
) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
    for p in params {
        q = match p {
            Param::Text(t) => q.bind(t),
            Param::Int(i) => q.bind(i),
        };
    }
    q
}

/// One run in a listing, with its matching plans counted by verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct RunLine {
    pub run_id: String,
    pub started_at: Option<String>,
    pub bench: String,
    pub firmware: Option<String>,
    pub run_verdict: String,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
    pub skipped: usize,
    /// Plans that did not pass, for the listing.
    pub not_passed: Vec<String>,
}

/// Runs with a plan matching `filter`, oldest first.
pub async fn runs(store: &Store, filter: &Filter) -> Result<Vec<RunLine>, StoreError> {
    let (clauses, params) = filter.sql(1);
    let sql = format!(
        "SELECT r.run_id, r.started_at, r.bench, r.verdict AS run_verdict, \
         {FIRMWARE} AS firmware, p.plan_id, p.verdict \
         FROM run r JOIN plan_result p ON p.run_id = r.run_id WHERE 1 = 1{clauses} \
         ORDER BY r.started_unix, r.run_id, p.plan_id"
    );
    let rows = query_with(sql, params)
        .fetch_all(store.pool())
        .await
        .map_err(store.query_error("cannot list runs"))?;
    let mut out: Vec<RunLine> = Vec::new();
    for row in &rows {
        let get = |c: &str| row.try_get::<Option<String>, _>(c).ok().flatten();
        let run_id = get("run_id").unwrap_or_default();
        if out.last().is_none_or(|l| l.run_id != run_id) {
            out.push(RunLine {
                run_id,
                started_at: get("started_at"),
                bench: get("bench").unwrap_or_default(),
                firmware: get("firmware"),
                run_verdict: get("run_verdict").unwrap_or_default(),
                passed: 0,
                failed: 0,
                errors: 0,
                skipped: 0,
                not_passed: Vec::new(),
            });
        }
        let Some(line) = out.last_mut() else { continue };
        let verdict = get("verdict").unwrap_or_default();
        match verdict.as_str() {
            "pass" => line.passed += 1,
            "fail" => line.failed += 1,
            "skipped" => line.skipped += 1,
            _ => line.errors += 1,
        }
        if verdict != "pass" && verdict != "skipped" {
            line.not_passed
                .push(format!("{} {verdict}", get("plan_id").unwrap_or_default()));
        }
    }
    Ok(out)
}

/// One value of a measurement in one run.
#[derive(Clone, Debug, PartialEq)]
pub struct TrendPoint {
    pub run_id: String,
    pub started_at: Option<String>,
    pub firmware: Option<String>,
    pub plan_id: String,
    pub value: Option<f64>,
    pub unit: String,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub margin: Option<f64>,
    pub verdict: String,
}

/// Every recorded value of measurement `name` in runs matching `filter`, oldest first.
pub async fn trend(
    store: &Store,
    name: &str,
    filter: &Filter,
) -> Result<Vec<TrendPoint>, StoreError> {
    let (clauses, params) = filter.sql(2);
    let sql = format!(
        "SELECT r.run_id, r.started_at, {FIRMWARE} AS firmware, p.plan_id, m.value, m.unit, \
         m.min_limit, m.max_limit, m.margin, m.verdict \
         FROM measurement m \
         JOIN plan_result p ON p.run_id = m.run_id AND p.plan_id = m.plan_id \
         JOIN run r ON r.run_id = m.run_id \
         WHERE m.name = $1{clauses} ORDER BY r.started_unix, r.run_id, p.plan_id, m.seq"
    );
    let mut all = vec![Param::Text(name.to_string())];
    all.extend(params);
    let rows = query_with(sql, all)
        .fetch_all(store.pool())
        .await
        .map_err(store.query_error("cannot read the trend"))?;
    rows.iter()
        .map(|r| {
            Ok(TrendPoint {
                run_id: r.try_get("run_id")?,
                started_at: r.try_get("started_at")?,
                firmware: r.try_get("firmware")?,
                plan_id: r.try_get("plan_id")?,
                value: r.try_get("value")?,
                unit: r.try_get("unit")?,
                min: r.try_get("min_limit")?,
                max: r.try_get("max_limit")?,
                margin: r.try_get("margin")?,
                verdict: r.try_get("verdict")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(store.query_error("cannot read the trend"))
}

/// The run id of a run folder given on the command line, or the text itself.
pub fn run_id_of(text: &str) -> String {
    let path = std::path::Path::new(text);
    if path.is_dir()
        && let Ok(id) = super::folder::run_id(path)
    {
        return id;
    }
    text.to_string()
}
