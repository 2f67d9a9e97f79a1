-- Version 2: what an incremental employment run looks up instead of reading the whole roster —
-- roster entries and certificates changed since its last run, roster entries that start, and
-- certificates that become valid, since its last day (see RegistrationsDueSince).
CREATE INDEX operators_modified_at ON operators (modified_at);
CREATE INDEX operators_start_date ON operators (start_date);
CREATE INDEX certificates_modified_at ON certificates (modified_at);
CREATE INDEX certificates_valid_from ON certificates (valid_from);
