-- The street's ledger, version 1. The PostgreSQL schema (postgres/migrations) is this file with
-- one substitution — the auto-numbered id columns are BIGSERIAL there — and a test holds the two
-- to that. Plain SQL only: times are BIGINT Unix milliseconds (0 = none), dates TEXT
-- yyyy-MM-dd ('' = none), flags INTEGER 0/1, lists and problems TEXT (JSON or comma-separated).

-- One enterprise of the street. Street-owned fields first, then the platform-owned ones, then the
-- sync state for the three-way comparison: street_hash (street-owned fields now), accepted_hash
-- (as the platform last accepted them) and platform_hash/platform_street (as last seen on the
-- platform).
CREATE TABLE enterprises (
    uscc                TEXT PRIMARY KEY,
    name                TEXT NOT NULL DEFAULT '',
    legal_rep           TEXT NOT NULL DEFAULT '',
    principal           TEXT NOT NULL DEFAULT '',
    principal_phone     TEXT NOT NULL DEFAULT '',
    safety_manager      TEXT NOT NULL DEFAULT '',
    address             TEXT NOT NULL DEFAULT '',
    region_code         TEXT NOT NULL DEFAULT '',
    community           TEXT NOT NULL DEFAULT '',
    industry            TEXT NOT NULL DEFAULT '',
    key_risks           TEXT NOT NULL DEFAULT '',
    employees           INTEGER NOT NULL DEFAULT 0,
    status              TEXT NOT NULL DEFAULT '',
    factory_in_factory  INTEGER NOT NULL DEFAULT 0,
    remark              TEXT NOT NULL DEFAULT '',
    warnings            TEXT NOT NULL DEFAULT '',
    content_hash        TEXT NOT NULL,
    street_hash         TEXT NOT NULL,
    pending_review      INTEGER NOT NULL DEFAULT 0,
    platform_id         TEXT NOT NULL DEFAULT '',
    grade               TEXT NOT NULL DEFAULT '',
    grade_valid_until   TEXT NOT NULL DEFAULT '',
    risk_monitored      INTEGER NOT NULL DEFAULT 0,
    platform_updated_at BIGINT NOT NULL DEFAULT 0,
    accepted_hash       TEXT NOT NULL DEFAULT '',
    accepted_at         BIGINT NOT NULL DEFAULT 0,
    platform_street     TEXT NOT NULL DEFAULT '',
    platform_hash       TEXT NOT NULL DEFAULT '',
    platform_view_at    BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    modified_at         BIGINT NOT NULL
);
CREATE INDEX enterprises_community ON enterprises (community);

-- The special-operator roster: one person doing one operation item at one enterprise.
CREATE TABLE operators (
    id_number       TEXT NOT NULL,
    enterprise_uscc TEXT NOT NULL,
    item_code       TEXT NOT NULL,
    name            TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    category_code   TEXT NOT NULL DEFAULT '',
    start_date      TEXT NOT NULL DEFAULT '',
    end_date        TEXT NOT NULL DEFAULT '',
    remark          TEXT NOT NULL DEFAULT '',
    warnings        TEXT NOT NULL DEFAULT '',
    content_hash    TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    modified_at     BIGINT NOT NULL,
    PRIMARY KEY (id_number, enterprise_uscc, item_code)
);
CREATE INDEX operators_enterprise ON operators (enterprise_uscc);

-- The stored copy of special-operation certificates, identified by (cert_no, item_code).
CREATE TABLE certificates (
    cert_no           TEXT NOT NULL,
    item_code         TEXT NOT NULL,
    id_number         TEXT NOT NULL,
    holder_name       TEXT NOT NULL DEFAULT '',
    gender            TEXT NOT NULL DEFAULT '',
    category_code     TEXT NOT NULL DEFAULT '',
    category_name     TEXT NOT NULL DEFAULT '',
    item_name         TEXT NOT NULL DEFAULT '',
    first_issue_date  TEXT NOT NULL DEFAULT '',
    valid_from        TEXT NOT NULL DEFAULT '',
    valid_until       TEXT NOT NULL DEFAULT '',
    review_due_date   TEXT NOT NULL DEFAULT '',
    last_review_date  TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL DEFAULT '',
    issuer            TEXT NOT NULL DEFAULT '',
    source_updated_at BIGINT NOT NULL DEFAULT 0,
    content_hash      TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    modified_at       BIGINT NOT NULL,
    PRIMARY KEY (cert_no, item_code)
);
CREATE INDEX certificates_id_number ON certificates (id_number);

-- When the special-operations system last answered a query by ID number (found or notFound), so
-- that sync asks only for ID numbers without a recent answer.
CREATE TABLE certificate_answers (
    id_number   TEXT PRIMARY KEY,
    answered_at BIGINT NOT NULL
);
CREATE INDEX certificate_answers_answered_at ON certificate_answers (answered_at);

-- Employment registrations (用工登记) as pushed, one per roster entry.
CREATE TABLE employments (
    id_number       TEXT NOT NULL,
    enterprise_uscc TEXT NOT NULL,
    item_code       TEXT NOT NULL,
    cert_no         TEXT NOT NULL DEFAULT '',
    start_date      TEXT NOT NULL DEFAULT '',
    end_date        TEXT NOT NULL DEFAULT '',
    status          TEXT NOT NULL DEFAULT '',
    accepted_at     BIGINT NOT NULL DEFAULT 0,
    modified_at     BIGINT NOT NULL,
    PRIMARY KEY (id_number, enterprise_uscc, item_code)
);

-- Risk-monitoring alarms of the Quanzhou platform (stored copy).
CREATE TABLE alarms (
    id                TEXT PRIMARY KEY,
    platform_id       TEXT NOT NULL DEFAULT '',
    uscc              TEXT NOT NULL DEFAULT '',
    enterprise_name   TEXT NOT NULL DEFAULT '',
    point_code        TEXT NOT NULL DEFAULT '',
    point_name        TEXT NOT NULL DEFAULT '',
    quantity          TEXT NOT NULL DEFAULT '',
    unit              TEXT NOT NULL DEFAULT '',
    value             TEXT NOT NULL DEFAULT '',
    threshold         TEXT NOT NULL DEFAULT '',
    type              TEXT NOT NULL DEFAULT '',
    level             INTEGER NOT NULL DEFAULT 0,
    raised_at         BIGINT NOT NULL DEFAULT 0,
    recovered_at      BIGINT NOT NULL DEFAULT 0,
    handling_status   TEXT NOT NULL DEFAULT '',
    handling_note     TEXT NOT NULL DEFAULT '',
    handler           TEXT NOT NULL DEFAULT '',
    handled_at        BIGINT NOT NULL DEFAULT 0,
    source_updated_at BIGINT NOT NULL DEFAULT 0,
    content_hash      TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    modified_at       BIGINT NOT NULL
);
CREATE INDEX alarms_raised_at ON alarms (raised_at);
CREATE INDEX alarms_uscc_raised_at ON alarms (uscc, raised_at);

-- The street's handling of alarms (闭环) and the state of its push to the platform.
CREATE TABLE alarm_feedback (
    id           BIGSERIAL PRIMARY KEY,
    alarm_id     TEXT NOT NULL,
    status       TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    handler      TEXT NOT NULL DEFAULT '',
    handled_at   BIGINT NOT NULL DEFAULT 0,
    content_hash TEXT NOT NULL,
    push_state   TEXT NOT NULL DEFAULT 'pending',
    push_message TEXT NOT NULL DEFAULT '',
    recorded_at  BIGINT NOT NULL,
    pushed_at    BIGINT NOT NULL DEFAULT 0,
    UNIQUE (alarm_id, content_hash)
);
CREATE INDEX alarm_feedback_push_state ON alarm_feedback (push_state, id);

-- Rejected inputs with their reasons and origin. raw is kept as given (this is the ledger);
-- has_id_number marks raw payloads that carry an unmasked ID number. One open entry per
-- (source, kind, record_key): seeing the same bad record again updates it.
CREATE TABLE quarantine (
    id            BIGSERIAL PRIMARY KEY,
    source        TEXT NOT NULL,
    kind          TEXT NOT NULL,
    record_key    TEXT NOT NULL,
    reasons       TEXT NOT NULL DEFAULT '',
    raw           TEXT NOT NULL DEFAULT '',
    has_id_number INTEGER NOT NULL DEFAULT 0,
    occurrences   INTEGER NOT NULL DEFAULT 1,
    first_seen_at BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    resolved_at   BIGINT NOT NULL DEFAULT 0,
    resolution    TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX quarantine_open ON quarantine (source, kind, record_key) WHERE resolved_at = 0;
CREATE INDEX quarantine_resolved_at ON quarantine (resolved_at, id);
