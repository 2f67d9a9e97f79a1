// Package reconcile is the operators' manual reconciliation: it compares fresh data from the
// Quanzhou platform with the street's ledger — enterprises only in the ledger (the 应统尽统 gap),
// only on the platform, and field differences after normalization, each saying which side owns
// the field — and the roster against employment registrations and certificates. Apply makes each
// side agree with its owner through the sync jobs' own code paths.
//
// Comparison holds neither side whole: it reads the platform's records a batch at a time and
// looks each batch up in the ledger by key, then reads the ledger in USCC order for what the
// platform lacks, holding only the USCCs seen and what needs attention; hazards go the same way;
// it streams the roster. Only Run keeps the platform's records Apply acts on; Compare keeps none.
package reconcile

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"streetsync/connectors/quanzhou"
	"streetsync/internal/alerts/rules"
	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// Scope says what to reconcile (the command's argument).
type Scope string

const (
	ScopeAll         Scope = "all"
	ScopeEnterprises Scope = "enterprises"
	ScopeOperators   Scope = "operators"
)

// ParseScope reads the command's argument ("" = all).
func ParseScope(s string) (Scope, error) {
	switch Scope(s) {
	case "", ScopeAll:
		return ScopeAll, nil
	case ScopeEnterprises, ScopeOperators, ScopeHazards:
		return Scope(s), nil
	}
	return "", fmt.Errorf("unknown reconcile scope %q: want enterprises, operators, hazards or all", s)
}

func (s Scope) enterprises() bool { return s == ScopeAll || s == ScopeEnterprises }
func (s Scope) operators() bool   { return s == ScopeAll || s == ScopeOperators }

// Platform is what reconciliation reads from the Quanzhou platform.
type Platform interface {
	Enterprises(ctx context.Context, from quanzhou.Mark) (iter.Seq2[quanzhou.PulledEnterprise, error], *quanzhou.Progress)
	GetEnterprise(ctx context.Context, uscc string) (mapping.QZEnterprise, error)
}

// Store is what reconciliation reads from, and records into, the ledger.
type Store interface {
	EnterpriseByUSCC(ctx context.Context, uscc string) (ledger.EnterpriseRecord, error)
	EnterpriseFieldsByUSCC(ctx context.Context, usccs []string) (map[string]mapping.Enterprise, error)
	EnterpriseFields(ctx context.Context) iter.Seq2[mapping.Enterprise, error]
	CertificateItemCodes(ctx context.Context) ([]string, error)
	CertificatesOfItems(ctx context.Context, itemCodes []string) iter.Seq2[mapping.Certificate, error]
	RosterWithCertificates(ctx context.Context, f ledger.OperatorFilter) iter.Seq2[ledger.RosterEntry, error]
	RecordPlatformEnterprises(ctx context.Context, batch []mapping.Enterprise, seenAt time.Time) ([]ledger.Comparison, error)
	// AlertStates says since when the uncertified people's alerts fire (the alert check's state).
	AlertStates(ctx context.Context, keys []string) (map[string]ledger.AlertRow, error)
	SetPlatformFields(ctx context.Context, batch []mapping.Enterprise) ([]ledger.Outcome, error)
}

// Fixer applies fixes through the sync jobs' code paths.
type Fixer interface {
	// PushEnterprises pushes the ledger's street-owned fields of these enterprises, drifted or
	// in conflict included (an operator decided), and reports how many the platform accepted
	// and the keys it did not, with why.
	PushEnterprises(ctx context.Context, usccs []string) (pushed int, failed map[string]string, err error)
	// RegisterEmployments registers these roster entries' employments.
	RegisterEmployments(ctx context.Context, keys []mapping.OperatorKey) (registered int, failed map[string]string, err error)
}

// Progress shows a long comparison's advance to the person who started it (the CLI's progress on
// stderr); the jobs' Progress has the same shape.
type Progress interface {
	// Begin starts a phase; total is the records expected, 0 when unknown.
	Begin(job, phase string, total int)
	// Advance counts pages (requests) and records done since the last call.
	Advance(pages, records int)
	// Total sets the records expected once they are known (the listing's first page).
	Total(records int)
	// End closes the phase.
	End()
}

// Reconciler compares and fixes.
type Reconciler struct {
	store    Store
	platform Platform
	catalog  *mapping.Catalog
	rules    rules.Config
	loc      *time.Location
	now      func() time.Time
	clauses  *mapping.Clauses // hazards.clauses (nil: the built-in list)
	progress Progress
}

// Option adjusts New.
type Option func(*Reconciler)

// WithProgress shows the comparison's phases as it reads them (nil: nothing shown).
func WithProgress(p Progress) Option {
	return func(r *Reconciler) {
		if p != nil {
			r.progress = p
		}
	}
}

// UseClauses sets the judgement clauses hazards are read with (hazards.clauses).
func (r *Reconciler) UseClauses(cl *mapping.Clauses) { r.clauses = cl }

// New builds a reconciler; loc is schedule.timezone (who is on duty, which certificates are valid).
func New(store Store, platform Platform, catalog *mapping.Catalog, rules rules.Config, loc *time.Location, now func() time.Time, opts ...Option) (*Reconciler, error) {
	if store == nil || platform == nil || catalog == nil || loc == nil {
		return nil, errors.New("reconcile: store, platform, catalog and location are required")
	}
	if now == nil {
		now = time.Now
	}
	r := &Reconciler{store: store, platform: platform, catalog: catalog, rules: rules, loc: loc, now: now, progress: nopProgress{}}
	for _, o := range opts {
		o(r)
	}
	return r, nil
}

type nopProgress struct{}

func (nopProgress) Begin(string, string, int) {}
func (nopProgress) Advance(int, int)          {}
func (nopProgress) Total(int)                 {}
func (nopProgress) End()                      {}

// The reconciliation's name and phases on the progress line.
const (
	progressLabel     = "对账"
	phasePlatform     = "读取平台企业"
	phaseLedger       = "比对台账企业"
	phaseRoster       = "核对花名册"
	phaseCertificates = "核对证书操作项目"
)

// Report is the operator contract's `reconcile --format json`.
type Report struct {
	Enterprises *EnterpriseReport `json:"enterprises,omitempty"`
	Operators   *OperatorReport   `json:"operators,omitempty"`
	Hazards     *HazardReport     `json:"hazards,omitempty"`
	// Quarantined lists platform records that failed validation and could not be compared.
	Quarantined []Rejected `json:"platformRejected,omitempty"`
}

// EnterpriseReport lists the enterprise differences.
type EnterpriseReport struct {
	OnlyInLedger   []LedgerOnly   `json:"onlyInLedger"`
	OnlyOnPlatform []PlatformOnly `json:"onlyOnPlatform"`
	Different      []Difference   `json:"different"`
}

// LedgerOnly is an enterprise the platform does not have yet (应统尽统).
type LedgerOnly struct {
	USCC      string `json:"uscc"`
	Name      string `json:"name"`
	Community string `json:"community,omitempty"`
}

// PlatformOnly is an enterprise only the platform knows, or pulled in and not yet confirmed
// (待核实).
type PlatformOnly struct {
	USCC      string `json:"uscc"`
	Name      string `json:"name"`
	Qyid      string `json:"qyid"`
	Community string `json:"community,omitempty"`
	InLedger  bool   `json:"inLedger"` // pulled in flagged 待核实
}

// Difference is one enterprise whose fields differ.
type Difference struct {
	USCC   string      `json:"uscc"`
	Name   string      `json:"name"`
	Fields []FieldDiff `json:"fields"`
}

// FieldDiff is one differing field, with its owner: the side whose value --apply keeps.
type FieldDiff struct {
	Field    string `json:"field"`
	Label    string `json:"label"`
	Ledger   string `json:"ledger"`
	Platform string `json:"platform"`
	Owner    string `json:"owner"` // street | platform
}

// OperatorReport lists roster problems.
type OperatorReport struct {
	Unregistered []Unregistered `json:"unregistered"`
	Uncertified  int            `json:"uncertified"`
	UnknownItems []UnknownItem  `json:"unknownItems"`
	// UncertifiedPeople are the Uncertified entries by name: who works without a valid
	// certificate, where, by which rule, since when. A city's list is mostly on disk (People).
	UncertifiedPeople People `json:"uncertifiedPeople"`

	keys []mapping.OperatorKey // the unregistered entries' keys, for Apply
}

// Unregistered is an on-duty roster entry with a valid certificate and no employment
// registration (or one that no longer matches the roster's dates). ID and certificate numbers
// are masked.
type Unregistered struct {
	IDNumber       string `json:"idNumber"`
	Name           string `json:"name"`
	CertNo         string `json:"certNo"`
	Enterprise     string `json:"enterprise"` // USCC
	EnterpriseName string `json:"enterpriseName,omitempty"`
	ItemCode       string `json:"itemCode"`
}

// Uncertified is an on-duty roster entry with a critical certificate alert. The ID number is
// masked. Since is when its alert started firing, as the alert check recorded it (nil before
// any check has judged it).
type Uncertified struct {
	Name           string     `json:"name"`
	IDNumber       string     `json:"idNumber"`
	Enterprise     string     `json:"enterprise"` // USCC
	EnterpriseName string     `json:"enterpriseName,omitempty"`
	ItemCode       string     `json:"itemCode"`
	Rule           string     `json:"rule"`
	RuleName       string     `json:"ruleName"`
	Since          *time.Time `json:"since,omitempty"`
}

// UnknownItem is a certificate whose item code no catalog knows (kept as sent).
type UnknownItem struct {
	CertNo   string `json:"certNo"`
	ItemCode string `json:"itemCode"`
	ItemName string `json:"itemName,omitempty"`
}

// Rejected is a platform record that could not be compared because it failed validation.
type Rejected struct {
	USCC   string `json:"uscc"`
	Reason string `json:"reason"`
}

// Empty reports whether nothing needs attention (`--exit-code` exits 1 otherwise).
// Counts are the lengths of a report's enterprise and operator lists (Uncertified: the count the
// report gives), zero for a section it does not have.
type Counts struct {
	OnlyInLedger   int `json:"onlyInLedger"`
	OnlyOnPlatform int `json:"onlyOnPlatform"`
	Different      int `json:"different"`
	Unregistered   int `json:"unregistered"`
	Uncertified    int `json:"uncertified"`
	UnknownItems   int `json:"unknownItems"`
}

// Counts counts the report's lists.
func (r *Report) Counts() Counts {
	var c Counts
	if e := r.Enterprises; e != nil {
		c.OnlyInLedger, c.OnlyOnPlatform, c.Different = len(e.OnlyInLedger), len(e.OnlyOnPlatform), len(e.Different)
	}
	if o := r.Operators; o != nil {
		c.Unregistered, c.Uncertified, c.UnknownItems = len(o.Unregistered), o.Uncertified, len(o.UnknownItems)
	}
	return c
}

func (r *Report) Empty() bool {
	if e := r.Enterprises; e != nil && (len(e.OnlyInLedger) > 0 || len(e.OnlyOnPlatform) > 0 || len(e.Different) > 0) {
		return false
	}
	if o := r.Operators; o != nil && (len(o.Unregistered) > 0 || o.Uncertified > 0 || len(o.UnknownItems) > 0) {
		return false
	}
	return r.Hazards.empty()
}

// Run compares everything in scope and keeps, for Apply, the platform's fresh records that Apply
// needs (those that differ and those only on the platform).
func (r *Reconciler) Run(ctx context.Context, scope Scope) (*Report, *Snapshot, error) {
	return r.run(ctx, scope, true)
}

// Compare compares everything in scope, keeping nothing for Apply: the report alone, in less
// memory than Run at a city's scale.
func (r *Reconciler) Compare(ctx context.Context, scope Scope) (*Report, error) {
	rep, _, err := r.run(ctx, scope, false)
	return rep, err
}

func (r *Reconciler) run(ctx context.Context, scope Scope, keep bool) (*Report, *Snapshot, error) {
	rep := &Report{}
	snap := &Snapshot{}
	if scope.enterprises() {
		er, kept, rejected, err := r.compareEnterprises(ctx, keep)
		if err != nil {
			return nil, nil, err
		}
		snap.platform = kept
		rep.Quarantined = rejected
		rep.Enterprises = er
	}
	if scope.operators() {
		or, err := r.CompareOperators(ctx)
		if err != nil {
			return nil, nil, err
		}
		rep.Operators = or
	}
	if scope.hazards() {
		hr, hs, err := r.compareHazards(ctx, keep)
		if err != nil {
			rep.Close()
			return nil, nil, err
		}
		rep.Hazards, snap.hazards = hr, hs
	}
	snap.report = rep
	return rep, snap, nil
}

// Close gives back what the report holds outside memory: the file of its list of uncertified
// people, which its outputs cannot read after. A report that is only dropped gives it back when
// collected.
func (r *Report) Close() error {
	if r == nil || r.Operators == nil {
		return nil
	}
	return r.Operators.UncertifiedPeople.Close()
}

// Snapshot is what a Run saw, for Apply.
type Snapshot struct {
	platform map[string]*mapping.Enterprise // the platform's records Apply acts on, by USCC
	hazards  *hazardSnapshot
	report   *Report
}

// compareBatch is how many platform records are compared against the ledger at a time: one
// keyed read of the ledger per batch.
const compareBatch = 500

// enterpriseWalk is one comparison of the platform's records with the ledger. The platform
// pages in update order (contracts/quanzhou-platform.md), not in USCC order, so the two sides
// cannot be merged as two sorted streams; instead each batch of platform records is looked up
// in the ledger by key, and only the USCCs seen and the records that need attention are held —
// never either side whole.
type enterpriseWalk struct {
	seen         map[string]struct{}
	different    map[string]Difference
	platformOnly map[string]PlatformOnly
	kept         map[string]*mapping.Enterprise // for Apply: the records that differ or are only on the platform (nil: not kept)
}

// keep copies p for Apply (when the walk keeps records) and returns the copy, detached from the
// page it was decoded from: the few records kept must not hold every page they came from.
func (w *enterpriseWalk) keep(uscc string, p *mapping.Enterprise) *mapping.Enterprise {
	e := p.Detached()
	if w.kept != nil {
		w.kept[uscc] = &e
	}
	return &e
}

// CompareEnterprises reads every enterprise the platform holds for the region, normalized, and
// compares it with the ledger: a batch of platform records at a time against the ledger's
// records of those USCCs, then the ledger in USCC order for what the platform does not hold.
// It returns the report, the platform records Apply needs (by USCC) and the platform records
// that failed validation.
func (r *Reconciler) CompareEnterprises(ctx context.Context) (*EnterpriseReport, map[string]*mapping.Enterprise, []Rejected, error) {
	return r.compareEnterprises(ctx, true)
}

func (r *Reconciler) compareEnterprises(ctx context.Context, keep bool) (*EnterpriseReport, map[string]*mapping.Enterprise, []Rejected, error) {
	w := &enterpriseWalk{seen: map[string]struct{}{}, different: map[string]Difference{},
		platformOnly: map[string]PlatformOnly{}}
	if keep {
		w.kept = map[string]*mapping.Enterprise{}
	}
	var rejected []Rejected
	seq, prog := r.platform.Enterprises(ctx, quanzhou.Mark{})
	r.progress.Begin(progressLabel, phasePlatform, 0)
	batch := make([]mapping.Enterprise, 0, compareBatch)
	requests := 0
	for p, err := range seq {
		if err != nil {
			r.progress.End()
			return nil, nil, nil, fmt.Errorf("reconcile: read enterprises from the platform: %w", err)
		}
		pages := 0
		if prog != nil {
			pages, requests = prog.Requests-requests, prog.Requests
			r.progress.Total(prog.Total)
		}
		r.progress.Advance(pages, 1)
		if p.Problems.HasErrors() && p.Enterprise.USCC == "" {
			rejected = append(rejected, Rejected{USCC: p.Wire.Tyshxydm, Reason: p.Problems.Errors().Error()})
			continue
		}
		if batch = append(batch, p.Enterprise); len(batch) == compareBatch {
			if err := r.compareBatch(ctx, w, batch); err != nil {
				r.progress.End()
				return nil, nil, nil, err
			}
			batch = batch[:0]
		}
	}
	err := r.compareBatch(ctx, w, batch)
	r.progress.End()
	if err != nil {
		return nil, nil, nil, err
	}

	rep := &EnterpriseReport{OnlyInLedger: []LedgerOnly{}, OnlyOnPlatform: []PlatformOnly{}, Different: []Difference{}}
	r.progress.Begin(progressLabel, phaseLedger, 0)
	defer r.progress.End()
	for rec, err := range r.store.EnterpriseFields(ctx) {
		if err != nil {
			return nil, nil, nil, fmt.Errorf("reconcile: read the ledger: %w", err)
		}
		r.progress.Advance(0, 1)
		if _, ok := w.seen[rec.USCC]; !ok && !rec.PendingReview {
			rep.OnlyInLedger = append(rep.OnlyInLedger, LedgerOnly{USCC: rec.USCC, Name: rec.Name, Community: rec.Community})
		}
	}
	for _, uscc := range sortedKeys(w.different) {
		rep.Different = append(rep.Different, w.different[uscc])
	}
	for _, uscc := range sortedKeys(w.platformOnly) {
		rep.OnlyOnPlatform = append(rep.OnlyOnPlatform, w.platformOnly[uscc])
	}
	return rep, w.kept, rejected, nil
}

// compareBatch compares a batch of platform records with the ledger's records of their USCCs.
// A record seen twice (it moved while the platform was paged) is judged by its latest copy.
func (r *Reconciler) compareBatch(ctx context.Context, w *enterpriseWalk, batch []mapping.Enterprise) error {
	if len(batch) == 0 {
		return nil
	}
	usccs := make([]string, len(batch))
	for i := range batch {
		usccs[i] = batch[i].USCC
	}
	recs, err := r.store.EnterpriseFieldsByUSCC(ctx, usccs)
	if err != nil {
		return fmt.Errorf("reconcile: read the ledger: %w", err)
	}
	for i := range batch {
		p := &batch[i]
		uscc := strings.Clone(p.USCC)
		w.seen[uscc] = struct{}{}
		delete(w.different, uscc)
		delete(w.platformOnly, uscc)
		delete(w.kept, uscc)
		rec, ok := recs[uscc]
		switch {
		case !ok:
			e := w.keep(uscc, p)
			w.platformOnly[uscc] = PlatformOnly{USCC: uscc, Name: e.Name, Qyid: e.PlatformID, Community: e.Community}
		case rec.PendingReview:
			w.platformOnly[uscc] = PlatformOnly{USCC: uscc, Name: strings.Clone(p.Name), Qyid: strings.Clone(p.PlatformID),
				Community: strings.Clone(p.Community), InLedger: true}
		default:
			if fields := Diff(&rec, p); len(fields) > 0 {
				for i := range fields {
					fields[i].Platform = strings.Clone(fields[i].Platform)
				}
				w.different[uscc] = Difference{USCC: uscc, Name: rec.Name, Fields: fields}
				if w.kept != nil {
					w.keep(uscc, p)
				}
			}
		}
	}
	return nil
}

// Diff lists the fields of two normalized records that differ, in the contract's field order.
// Both records went through mapping's normalization, so two spellings of one value compare
// equal. A platform-owned field the platform leaves empty while the ledger has never pulled it
// is still a difference: the ledger should learn it.
func Diff(ledgerSide, platformSide *mapping.Enterprise) []FieldDiff {
	var out []FieldDiff
	for _, f := range mapping.EnterpriseFields {
		l, p := f.Get(ledgerSide), f.Get(platformSide)
		if l == p {
			continue
		}
		out = append(out, FieldDiff{Field: f.Name, Label: f.Label, Ledger: l, Platform: p, Owner: f.Owner.String()})
	}
	return out
}

// CompareOperators finds on-duty roster entries that are certified but not registered, counts
// those with a critical certificate alert, and lists certificates with unknown item codes.
func (r *Reconciler) CompareOperators(ctx context.Context) (*OperatorReport, error) {
	day := mapping.DateOf(r.now().In(r.loc))
	rep := &OperatorReport{Unregistered: []Unregistered{}, UnknownItems: []UnknownItem{}, UncertifiedPeople: newPeople(r.loc)}
	done := false
	defer func() {
		if !done {
			rep.UncertifiedPeople.Close()
		}
	}()

	// The last people found and their alerts' keys: their since is read a sinceBatch at a time,
	// then they join the list.
	pending := make([]Uncertified, 0, sinceBatch)
	keys := make([]string, 0, sinceBatch)
	since := func() error {
		if err := r.alertSince(ctx, pending, keys); err != nil {
			return err
		}
		for _, u := range pending {
			if err := rep.UncertifiedPeople.add(u); err != nil {
				return err
			}
		}
		pending, keys = pending[:0], keys[:0]
		return nil
	}
	r.progress.Begin(progressLabel, phaseRoster, 0)
	defer r.progress.End()
	for entry, err := range r.store.RosterWithCertificates(ctx, ledger.OperatorFilter{OnDuty: day}) {
		if err != nil {
			return nil, fmt.Errorf("reconcile: read the roster: %w", err)
		}
		r.progress.Advance(0, 1)
		op := entry.Operator.Operator
		if !op.OnDuty(day) {
			continue
		}
		re := rules.RosterEntry{Operator: op}
		critical := false
		for _, f := range rules.EvaluateCertificates(&re, entry.Certificates, day, r.rules) {
			if f.Alert.Severity == "critical" {
				critical = true
				pending = append(pending, Uncertified{
					Name: op.Name, IDNumber: mask.ID(op.IDNumber), Enterprise: op.EnterpriseUSCC,
					EnterpriseName: entry.EnterpriseName, ItemCode: op.ItemCode,
					Rule: f.Alert.Rule, RuleName: f.Alert.RuleName,
				})
				if keys = append(keys, f.Alert.Key); len(keys) == sinceBatch {
					if err := since(); err != nil {
						return nil, err
					}
				}
			}
		}
		if critical {
			rep.Uncertified++
			continue
		}
		if !entry.RegistrationDue {
			continue
		}
		best := bestValid(entry.Certificates, op.ItemCode, day)
		if best == nil {
			continue
		}
		rep.Unregistered = append(rep.Unregistered, Unregistered{
			IDNumber: mask.ID(op.IDNumber), Name: op.Name, CertNo: mask.CertNo(best.CertNo),
			Enterprise: op.EnterpriseUSCC, EnterpriseName: entry.EnterpriseName, ItemCode: op.ItemCode,
		})
		rep.keys = append(rep.keys, op.Key())
	}
	if err := since(); err != nil {
		return nil, err
	}
	if err := rep.UncertifiedPeople.finish(); err != nil {
		return nil, err
	}
	// The item codes are few: ask the ledger for them, and read only the certificates of the
	// codes the catalog does not know.
	r.progress.Begin(progressLabel, phaseCertificates, 0)
	codes, err := r.store.CertificateItemCodes(ctx)
	if err != nil {
		return nil, fmt.Errorf("reconcile: read certificates: %w", err)
	}
	var unknown []string
	for _, code := range codes {
		if _, ok := r.catalog.Item(code); !ok {
			unknown = append(unknown, code)
		}
	}
	for c, err := range r.store.CertificatesOfItems(ctx, unknown) {
		if err != nil {
			return nil, fmt.Errorf("reconcile: read certificates: %w", err)
		}
		r.progress.Advance(0, 1)
		rep.UnknownItems = append(rep.UnknownItems, UnknownItem{CertNo: mask.CertNo(c.CertNo), ItemCode: c.ItemCode, ItemName: c.ItemName})
	}
	done = true
	return rep, nil
}

// sinceBatch is how many alert keys are read at a time.
const sinceBatch = 500

// alertSince sets since when each uncertified person's alert fires, from the alert state; keys
// are their alerts' keys, in the same order.
func (r *Reconciler) alertSince(ctx context.Context, people []Uncertified, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	rows, err := r.store.AlertStates(ctx, keys)
	if err != nil {
		return fmt.Errorf("reconcile: read the alert state: %w", err)
	}
	for i, k := range keys {
		if row, ok := rows[k]; ok && row.Status == "firing" {
			since := row.Since.In(r.loc)
			people[i].Since = &since
		}
	}
	return nil
}

// bestValid is the valid certificate for the item with the latest validUntil, or nil.
func bestValid(certs []mapping.Certificate, item string, day mapping.Date) *mapping.Certificate {
	var best *mapping.Certificate
	for i := range certs {
		c := &certs[i]
		if c.ItemCode != item || !c.ValidOn(day) {
			continue
		}
		if best == nil || best.ValidUntil.Before(c.ValidUntil) {
			best = c
		}
	}
	return best
}

// Enterprise reconciles one enterprise: the platform's record by USCC against the ledger's.
func (r *Reconciler) Enterprise(ctx context.Context, uscc string) (*Report, *Snapshot, error) {
	uscc = mapping.NormalizeUSCC(uscc)
	platform := map[string]*mapping.Enterprise{}
	var rejected []Rejected
	w, err := r.platform.GetEnterprise(ctx, uscc)
	switch {
	case errors.Is(err, quanzhou.ErrNotFound):
	case err != nil:
		return nil, nil, fmt.Errorf("reconcile: read enterprise %s from the platform: %w", uscc, err)
	default:
		e, ps := mapping.EnterpriseFromQZ(w)
		if e.USCC == "" {
			rejected = append(rejected, Rejected{USCC: uscc, Reason: ps.Errors().Error()})
		} else {
			platform[e.USCC] = &e
		}
	}
	rep := &EnterpriseReport{OnlyInLedger: []LedgerOnly{}, OnlyOnPlatform: []PlatformOnly{}, Different: []Difference{}}
	rec, err := r.store.EnterpriseByUSCC(ctx, uscc)
	p := platform[uscc]
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		if p != nil {
			rep.OnlyOnPlatform = append(rep.OnlyOnPlatform, PlatformOnly{USCC: uscc, Name: p.Name, Qyid: p.PlatformID, Community: p.Community})
		}
	case err != nil:
		return nil, nil, fmt.Errorf("reconcile: read enterprise %s from the ledger: %w", uscc, err)
	case p == nil:
		rep.OnlyInLedger = append(rep.OnlyInLedger, LedgerOnly{USCC: uscc, Name: rec.Name, Community: rec.Community})
	case rec.PendingReview:
		rep.OnlyOnPlatform = append(rep.OnlyOnPlatform, PlatformOnly{USCC: uscc, Name: p.Name, Qyid: p.PlatformID, Community: p.Community, InLedger: true})
	default:
		if fields := Diff(&rec.Enterprise, p); len(fields) > 0 {
			rep.Different = append(rep.Different, Difference{USCC: uscc, Name: rec.Name, Fields: fields})
		}
	}
	report := &Report{Enterprises: rep, Quarantined: rejected}
	return report, &Snapshot{platform: platform, report: report}, nil
}
