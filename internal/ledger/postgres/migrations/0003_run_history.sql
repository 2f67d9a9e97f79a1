-- Version 3: what the scheduler and the daemon keep in the ledger rather than in Redis, so that
-- the CLI's runs and every daemon's agree and a loss of Redis data neither re-runs every job nor
-- hides what happened (see RunHistory).

-- One run of a scheduled job (sync jobs and the alert check): the run history the console pages
-- through, and each job's last successful run (catch-up, data freshness). Pruned on insert to the
-- newest runs of each job; the last successful one is always kept.
CREATE TABLE job_runs (
    id           BIGSERIAL PRIMARY KEY,
    job          TEXT NOT NULL,
    trigger_kind TEXT NOT NULL,
    slot_at      BIGINT NOT NULL,
    started_at   BIGINT NOT NULL,
    finished_at  BIGINT NOT NULL,
    outcome      TEXT NOT NULL,
    reason       TEXT NOT NULL DEFAULT '',
    error        TEXT NOT NULL DEFAULT '',
    counts       TEXT NOT NULL DEFAULT '',
    instance     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX job_runs_job ON job_runs (job, id);
CREATE INDEX job_runs_slot ON job_runs (job, slot_at);

-- Per platform (quanzhou, specialops): how its calls have been going, merged from every
-- process's observations in batches.
CREATE TABLE platform_health (
    platform             TEXT PRIMARY KEY,
    last_success_at      BIGINT NOT NULL DEFAULT 0,
    failing_since        BIGINT NOT NULL DEFAULT 0,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error           TEXT NOT NULL DEFAULT '',
    last_error_at        BIGINT NOT NULL DEFAULT 0,
    updated_at           BIGINT NOT NULL DEFAULT 0
);

-- One row: the marker the daemons expect in Redis, and the last time they found it gone (Redis
-- lost its data: a restart without persistence, a failover, FLUSHDB).
CREATE TABLE redis_marks (
    id      INTEGER PRIMARY KEY,
    marker  TEXT NOT NULL DEFAULT '',
    lost_at BIGINT NOT NULL DEFAULT 0,
    lost_by TEXT NOT NULL DEFAULT ''
);
