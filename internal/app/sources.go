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

// enterpriseInfo is what a hazard's alert shows of its enterprise.
type enterpriseInfo struct{ name, community string }

// enterprises reads the ledger's enterprises once for the open hazards' names and communities:
// the open hazards are few, the enterprises a street's thousands.
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

// EachOpenHazard streams the ledger's open hazards with their enterprise's name and community
// (the ledger's; for an enterprise the platform holds alone, the sqmc its pull stored).
func (s alertSources) EachOpenHazard(ctx context.Context, fn func(*alerts.HazardEntry) error) error {
	ents, err := s.enterprises(ctx)
	if err != nil {
		return err
	}
	var entry alerts.HazardEntry
	for h, err := range s.store.Hazards(ctx, ledger.HazardFilter{Status: ledger.HazardsOpen}) {
		if err != nil {
			return fmt.Errorf("read hazards: %w", err)
		}
		e, known := ents[h.USCC]
		entry.Hazard, entry.EnterpriseName, entry.Community = h.Hazard, e.name, h.Community
		if !known || entry.EnterpriseName == "" {
			entry.EnterpriseName = h.EnterpriseName
		}
		if entry.Community == "" {
			entry.Community = e.community
		}
		if err := fn(&entry); err != nil {
			return err
		}
	}
	return nil
}

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
	for e, err := range s.store.Enterprises(ctx, ledger.EnterpriseFilter{}) {
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
