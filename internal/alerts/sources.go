package alerts

import (
	"context"
	"time"

	"streetsync/internal/alerts/rules"
	"streetsync/mapping"
)

// The interfaces the wiring satisfies (with the ledger, the run history, the platforms' health and
// the retry queue). They are declared here, where they are used, and kept to what a check needs.

// RosterEntry is one roster entry as a check judges it: the entry with its enterprise (the rules'
// view), the certificates of its ID number, and whether the special-operations system ever
// answered a query for that number.
type RosterEntry struct {
	rules.RosterEntry
	Certificates []mapping.Certificate
	// Answered: the system answered a query for the ID number (found or not found). An entry
	// with no answer and no stored certificate is unknown, not NO_CERTIFICATE: its query may have
	// failed and wait in the retry queue.
	Answered bool
}

// RosterSource streams the roster. EachOnDuty calls fn for every entry on duty on day (entries
// that are not are skipped again by the caller, so a source may pass them); it stops and returns
// fn's error. The entry is only read during the call, so a source may reuse one value.
type RosterSource interface {
	EachOnDuty(ctx context.Context, day mapping.Date, fn func(*RosterEntry) error) error
}

// AlarmEntry is a risk-monitoring alarm with its enterprise's community.
type AlarmEntry = rules.AlarmEntry

// AlarmSource returns the alarms of level 1 or 2 (红, 橙) whose handling status is 0 (未处置) and
// that were raised at or before raisedBefore. The check filters again, so a source may return more.
type AlarmSource interface {
	UnhandledAlarms(ctx context.Context, raisedBefore time.Time) ([]AlarmEntry, error)
}

// RunHistory tells when a sync job last succeeded (its data is that fresh): the end of its last
// successful run; false when it never succeeded.
type RunHistory interface {
	LastSuccess(ctx context.Context, job string) (time.Time, bool, error)
}

// Health is one platform's health, as PLATFORM_DOWN judges it.
type Health = rules.PlatformHealth

// HealthSource reports the platforms' health.
type HealthSource interface {
	PlatformHealth(ctx context.Context) ([]Health, error)
}

// Enqueuer hands a failed delivery to the retry queue: kind is RetryKind, key names the channel
// and community (see Checker.Redeliver), cause is the delivery's error (a *DeliveryError). It
// returns the queue item's ID. *retry.Queue satisfies it as it is.
type Enqueuer interface {
	Enqueue(ctx context.Context, kind, key string, cause error) (string, error)
}
