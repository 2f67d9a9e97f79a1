-- Version 14: the alert indexes a first check builds after its rows. A first check writes every
-- alert at once (a city: a hundred and sixty thousand, each with its history), and an index built
-- once the rows are in costs a fraction of one kept up to date row by row. While they are dropped
-- their definitions wait here; whatever opens the ledger or checks next builds what is listed, so
-- a check that dies between leaves nothing missing.
CREATE TABLE alert_deferred_indexes (
    name       TEXT PRIMARY KEY,
    definition TEXT NOT NULL
);
