-- Version 9: hazards (隐患), their status history, the platform's inspections and the street's
-- drills (contracts/hazards.md). The PostgreSQL file differs only in its auto-numbered id column.
--
-- A hazard's key is the street's identity of it: its lybh when the street reported it, else the
-- platform's yhid. Street-reported hazards carry the three-way state of their reporter fields as
-- enterprises do (street_hash, accepted_hash, platform_hash with the platform's view as JSON in
-- platform_reported); status is the furthest forward of both sides, platform_status the
-- platform's as last seen. closed_on is the day the hazard was closed (销号), for the figures.
CREATE TABLE hazards (
    hazard_key          TEXT PRIMARY KEY,
    street_id           TEXT NOT NULL DEFAULT '',
    platform_id         TEXT NOT NULL DEFAULT '',
    uscc                TEXT NOT NULL,
    enterprise_id       TEXT NOT NULL DEFAULT '',
    enterprise_name     TEXT NOT NULL DEFAULT '',
    region_code         TEXT NOT NULL DEFAULT '',
    source              TEXT NOT NULL DEFAULT '',
    level               TEXT NOT NULL DEFAULT '',
    clause              TEXT NOT NULL DEFAULT '',
    description         TEXT NOT NULL DEFAULT '',
    location            TEXT NOT NULL DEFAULT '',
    found_on            TEXT NOT NULL DEFAULT '',
    found_by            TEXT NOT NULL DEFAULT '',
    deadline            TEXT NOT NULL DEFAULT '',
    responsible         TEXT NOT NULL DEFAULT '',
    measures            TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL DEFAULT '0',
    status_note         TEXT NOT NULL DEFAULT '',
    status_by           TEXT NOT NULL DEFAULT '',
    status_at           BIGINT NOT NULL DEFAULT 0,
    closed_on           TEXT NOT NULL DEFAULT '',
    remark              TEXT NOT NULL DEFAULT '',
    warnings            TEXT NOT NULL DEFAULT '',
    street_hash         TEXT NOT NULL DEFAULT '',
    accepted_hash       TEXT NOT NULL DEFAULT '',
    accepted_at         BIGINT NOT NULL DEFAULT 0,
    platform_reported   TEXT NOT NULL DEFAULT '',
    platform_hash       TEXT NOT NULL DEFAULT '',
    platform_status     TEXT NOT NULL DEFAULT '',
    platform_updated_at BIGINT NOT NULL DEFAULT 0,
    created_at          BIGINT NOT NULL,
    modified_at         BIGINT NOT NULL
);
CREATE UNIQUE INDEX hazards_platform_id ON hazards (platform_id) WHERE platform_id <> '';
CREATE INDEX hazards_uscc ON hazards (uscc);
CREATE INDEX hazards_status_deadline ON hazards (status, deadline);
CREATE INDEX hazards_level_found_on ON hazards (level, found_on);

-- Every status change of a hazard, from either side. A street change waits for its push
-- (push_state pending → accepted or rejected); a platform change is recorded as seen
-- (push_state ''). content_hash makes recording the same change twice one row.
CREATE TABLE hazard_status_changes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    hazard_key   TEXT NOT NULL,
    side         TEXT NOT NULL,
    status       TEXT NOT NULL,
    note         TEXT NOT NULL DEFAULT '',
    handler      TEXT NOT NULL DEFAULT '',
    changed_at   BIGINT NOT NULL DEFAULT 0,
    content_hash TEXT NOT NULL,
    push_state   TEXT NOT NULL DEFAULT '',
    push_message TEXT NOT NULL DEFAULT '',
    recorded_at  BIGINT NOT NULL,
    pushed_at    BIGINT NOT NULL DEFAULT 0,
    UNIQUE (hazard_key, side, content_hash)
);
CREATE INDEX hazard_status_changes_push ON hazard_status_changes (push_state, id);

-- The platform's inspection records (企业检查记录), keyed by jcid.
CREATE TABLE inspections (
    id                TEXT PRIMARY KEY,
    uscc              TEXT NOT NULL,
    enterprise_name   TEXT NOT NULL DEFAULT '',
    inspected_on      TEXT NOT NULL DEFAULT '',
    type              TEXT NOT NULL DEFAULT '',
    led_by            TEXT NOT NULL DEFAULT '',
    hazards_found     INTEGER NOT NULL DEFAULT 0,
    source_updated_at BIGINT NOT NULL DEFAULT 0,
    content_hash      TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    modified_at       BIGINT NOT NULL
);
CREATE INDEX inspections_uscc_type_date ON inspections (uscc, type, inspected_on);

-- The street's drill records (演练记录), one per enterprise, day and type.
CREATE TABLE drills (
    uscc         TEXT NOT NULL,
    drilled_on   TEXT NOT NULL,
    type         TEXT NOT NULL,
    participants INTEGER NOT NULL DEFAULT 0,
    remark       TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    modified_at  BIGINT NOT NULL,
    PRIMARY KEY (uscc, drilled_on, type)
);
CREATE INDEX drills_type_date ON drills (type, drilled_on);
