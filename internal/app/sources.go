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

// enterpriseIndex maps USCC to what alerts show of an enterprise; a street has thousands, read
// once per check.
type enterpriseInfo struct{ name, community string }

func (s alertSources) enterprises(ctx context.Context) (map[string]enterpriseInfo, error) {
	out := map[string]enterpriseInfo{}
	for e, err := range s.store.Enterprises(ctx, ledger.EnterpriseFilter{}) {
		if err != nil {
			return nil, fmt.Errorf("read enterprises: %w", err)
		}
		out[e.USCC] = enterpriseInfo{name: e.Name, community: e.Community}
	}
	return out, nil
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

func (s alertSources) UnhandledAlarms(ctx context.Context, raisedBefore time.Time) ([]alerts.AlarmEntry, error) {
	ents, err := s.enterprises(ctx)
	if err != nil {
		return nil, err
	}
	var out []alerts.AlarmEntry
	for a, err := range s.store.Alarms(ctx, ledger.AlarmFilter{To: raisedBefore.Add(time.Millisecond), Unhandled: true}) {
		if err != nil {
			return nil, fmt.Errorf("read alarms: %w", err)
		}
		if a.Level < 1 || a.Level > 2 {
			continue
		}
		out = append(out, alerts.AlarmEntry{Alarm: a, Community: ents[a.USCC].community})
	}
	return out, nil
}
