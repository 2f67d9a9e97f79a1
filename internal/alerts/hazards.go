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

// evaluateHazards judges the open hazards.
func (c *Checker) evaluateHazards(ctx context.Context, r *checkRun, add func(rules.Finding) error) ([]rules.Rule, error) {
	day := today(r.now, c.store.loc)
	return judgeEach(ctx, c, rules.Hazard, c.src.Hazards.EachOpenHazard, add,
		func(out []rules.Finding, e *HazardEntry) []rules.Finding {
			return rules.AppendHazardFindings(out, e, day, c.hazardCfg)
		})
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
		return judgeEach(ctx, c, fam, c.src.Hazards.EachEnterprise, add,
			func(out []rules.Finding, e *EnterpriseEntry) []rules.Finding {
				return rules.AppendEnterpriseFindings(out, fam, e, day, c.hazardCfg)
			})
	}
}

// judgeEach streams a source's subjects through judge, handing every finding to add. A failing
// source (not a cancelled check) leaves the family's alerts as they are, neither fired nor
// resolved: the other families are still judged.
func judgeEach[E any](ctx context.Context, c *Checker, fam rules.Family, each func(context.Context, func(*E) error) error,
	add func(rules.Finding) error, judge func(out []rules.Finding, e *E) []rules.Finding) ([]rules.Rule, error) {
	var buf []rules.Finding
	var addErr error
	err := each(ctx, func(e *E) error {
		buf = judge(buf[:0], e)
		for i := range buf {
			if addErr = add(buf[i]); addErr != nil {
				return addErr
			}
		}
		return nil
	})
	switch {
	case addErr != nil:
		return nil, addErr
	case err != nil && ctx.Err() != nil:
		return nil, fmt.Errorf("alerts: read the %s rules' data: %w", fam.Code, err)
	case err != nil:
		c.log.Warn("source failed: rules not evaluated this run", zap.String("family", fam.Code), zap.Error(err))
		return nil, nil
	}
	return familyRules(fam), nil
}
