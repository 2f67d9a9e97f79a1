-- Version 8: a silence may be limited to one severity. `alerts silence` without
-- --include-critical mutes warnings only, so that a silence set for a community's known warnings
-- never holds back a critical alert (无证上岗) that starts firing there later. '' = every severity.
ALTER TABLE alert_silences ADD COLUMN severity TEXT NOT NULL DEFAULT '';
