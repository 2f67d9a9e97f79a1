-- Version 4: the alert engine's state. Package alerts decides every transition; the ledger keeps
-- them, so that nothing an operator decided and nothing already delivered is lost with Redis.
-- ID numbers appear here only masked or hashed: the roster keeps the numbers, these tables keep
-- what people are shown.

-- One alert: its identity (the public key, a hash of rule, subject and enterprise), what it is
-- about (the columns listings filter, sort and search on), the rest of what was last shown (body:
-- JSON, masked), and its state. is_open is 1 while it fires or a resolution is still to deliver; the delivery pass reads
-- only open alerts. ack_episode/ack_version name the episode and version acknowledged: a change of
-- the alert or a new episode is not acknowledged.
CREATE TABLE alerts (
    alert_key       TEXT PRIMARY KEY,
    family          TEXT NOT NULL,
    rule            TEXT NOT NULL,
    rule_order      INTEGER NOT NULL DEFAULT 0,
    severity        TEXT NOT NULL,
    severity_rank   INTEGER NOT NULL DEFAULT 0,
    community       TEXT NOT NULL DEFAULT '',
    enterprise_uscc TEXT NOT NULL DEFAULT '',
    enterprise_name TEXT NOT NULL DEFAULT '',
    subject         TEXT NOT NULL DEFAULT '',
    person_name     TEXT NOT NULL DEFAULT '',
    id_hash         TEXT NOT NULL DEFAULT '',
    cert_no         TEXT NOT NULL DEFAULT '',
    search_text     TEXT NOT NULL DEFAULT '',
    fingerprint     TEXT NOT NULL,
    body_hash       TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    episode         INTEGER NOT NULL,
    version         INTEGER NOT NULL,
    since           BIGINT NOT NULL,
    changed_at      BIGINT NOT NULL,
    last_seen       BIGINT NOT NULL DEFAULT 0,
    resolved_at     BIGINT NOT NULL DEFAULT 0,
    escalated_at    BIGINT NOT NULL DEFAULT 0,
    is_open         INTEGER NOT NULL DEFAULT 1,
    ack_episode     INTEGER NOT NULL DEFAULT 0,
    ack_version     INTEGER NOT NULL DEFAULT 0,
    ack_by          TEXT NOT NULL DEFAULT '',
    ack_note        TEXT NOT NULL DEFAULT '',
    ack_at          BIGINT NOT NULL DEFAULT 0
);
-- The delivery pass (open alerts by community), the counts and the sweep of what stopped firing
-- (by family and status), the default listing (severity, then age), the search by a whole ID or
-- certificate number (the hash of the ID number in it) and by enterprise.
CREATE INDEX alerts_open ON alerts (is_open, community);
CREATE INDEX alerts_family ON alerts (family, status, severity, community, rule);
CREATE INDEX alerts_listing ON alerts (status, severity_rank, since, alert_key);
CREATE INDEX alerts_id_hash ON alerts (id_hash);
CREATE INDEX alerts_enterprise ON alerts (enterprise_uscc);

-- Each alert's history: fired, changed, delivered (on which channel, what notice) or failed,
-- acknowledged (by whom, the note), escalated, silenced (until when, why), resolved.
CREATE TABLE alert_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_key TEXT NOT NULL,
    at        BIGINT NOT NULL,
    type      TEXT NOT NULL,
    channel   TEXT NOT NULL DEFAULT '',
    notice    TEXT NOT NULL DEFAULT '',
    actor     TEXT NOT NULL DEFAULT '',
    note      TEXT NOT NULL DEFAULT '',
    error     TEXT NOT NULL DEFAULT '',
    until_at  BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX alert_events_key ON alert_events (alert_key, id);

-- The last delivery of each alert to each channel: which episode and version the channel was last
-- told of and when (repeats count from sent_at), whether the escalation and the resolution of an
-- episode went out, and the last attempt's outcome.
CREATE TABLE alert_deliveries (
    alert_key    TEXT NOT NULL,
    channel      TEXT NOT NULL,
    episode      INTEGER NOT NULL DEFAULT 0,
    version      INTEGER NOT NULL DEFAULT 0,
    sent_at      BIGINT NOT NULL DEFAULT 0,
    escalated_ep INTEGER NOT NULL DEFAULT 0,
    resolved_ep  INTEGER NOT NULL DEFAULT 0,
    last_notice  TEXT NOT NULL DEFAULT '',
    last_at      BIGINT NOT NULL DEFAULT 0,
    last_ok      INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (alert_key, channel)
);

-- A delivery pass's claim on one community's message to one channel: while it stands (until
-- claim_until) no other run decides, sends or records that message. A run that dies leaves it to
-- expire.
CREATE TABLE alert_claims (
    channel     TEXT NOT NULL,
    community   TEXT NOT NULL,
    run         TEXT NOT NULL,
    claim_until BIGINT NOT NULL,
    PRIMARY KEY (channel, community)
);

-- Silences: which alerts they mute (every non-empty matcher field must match), until when, why,
-- who and when. ended_at is set when a silence is lifted early.
CREATE TABLE alert_silences (
    id         TEXT PRIMARY KEY,
    alert_key  TEXT NOT NULL DEFAULT '',
    community  TEXT NOT NULL DEFAULT '',
    rule       TEXT NOT NULL DEFAULT '',
    id_hash    TEXT NOT NULL DEFAULT '',
    until_at   BIGINT NOT NULL,
    reason     TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    ended_at   BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX alert_silences_until ON alert_silences (until_at);

-- When each family of rules was last judged (a check that evaluated it).
CREATE TABLE alert_checks (
    family     TEXT PRIMARY KEY,
    checked_at BIGINT NOT NULL
);
