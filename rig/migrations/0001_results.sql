-- The results schema, version 1. One text for SQLite and PostgreSQL: only types and
-- syntax both accept (TEXT, BIGINT, DOUBLE PRECISION; no auto-increment: every key is
-- made by rig from the run and the event log, so an import gives the same rows as the
-- live write). Described column by column in docs/results.md.

CREATE TABLE run (
    run_id          TEXT PRIMARY KEY,
    run_dir         TEXT NOT NULL,
    station         TEXT,
    station_user    TEXT,
    bench           TEXT NOT NULL,
    firmware_label  TEXT,
    started_at      TEXT,
    started_unix    BIGINT,
    finished_at     TEXT,
    finished_unix   BIGINT,
    verdict         TEXT NOT NULL,
    exit_code       BIGINT,
    rig_version     TEXT,
    plan_count      BIGINT NOT NULL
);
CREATE INDEX run_started ON run (started_unix);
CREATE INDEX run_bench ON run (bench);

CREATE TABLE plan_result (
    run_id          TEXT NOT NULL,
    plan_id         TEXT NOT NULL,
    plan_title      TEXT NOT NULL,
    plan_file       TEXT NOT NULL,
    plan_hash       TEXT NOT NULL,
    dut_id          TEXT NOT NULL,
    dut_model       TEXT NOT NULL,
    dut_file        TEXT,
    dut_hash        TEXT,
    bench           TEXT NOT NULL,
    defects         TEXT NOT NULL,
    clock           TEXT NOT NULL,
    verdict         TEXT NOT NULL,
    message         TEXT,
    skipped_reason  TEXT,
    incomplete      BIGINT NOT NULL,
    duration_s      DOUBLE PRECISION NOT NULL,
    log_path        TEXT NOT NULL,
    pack_serial     TEXT,
    pack_firmware   TEXT,
    PRIMARY KEY (run_id, plan_id)
);
CREATE INDEX plan_result_plan ON plan_result (plan_id);

CREATE TABLE instrument (
    run_id          TEXT NOT NULL,
    plan_id         TEXT NOT NULL,
    instrument      TEXT NOT NULL,
    driver          TEXT NOT NULL,
    resource        TEXT NOT NULL,
    identity        TEXT NOT NULL,
    PRIMARY KEY (run_id, plan_id, instrument)
);

CREATE TABLE expectation (
    run_id          TEXT NOT NULL,
    plan_id         TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    t_s             DOUBLE PRECISION NOT NULL,
    step            BIGINT NOT NULL,
    name            TEXT NOT NULL,
    condition_text  TEXT NOT NULL,
    window_text     TEXT NOT NULL,
    location        TEXT NOT NULL,
    verdict         TEXT NOT NULL,
    reaction_s      DOUBLE PRECISION,
    message         TEXT,
    PRIMARY KEY (run_id, plan_id, seq)
);

CREATE TABLE measurement (
    run_id          TEXT NOT NULL,
    plan_id         TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    t_s             DOUBLE PRECISION NOT NULL,
    step            BIGINT NOT NULL,
    name            TEXT NOT NULL,
    kind            TEXT NOT NULL,
    value           DOUBLE PRECISION,
    unit            TEXT NOT NULL,
    min_limit       DOUBLE PRECISION,
    max_limit       DOUBLE PRECISION,
    margin          DOUBLE PRECISION,
    verdict         TEXT NOT NULL,
    location        TEXT NOT NULL,
    message         TEXT,
    PRIMARY KEY (run_id, plan_id, seq)
);
CREATE INDEX measurement_name ON measurement (name);
