-- Version 12: the free-text search of the alerts (the console's 持证预警 search box and `alerts
-- list --search`: a name, part of an enterprise's name, a masked number) reads this index instead
-- of the alerts table. A search for "%text%" can use no index to seek, so it reads every alert's
-- search text: here a few dozen bytes each, where the table's rows carry each alert's body too (a
-- city's hundred and sixty thousand alerts, SQLite: 60 ms instead of 260 to count what matches,
-- and the page read by it instead of walking the whole listing order).
CREATE INDEX alerts_search ON alerts (search_text);
