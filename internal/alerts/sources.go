package alerts

import (
	"context"
	"time"

	"streetsync/mapping"
)

// The interfaces the wiring satisfies (with the ledger and the retry queue). They are declared
// here, where they are used, and kept to what the check needs.

// RosterEntry is one roster entry joined with what its alerts show about its enterprise.
type RosterEntry struct {
	Operator       mapping.Operator
	EnterpriseName string
	Community      string // 所属社区 of the enterprise; routes the alert
	ItemName       string // 操作项目 name from the catalog; "" falls back to the certificate's
}

// RosterSource streams the roster. EachOnDuty calls fn for every entry on duty on day (entries
// that are not are skipped again by the caller, so a source may pass them); it stops and returns
// fn's error. The entry is only read during the call (the caller copies what it keeps), so a
// source may reuse one value for every row it scans.
type RosterSource interface {
	EachOnDuty(ctx context.Context, day mapping.Date, fn func(*RosterEntry) error) error
}

// CertificateSource returns the stored certificates of up to a batch (1000) of ID numbers, keyed
// by the ID number as asked. A person without certificates has no entry.
type CertificateSource interface {
	CertificatesByID(ctx context.Context, idNumbers []string) (map[string][]mapping.Certificate, error)
}

// AlarmEntry is a risk-monitoring alarm with its enterprise's community.
type AlarmEntry struct {
	Alarm     mapping.Alarm
	Community string
}

// AlarmSource returns the alarms of level 1 or 2 (红, 橙) whose handling status is 0 (未处置) and
// that were raised at or before raisedBefore. The check filters again, so a source may return more.
type AlarmSource interface {
	UnhandledAlarms(ctx context.Context, raisedBefore time.Time) ([]AlarmEntry, error)
}

// Enqueuer hands a failed delivery to the retry queue: kind is RetryKind, key names the channel
// and community (see Checker.Redeliver), cause is the delivery's error (a *DeliveryError). It
// returns the queue item's ID. *retry.Queue satisfies it as it is.
type Enqueuer interface {
	Enqueue(ctx context.Context, kind, key string, cause error) (string, error)
}
