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
// with each entry's enterprise name and community, certificates by ID number, and the unhandled
// alarms with their enterprise's community.
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
	ents, err := s.enterprises(ctx)
	if err != nil {
		return err
	}
	for op, err := range s.store.Operators(ctx, ledger.OperatorFilter{OnDuty: day}) {
		if err != nil {
			return fmt.Errorf("read roster: %w", err)
		}
		info := ents[op.EnterpriseUSCC]
		entry := alerts.RosterEntry{Operator: op.Operator, EnterpriseName: info.name, Community: info.community}
		if it, ok := s.catalog.Item(op.ItemCode); ok {
			entry.ItemName = it.Name
		}
		if err := fn(&entry); err != nil {
			return err
		}
	}
	return nil
}

func (s alertSources) CertificatesByID(ctx context.Context, idNumbers []string) (map[string][]mapping.Certificate, error) {
	return s.store.CertificatesByIDNumbers(ctx, idNumbers)
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
