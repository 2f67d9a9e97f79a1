-- Version 11: two partial indexes, so that the alert check reads only the few rows it looks for
-- instead of every open alert (a city has a hundred and sixty thousand). Neither holds a firing
-- alert, so recording what fires costs them nothing. Their leading columns repeat the condition
-- so that a query naming it finds them without the planner's statistics.

-- The resolved alerts still open (a channel may still owe a resolution notice): the check closes
-- them a batch at a time, in key order.
CREATE INDEX alerts_owed ON alerts (is_open, status, alert_key) WHERE is_open = 1 AND status = 'resolved';

-- The closed alerts, by when they resolved: the check forgets those older than the retention.
CREATE INDEX alerts_closed ON alerts (is_open, status, resolved_at) WHERE is_open = 0;
