-- Version 7: the console's counts and lists at a city's scale (ledger.Listings). Each state of an
-- enterprise the front page counts and the ledger page lists is a partial index whose condition
-- is the listing's own (listings.go), so that a count reads the few enterprises in that state,
-- not the whole table.
-- A person is found by the start of their name (OperatorQuery.Search): an index range, not a scan of
-- the roster.
CREATE INDEX operators_name ON operators (name);
CREATE INDEX enterprises_pending_review ON enterprises (uscc) WHERE pending_review = 1;
CREATE INDEX enterprises_not_on_platform ON enterprises (uscc) WHERE pending_review = 0 AND platform_hash = '';
CREATE INDEX enterprises_drifted ON enterprises (uscc)
    WHERE accepted_hash <> '' AND platform_hash <> '' AND platform_hash <> accepted_hash AND platform_hash <> street_hash;
CREATE INDEX enterprises_awaiting_push ON enterprises (uscc)
    WHERE street_hash <> accepted_hash AND (accepted_hash = '' OR platform_hash = '' OR platform_hash = accepted_hash)
    AND NOT (accepted_hash = '' AND platform_hash = street_hash);
