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
// answered for it, the unhandled alarms with their enterprise's community, the open hazards and the
// enterprises with their latest inspection and drill.
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

// EachOpenHazard streams the ledger's open hazards with their enterprise's name and community
// (the ledger's; for an enterprise the platform holds alone, the sqmc its pull stored). The
// enterprises are looked up a batch of hazards at a time, by key: a street has thousands of
// enterprises, and few of them have an open hazard.
func (s alertSources) EachOpenHazard(ctx context.Context, fn func(*alerts.HazardEntry) error) error {
	batch := make([]ledger.HazardRecord, 0, hazardBatch)
	emit := func() error {
		usccs := make([]string, 0, len(batch))
		for i := range batch {
			usccs = append(usccs, batch[i].USCC)
		}
		ents, err := s.store.EnterpriseFieldsByUSCC(ctx, usccs)
		if err != nil {
			return err
		}
		var entry alerts.HazardEntry
		for i := range batch {
			h := &batch[i]
			e, known := ents[h.USCC]
			entry.Hazard, entry.EnterpriseName, entry.Community = h.Hazard, e.Name, h.Community
			if !known || entry.EnterpriseName == "" {
				entry.EnterpriseName = h.EnterpriseName
			}
			if entry.Community == "" {
				entry.Community = e.Community
			}
			if err := fn(&entry); err != nil {
				return err
			}
		}
		batch = batch[:0]
		return nil
	}
	for h, err := range s.store.Hazards(ctx, ledger.HazardFilter{Status: ledger.HazardsOpen}) {
		if err != nil {
			return fmt.Errorf("read hazards: %w", err)
		}
		if batch = append(batch, h); len(batch) == hazardBatch {
			if err := emit(); err != nil {
				return err
			}
		}
	}
	if len(batch) > 0 {
		return emit()
	}
	return nil
}

// hazardBatch is how many open hazards are judged per lookup of their enterprises.
const hazardBatch = 500

// EachEnterprise streams the ledger's enterprises with their latest principal-led inspection and
// latest evacuation drill (one pass over each, kept per enterprise: a street has thousands).
func (s alertSources) EachEnterprise(ctx context.Context, fn func(*alerts.EnterpriseEntry) error) error {
	checks := map[string]mapping.Date{}
	for in, err := range s.store.Inspections(ctx, ledger.InspectionFilter{Type: mapping.InspectionPrincipal}) {
		if err != nil {
			return fmt.Errorf("read inspections: %w", err)
		}
		if in.Date.After(checks[in.USCC]) {
			checks[in.USCC] = in.Date
		}
	}
	drills := map[string]mapping.Date{}
	for d, err := range s.store.Drills(ctx, ledger.DrillFilter{Type: mapping.DrillEvacuation}) {
		if err != nil {
			return fmt.Errorf("read drills: %w", err)
		}
		if d.Date.After(drills[d.USCC]) {
			drills[d.USCC] = d.Date
		}
	}
	var entry alerts.EnterpriseEntry
	// The fields only: the sync bookkeeping (hashes, the platform's stored view) costs more to
	// decode than the rest of the row, and no rule reads it.
	for e, err := range s.store.EnterpriseFields(ctx) {
		if err != nil {
			return fmt.Errorf("read enterprises: %w", err)
		}
		entry = alerts.EnterpriseEntry{USCC: e.USCC, Name: e.Name, Community: e.Community, Status: e.Status,
			KeyRisk: len(e.KeyRisks) > 0, FactoryInFactory: e.FactoryInFactory, Employees: e.Employees,
			LastPrincipalCheck: checks[e.USCC], LastEvacuationDrill: drills[e.USCC], PendingReview: e.PendingReview}
		if err := fn(&entry); err != nil {
			return err
		}
	}
	return nil
}
