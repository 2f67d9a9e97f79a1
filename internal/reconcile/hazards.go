package reconcile

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"strings"
	"time"

	"streetsync/connectors/quanzhou"
	"streetsync/internal/ledger"
	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// Hazards (contracts/hazards.md): hazards only in the ledger (the street's not pushed yet, or
// gone from the platform), only on the platform (not pulled yet), and different — by the same
// rules as enterprises: each differing field names the side that owns it. A street-reported
// hazard's reporter fields are the street's, an enterprise's own report's the platform's; the
// status belongs to the side that is further forward (it merges that way). Apply pulls the
// platform's side of every hazard, then pushes the street's new hazards and status changes; the
// platform has no update of a hazard's content, so a street-owned field that differs on a hazard
// already there is left for a person, with what to do.

// HazardPlatform is what hazard reconciliation reads from the Quanzhou platform (the client
// given to New has it).
type HazardPlatform interface {
	Hazards(ctx context.Context, from quanzhou.Mark, cl *mapping.Clauses) (iter.Seq2[quanzhou.PulledHazard, error], *quanzhou.Progress)
}

// HazardStore is what hazard reconciliation reads from, and records into, the ledger (the store
// given to New has it).
type HazardStore interface {
	Hazards(ctx context.Context, f ledger.HazardFilter) iter.Seq2[ledger.HazardRecord, error]
	HazardsByKeys(ctx context.Context, ids []string) ([]ledger.HazardRecord, error)
	RecordPlatformHazards(ctx context.Context, batch []mapping.Hazard, seenAt time.Time) ([]ledger.HazardComparison, error)
}

// HazardFixer pushes the street's side of hazards through the hazard job's code path
// (*jobs.Runner).
type HazardFixer interface {
	PushHazards(ctx context.Context, keys []string) (pushed int, failed map[string]string, err error)
}

// ScopeHazards reconciles the hazard ledger.
const ScopeHazards Scope = "hazards"

func (s Scope) hazards() bool { return s == ScopeAll || s == ScopeHazards }

// HazardReport lists the hazard differences, shaped like EnterpriseReport.
type HazardReport struct {
	OnlyInLedger   []HazardOnly       `json:"onlyInLedger"`
	OnlyOnPlatform []HazardOnly       `json:"onlyOnPlatform"`
	Different      []HazardDifference `json:"different"`
}

// HazardOnly is a hazard one side lacks. ID is the street's identity (隐患编号, or the yhid of an
// enterprise's own report).
type HazardOnly struct {
	ID          string `json:"id"`
	Yhid        string `json:"yhid"`
	USCC        string `json:"uscc"`
	Name        string `json:"name"`
	Community   string `json:"community,omitempty"`
	Description string `json:"description"`
}

// HazardDifference is a hazard whose fields differ.
type HazardDifference struct {
	ID     string      `json:"id"`
	Yhid   string      `json:"yhid"`
	USCC   string      `json:"uscc"`
	Name   string      `json:"name"`
	Fields []FieldDiff `json:"fields"`
}

func (h *HazardReport) empty() bool {
	return h == nil || len(h.OnlyInLedger) == 0 && len(h.OnlyOnPlatform) == 0 && len(h.Different) == 0
}

// hazardSnapshot is what a hazard comparison saw, for Apply.
type hazardSnapshot struct {
	platform map[string]*mapping.Hazard // by the street's identity
}

// hazardWalk is one comparison of the platform's hazards with the ledger, shaped like
// enterpriseWalk: the platform pages in update order, so each batch of its records is looked up
// in the ledger by key, and only the keys seen and what needs attention are held, never either
// side whole.
type hazardWalk struct {
	judged       map[string]string           // platform key → the ledger key it matched ("" for none)
	matched      map[string]struct{}         // ledger keys a platform record matched
	different    map[string]HazardDifference // by ledger key
	platformOnly map[string]HazardOnly       // by platform key
	kept         map[string]*mapping.Hazard  // for Apply, by platform key; nil when not kept
}

// compareHazards reads every hazard of the region from the platform and compares the ledger with
// it, a batch at a time; with keep it also returns the platform records Apply needs.
func (r *Reconciler) compareHazards(ctx context.Context, keep bool) (*HazardReport, *hazardSnapshot, error) {
	hp, ok1 := r.platform.(HazardPlatform)
	hs, ok2 := r.store.(HazardStore)
	if !ok1 || !ok2 {
		return nil, nil, errors.New("reconcile: the platform client or the ledger given cannot read hazards")
	}
	w := &hazardWalk{judged: map[string]string{}, matched: map[string]struct{}{},
		different: map[string]HazardDifference{}, platformOnly: map[string]HazardOnly{}}
	if keep {
		w.kept = map[string]*mapping.Hazard{}
	}
	seq, _ := hp.Hazards(ctx, quanzhou.Mark{}, r.clauses)
	batch := make([]mapping.Hazard, 0, compareBatch)
	for p, err := range seq {
		if err != nil {
			return nil, nil, fmt.Errorf("reconcile: read hazards from the platform: %w", err)
		}
		if p.Problems.HasErrors() {
			continue // no yhid or enterprise: the sync's quarantine shows it
		}
		if batch = append(batch, p.Hazard); len(batch) == compareBatch {
			if err := w.compare(ctx, hs, batch); err != nil {
				return nil, nil, err
			}
			batch = batch[:0]
		}
	}
	if err := w.compare(ctx, hs, batch); err != nil {
		return nil, nil, err
	}

	rep := &HazardReport{OnlyInLedger: []HazardOnly{}, OnlyOnPlatform: []HazardOnly{}, Different: []HazardDifference{}}
	// An enterprise's own report gone from the platform is not the street's to push: only the
	// street's hazards can be only in the ledger.
	for rec, err := range hs.Hazards(ctx, ledger.HazardFilter{StreetOnly: true}) {
		if err != nil {
			return nil, nil, fmt.Errorf("reconcile: read the hazard ledger: %w", err)
		}
		if _, ok := w.matched[rec.Key()]; !ok {
			rep.OnlyInLedger = append(rep.OnlyInLedger, HazardOnly{ID: rec.Key(), Yhid: rec.ID, USCC: rec.USCC, Name: rec.EnterpriseName,
				Community: rec.Community, Description: mask.IDsInText(rec.Description)})
		}
	}
	for _, k := range sortedKeys(w.different) {
		rep.Different = append(rep.Different, w.different[k])
	}
	for _, k := range sortedKeys(w.platformOnly) {
		rep.OnlyOnPlatform = append(rep.OnlyOnPlatform, w.platformOnly[k])
	}
	return rep, &hazardSnapshot{platform: w.kept}, nil
}

// compare judges a batch of platform hazards against the ledger's records of their keys. A
// ledger hazard matches by its key, else by its platform ID; a record seen twice (it moved while
// the platform was paged) is judged by its latest copy.
func (w *hazardWalk) compare(ctx context.Context, hs HazardStore, batch []mapping.Hazard) error {
	if len(batch) == 0 {
		return nil
	}
	keys := make([]string, len(batch))
	for i := range batch {
		keys[i] = batch[i].Key()
	}
	recs, err := hs.HazardsByKeys(ctx, keys)
	if err != nil {
		return fmt.Errorf("reconcile: read the hazard ledger: %w", err)
	}
	byKey, byID := make(map[string]*ledger.HazardRecord, len(recs)), make(map[string]*ledger.HazardRecord, len(recs))
	for i := range recs {
		byKey[recs[i].Key()] = &recs[i]
		if recs[i].ID != "" {
			byID[recs[i].ID] = &recs[i]
		}
	}
	for i := range batch {
		p := &batch[i]
		key := strings.Clone(p.Key())
		if before, ok := w.judged[key]; ok {
			delete(w.different, before)
			delete(w.matched, before)
			delete(w.platformOnly, key)
			delete(w.kept, key)
		}
		rec := byKey[key]
		if rec == nil {
			rec = byID[key]
		}
		if rec == nil {
			w.judged[key] = ""
			d := p.Detached()
			w.platformOnly[key] = HazardOnly{ID: key, Yhid: d.ID, USCC: d.USCC, Name: d.EnterpriseName, Description: mask.IDsInText(d.Description)}
			if w.kept != nil {
				w.kept[key] = &d
			}
			continue
		}
		lk := rec.Key()
		w.judged[key], w.matched[lk] = lk, struct{}{}
		if fields := HazardDiff(rec, p); len(fields) > 0 {
			for i := range fields {
				fields[i].Platform = strings.Clone(fields[i].Platform)
			}
			w.different[lk] = HazardDifference{ID: lk, Yhid: strings.Clone(p.ID), USCC: rec.USCC, Name: rec.EnterpriseName, Fields: fields}
			if w.kept != nil {
				d := p.Detached()
				w.kept[key] = &d
			}
		}
	}
	return nil
}

// HazardDiff lists the fields of a ledger hazard and the platform's copy that differ (their values
// with any ID number masked, for the report), each with its owner: the reporter's fields the reporter's (the street's for a street-reported hazard),
// the status fields the side further forward.
func HazardDiff(rec *ledger.HazardRecord, p *mapping.Hazard) []FieldDiff {
	reporter := "platform"
	if rec.StreetID != "" {
		reporter = "street"
	}
	statusOwner := "platform"
	if p.Status.MoveTo(rec.Status) == mapping.MoveForward {
		statusOwner = "street"
	}
	var out []FieldDiff
	for _, f := range mapping.HazardFields {
		if f.Name == "regionCode" {
			continue // the street's region, filled in on push
		}
		l, pv := f.Get(&rec.Hazard), f.Get(p)
		if l == pv {
			continue
		}
		owner := reporter
		if f.Status {
			if f.Name != "status" && rec.Status == p.Status {
				continue // both sides at one status: each keeps its own note of it (merged, not a difference)
			}
			owner = statusOwner
		}
		// A report leaves the ledger: an ID number in a hazard's text shows masked.
		out = append(out, FieldDiff{Field: f.Name, Label: f.Label, Ledger: mask.IDsInText(l), Platform: mask.IDsInText(pv), Owner: owner})
	}
	return out
}

// applyHazards pulls the platform's side of the differing and platform-only hazards, then pushes
// the street's side of the ledger-only and differing ones.
func (r *Reconciler) applyHazards(ctx context.Context, hr *HazardReport, snap *hazardSnapshot, fix Fixer, out *Applied) error {
	hs, _ := r.store.(HazardStore)
	var pull []mapping.Hazard
	for _, d := range hr.Different {
		if p := snap.platform[d.ID]; p != nil {
			pull = append(pull, *p)
		} else if p := snap.platform[d.Yhid]; p != nil {
			pull = append(pull, *p)
		}
	}
	for _, o := range hr.OnlyOnPlatform {
		if p := snap.platform[o.ID]; p != nil {
			pull = append(pull, *p)
		}
	}
	if len(pull) > 0 && hs != nil {
		if _, err := hs.RecordPlatformHazards(ctx, pull, r.now()); err != nil {
			return fmt.Errorf("reconcile: pull hazards: %w", err)
		}
		out.HazardsPulled += len(pull)
	}
	var push []string
	for _, o := range hr.OnlyInLedger {
		push = append(push, o.ID)
	}
	for _, d := range hr.Different {
		if hasOwner(d.Fields, "street") {
			push = append(push, d.ID)
		}
	}
	if len(push) == 0 {
		return nil
	}
	hf, ok := fix.(HazardFixer)
	if !ok {
		for _, k := range push {
			out.Failed = append(out.Failed, Attention{Kind: "hazard", Key: k, Reason: msgNoHazardFixer})
		}
		return nil
	}
	n, failed, err := hf.PushHazards(ctx, push)
	if err != nil {
		return fmt.Errorf("reconcile: push hazards: %w", err)
	}
	out.HazardsPushed += n
	for _, k := range sortedKeys(failed) {
		out.Failed = append(out.Failed, Attention{Kind: "hazard", Key: k, Reason: failed[k]})
	}
	return nil
}

const msgNoHazardFixer = "未能推送：本次对账没有接入隐患同步，请运行 streetsync sync hazards"

// Chinese sheet names of the hazard tables.
const (
	sheetHazardOnlyLedger   = "隐患仅在台账"
	sheetHazardOnlyPlatform = "隐患仅在平台"
	sheetHazardDifferent    = "隐患字段差异"
)

func (h *HazardReport) tables() []table {
	return []table{
		listTable(sheetHazardOnlyLedger, "hazards-only-in-ledger", []string{"隐患编号", "平台隐患ID", "统一社会信用代码", "企业名称", "所属社区", "隐患描述"}, h.OnlyInLedger,
			func(x HazardOnly) []string { return []string{x.ID, x.Yhid, x.USCC, x.Name, x.Community, x.Description} }),
		listTable(sheetHazardOnlyPlatform, "hazards-only-on-platform", []string{"隐患编号", "平台隐患ID", "统一社会信用代码", "企业名称", "隐患描述"}, h.OnlyOnPlatform,
			func(x HazardOnly) []string { return []string{x.ID, x.Yhid, x.USCC, x.Name, x.Description} }),
		diffTable(sheetHazardDifferent, "hazards-different", []string{"隐患编号", "平台隐患ID", "企业名称", "字段", "台账值", "平台值", "以哪方为准"}, h.Different,
			func(d HazardDifference) []FieldDiff { return d.Fields },
			func(d HazardDifference, f FieldDiff) []string {
				return []string{d.ID, d.Yhid, d.Name, f.Label, f.Ledger, f.Platform, ownerLabel[f.Owner]}
			}),
	}
}

func (h *HazardReport) summaryRows() [][]string {
	return [][]string{
		{"仅在台账的隐患（未推送到平台）", fmt.Sprint(len(h.OnlyInLedger))},
		{"仅在平台的隐患（未拉取到台账）", fmt.Sprint(len(h.OnlyOnPlatform))},
		{"字段不一致的隐患", fmt.Sprint(len(h.Different))},
	}
}
