package alerts

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/rules"
	"streetsync/internal/ledger"
)

// What people name alerts by, resolved against the alert state: a rule by its code or Chinese
// name, a person by an ID number as every output prints it (masked), a silence's reach before it
// is set, and the communities alerts are filed under. The CLI and the console ask these; they
// hold no rule of their own.

// RuleCode returns the code of the rule s names: a code in any case (cert_expired) or a Chinese
// name (证书过期).
func RuleCode(s string) (string, bool) {
	r, ok := rules.Find(s)
	return r.Code, ok
}

// RuleChoices lists every rule as "CODE 名称", for a message that says what may be given.
func RuleChoices() string {
	parts := make([]string, 0, len(Rules))
	for _, r := range rules.All() {
		parts = append(parts, r.Code+" "+r.Name)
	}
	return strings.Join(parts, "、")
}

// RuleSeverity is a rule's severity ("" for an unknown rule).
func RuleSeverity(code string) string {
	r, _ := rules.Lookup(code)
	return r.Severity
}

// maskedIDRE is an ID number as outputs print it: the first 6 and last 4 characters kept, the
// rest stars (350582********123X). A person may type fewer or more stars.
var maskedIDRE = regexp.MustCompile(`^[0-9]{6}\*+[0-9]{3}[0-9X]$`)

// maskedForm is s as outputs print it, when s is a masked ID number.
func maskedForm(s string) (string, bool) {
	up := strings.ToUpper(strings.TrimSpace(s))
	if !maskedIDRE.MatchString(up) {
		return "", false
	}
	return up[:6] + strings.Repeat("*", 8) + up[len(up)-4:], true
}

// Candidate is one firing alert a target could mean, shown so that a person can pick it.
type Candidate struct {
	Key            string `json:"key"`
	Rule           string `json:"rule"`
	RuleName       string `json:"ruleName"`
	Name           string `json:"name"`
	IDNumber       string `json:"idNumber"` // masked
	EnterpriseName string `json:"enterpriseName"`
}

// AmbiguousError is a target that names more than one thing among the firing alerts: the
// candidates say what each is, with the key that names it alone.
type AmbiguousError struct {
	Target     string
	People     int // how many people the candidates are (a masked ID number shared by several)
	Candidates []Candidate
}

func (e *AmbiguousError) Error() string {
	var b strings.Builder
	if e.People > 1 {
		fmt.Fprintf(&b, reasonAmbiguousPeople, e.Target, e.People)
	} else {
		fmt.Fprintf(&b, reasonAmbiguousAlerts, e.Target, len(e.Candidates))
	}
	for _, c := range e.Candidates {
		fmt.Fprintf(&b, "\n  %s  %s %s（%s）%s", c.Key, c.Name, c.IDNumber, c.EnterpriseName, c.RuleName)
	}
	return b.String()
}

// maxCandidates bounds the firing alerts a masked ID number is looked up among (one person has a
// handful; a masked number shared by this many people is no way to name one).
const maxCandidates = 200

// ResolveTarget turns what `alerts silence --id` names into a matcher: an alert's key, a whole ID
// number (all that person's alerts), or an ID number as outputs print it (masked) when it is one
// person's among the firing alerts. A masked number of several people is an *AmbiguousError
// listing their alerts; one of nobody's is an InputError.
func (s *Store) ResolveTarget(ctx context.Context, target string) (Matcher, error) {
	masked, ok := maskedForm(target)
	if !ok {
		return ParseTarget(target)
	}
	cands, people, err := s.firingOf(ctx, masked)
	if err != nil {
		return Matcher{}, err
	}
	switch {
	case len(people) == 0:
		return Matcher{}, inputErr(reasonNoFiringPerson, masked)
	case len(people) > 1:
		return Matcher{}, &AmbiguousError{Target: masked, People: len(people), Candidates: cands}
	}
	return Matcher{IDHash: people[0]}, nil
}

// ResolveAlert turns what `alerts ack` names into one firing alert's key: a key, or an ID number
// (whole or masked) of a person with exactly one firing alert. A person with several, or a masked
// number of several people, is an *AmbiguousError listing the alerts with their keys.
func (s *Store) ResolveAlert(ctx context.Context, target string) (string, error) {
	t := strings.ToLower(strings.TrimSpace(target))
	if publicKeyRE.MatchString(t) {
		return t, nil
	}
	var cands []Candidate
	var people []string
	shown := target
	if masked, ok := maskedForm(target); ok {
		var err error
		if cands, people, err = s.firingOf(ctx, masked); err != nil {
			return "", err
		}
		shown = masked
	} else {
		m, err := ParseTarget(target)
		if err != nil {
			return "", err
		}
		rows, _, err := s.st.AlertPage(ctx, ledger.AlertQuery{IDHash: m.IDHash, Status: notify.StatusFiring, Now: s.now(), Limit: maxCandidates})
		if err != nil {
			return "", fmt.Errorf("find alerts: %w", err)
		}
		for i := range rows {
			cands = append(cands, candidateOf(&rows[i]))
		}
		people = []string{m.IDHash}
		shown = maskTarget(target)
	}
	switch {
	case len(cands) == 0:
		return "", inputErr(reasonNoFiringPerson, shown)
	case len(cands) > 1:
		return "", &AmbiguousError{Target: shown, People: len(people), Candidates: cands}
	}
	return cands[0].Key, nil
}

// firingOf finds the firing alerts of the people whose ID number prints as masked, and those
// people (by IDHash, in order of first appearance).
func (s *Store) firingOf(ctx context.Context, masked string) ([]Candidate, []string, error) {
	rows, _, err := s.st.AlertPage(ctx, ledger.AlertQuery{Text: masked, Status: notify.StatusFiring, Now: s.now(), Limit: maxCandidates})
	if err != nil {
		return nil, nil, fmt.Errorf("find alerts: %w", err)
	}
	var cands []Candidate
	var people []string
	for i := range rows {
		r := &rows[i]
		if r.Subject != masked || r.IDHash == "" { // the text search also finds it in other fields
			continue
		}
		if !slices.Contains(people, r.IDHash) {
			people = append(people, r.IDHash)
		}
		cands = append(cands, candidateOf(r))
	}
	return cands, people, nil
}

func candidateOf(r *ledger.AlertRow) Candidate {
	return Candidate{Key: r.Key, Rule: r.Rule, RuleName: rules.Name(r.Rule), Name: r.PersonName, IDNumber: r.Subject,
		EnterpriseName: r.EnterpriseName}
}

// Covered returns the firing alerts m covers now — at most limit of them, in listing order — and
// how many there are: what a silence would hold back, or holds back.
func (s *Store) Covered(ctx context.Context, m Matcher, limit int) ([]Record, int, error) {
	m.Key = strings.ToLower(strings.TrimSpace(m.Key))
	if m.Key != "" {
		row, err := s.st.AlertByKey(ctx, m.Key)
		if errors.Is(err, ledger.ErrNotFound) {
			return []Record{}, 0, nil
		}
		if err != nil {
			return nil, 0, fmt.Errorf("read alert %s: %w", m.Key, err)
		}
		switch {
		case row.Status != notify.StatusFiring || !m.matches(&row):
			return []Record{}, 0, nil
		case limit <= 0:
			return []Record{}, 1, nil
		}
		recs, err := s.records(ctx, []ledger.AlertRow{row})
		return recs, 1, err
	}
	q := ledger.AlertQuery{Community: m.Community, Rule: m.Rule, IDHash: m.IDHash, Severity: m.Severity,
		Status: notify.StatusFiring, Now: s.now(), Limit: max(limit, 1)}
	rows, total, err := s.st.AlertPage(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("list alerts: %w", err)
	}
	if limit <= 0 {
		rows = nil
	}
	recs, err := s.records(ctx, rows)
	return recs, total, err
}

// SilenceCover is a silence in force and how many firing alerts it holds back now.
type SilenceCover struct {
	Silence
	Covers int `json:"covers"`
}

// SilencesCovering returns the silences in force, soonest to end first, each with how many
// firing alerts it covers (`alerts silences`, the console's list).
func (s *Store) SilencesCovering(ctx context.Context) ([]SilenceCover, error) {
	sls, err := s.Silences(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]SilenceCover, len(sls))
	for i, sl := range sls {
		_, n, err := s.Covered(ctx, sl.Matcher, 0)
		if err != nil {
			return nil, err
		}
		out[i] = SilenceCover{Silence: sl, Covers: n}
	}
	return out, nil
}

// Communities lists the communities that have open alerts, in order: with the configured
// region.communities, the names `alerts list --community` accepts.
func (s *Store) Communities(ctx context.Context) ([]string, error) {
	cs, err := s.st.OpenAlertCommunities(ctx)
	if err != nil {
		return nil, fmt.Errorf("read communities: %w", err)
	}
	return cs, nil
}
