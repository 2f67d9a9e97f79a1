package app

import (
	"context"
	"fmt"
	"time"

	"streetsync/internal/alerts"
	"streetsync/internal/ledger"
	"streetsync/mapping"
)

// alertSources adapts the ledger and the catalog to what an alert check reads: the on-duty roster
// with each entry's enterprise, certificates and whether the special-operations system ever
// answered for it, and the unhandled alarms with their enterprise's community.
type alertSources struct {
	store   ledger.Store
	catalog *mapping.Catalog
}

func (s alertSources) EachOnDuty(ctx context.Context, day mapping.Date, fn func(*alerts.RosterEntry) error) error {
	var entry alerts.RosterEntry
	for e, err := range s.store.AlertRoster(ctx, day) {
		if err != nil {
			return fmt.Errorf("read roster: %w", err)
		}
		entry.Operator, entry.EnterpriseName, entry.Community = e.Operator, e.EnterpriseName, e.Community
		entry.Certificates, entry.Answered, entry.ItemName = e.Certificates, e.Answered, ""
		if it, ok := s.catalog.Item(e.Operator.ItemCode); ok {
			entry.ItemName = it.Name
		}
		if err := fn(&entry); err != nil {
			return err
		}
	}
	return nil
}

// UnhandledAlarms reads the alarms with their communities in one query: a city's enterprises
// read whole for their communities cost a check two seconds.
func (s alertSources) UnhandledAlarms(ctx context.Context, raisedBefore time.Time) ([]alerts.AlarmEntry, error) {
	var out []alerts.AlarmEntry
	for a, err := range s.store.AlertAlarms(ctx, raisedBefore) {
		if err != nil {
			return nil, fmt.Errorf("read alarms: %w", err)
		}
		out = append(out, alerts.AlarmEntry{Alarm: a.Alarm, Community: a.Community})
	}
	return out, nil
}
