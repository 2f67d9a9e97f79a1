package alerts

import (
	"context"
	"fmt"

	"go.uber.org/zap"

	"streetsync/internal/alerts/rules"
	"streetsync/internal/config"
)

// The hazard rules of contracts/hazards.md, as three more judges of the check: the hazard family
// judges the open hazards (fresh when `sync hazards` succeeded within alerts.maxDataAge), the
// inspection family the enterprises' principal-led inspections (`sync inspections`), the drill
// family the street's own drill records (no sync: always current; judged only when
// drills.trackSince is set). Their alerts share the certificate alerts' state machine, channels,
// acknowledgement, silences, escalation and history.

// HazardEntry is one open hazard with its enterprise's name and community.
type HazardEntry = rules.HazardEntry

// EnterpriseEntry is one enterprise as QUARTERLY_CHECK_MISSING and DRILL_OVERDUE judge it.
type EnterpriseEntry = rules.EnterpriseEntry

// HazardSource streams what the hazard rules judge. Each method stops and returns fn's error; the
// entry is only read during the call.
type HazardSource interface {
	// EachOpenHazard calls fn for every hazard not yet closed (已销号).
	EachOpenHazard(ctx context.Context, fn func(*HazardEntry) error) error
	// EachEnterprise calls fn for every enterprise of the ledger (those the platform holds alone
	// included), with its latest principal-led inspection and latest 疏散逃生 drill.
	EachEnterprise(ctx context.Context, fn func(*EnterpriseEntry) error) error
}

// HazardRules turns the configuration's hazard sections into the hazard rules' settings.
func HazardRules(h config.Hazards, i config.Inspections, d config.Drills) rules.HazardConfig {
	return rules.HazardConfig{DueWithinDays: h.DueWithinDays, WarnDaysBeforeQuarterEnd: i.WarnDaysBeforeQuarterEnd,
		LaborIntensiveEmployees: d.LaborIntensiveEmployees, DrillsTrackSince: d.TrackSinceDate()}
}

// WithHazardRules sets the hazard rules' settings (default: config.Default's, DRILL_OVERDUE off).
func WithHazardRules(cfg rules.HazardConfig) Option { return func(o *options) { o.hazards = &cfg } }

func defaultHazardRules() rules.HazardConfig {
	def := config.Default()
	return HazardRules(def.Hazards, def.Inspections, def.Drills)
}

// hazardJudges are the judges of the three hazard families, over src.
func (c *Checker) hazardJudges() []judge {
	return []judge{
		{rules.Hazard, c.evaluateHazards},
		{rules.Inspection, c.enterpriseJudge(rules.Inspection)},
		{rules.Drill, c.enterpriseJudge(rules.Drill)},
	}
}

// evaluateHazards streams the open hazards through the hazard rules. A failing source leaves the
// hazard alerts as they are: the other families are still judged.
func (c *Checker) evaluateHazards(ctx context.Context, r *checkRun, add func(rules.Finding) error) ([]rules.Rule, error) {
	day := today(r.now, c.store.loc)
	var buf []rules.Finding
	var addErr error
	err := c.src.Hazards.EachOpenHazard(ctx, func(e *HazardEntry) error {
		buf = rules.AppendHazardFindings(buf[:0], e, day, c.hazardCfg)
		for i := range buf {
			if addErr = add(buf[i]); addErr != nil {
				return addErr
			}
		}
		return nil
	})
	if addErr != nil {
		return nil, addErr
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("alerts: read hazards: %w", err)
		}
		c.log.Warn("hazard source failed: the hazard rules are not evaluated this run", zap.Error(err))
		return nil, nil
	}
	return familyRules(rules.Hazard), nil
}

// enterpriseJudge judges the enterprises by the rules of fam (QUARTERLY_CHECK_MISSING or
// DRILL_OVERDUE). With drills.trackSince unset the drill rule is judged and finds nothing, so
// that turning it off resolves what it raised.
func (c *Checker) enterpriseJudge(fam rules.Family) func(ctx context.Context, r *checkRun, add func(rules.Finding) error) ([]rules.Rule, error) {
	return func(ctx context.Context, r *checkRun, add func(rules.Finding) error) ([]rules.Rule, error) {
		if fam == rules.Drill && c.hazardCfg.DrillsTrackSince.IsZero() {
			return familyRules(fam), nil
		}
		day := today(r.now, c.store.loc)
		var buf []rules.Finding
		var addErr error
		err := c.src.Hazards.EachEnterprise(ctx, func(e *EnterpriseEntry) error {
			buf = rules.AppendEnterpriseFindings(buf[:0], fam, e, day, c.hazardCfg)
			for i := range buf {
				if addErr = add(buf[i]); addErr != nil {
					return addErr
				}
			}
			return nil
		})
		if addErr != nil {
			return nil, addErr
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("alerts: read enterprises: %w", err)
			}
			c.log.Warn("enterprise source failed: rules not evaluated this run", zap.String("family", fam.Code), zap.Error(err))
			return nil, nil
		}
		return familyRules(fam), nil
	}
}
