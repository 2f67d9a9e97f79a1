package reconcile

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"sort"
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

// CompareHazards reads every hazard of the region from the platform and compares the ledger with it.
func (r *Reconciler) CompareHazards(ctx context.Context) (*HazardReport, *hazardSnapshot, error) {
	hp, ok1 := r.platform.(HazardPlatform)
	hs, ok2 := r.store.(HazardStore)
	if !ok1 || !ok2 {
		return nil, nil, errors.New("reconcile: the platform client or the ledger given cannot read hazards")
	}
	seq, _ := hp.Hazards(ctx, quanzhou.Mark{}, r.clauses)
	platform := map[string]*mapping.Hazard{}
	for p, err := range seq {
		if err != nil {
			return nil, nil, fmt.Errorf("reconcile: read hazards from the platform: %w", err)
		}
		if p.Problems.HasErrors() {
			continue // no yhid or enterprise: the sync's quarantine shows it
		}
		h := p.Hazard
		platform[h.Key()] = &h // a record seen twice (it moved while paging) keeps its latest copy
	}
	rep := &HazardReport{OnlyInLedger: []HazardOnly{}, OnlyOnPlatform: []HazardOnly{}, Different: []HazardDifference{}}
	seen := map[string]bool{}
	for rec, err := range hs.Hazards(ctx, ledger.HazardFilter{}) {
		if err != nil {
			return nil, nil, fmt.Errorf("reconcile: read the hazard ledger: %w", err)
		}
		key := rec.Key()
		p := platform[key]
		if p == nil && rec.ID != "" {
			p = platform[rec.ID]
		}
		if p == nil {
			if rec.StreetID != "" { // an enterprise's own report gone from the platform is not the street's to push
				rep.OnlyInLedger = append(rep.OnlyInLedger, HazardOnly{ID: key, Yhid: rec.ID, USCC: rec.USCC, Name: rec.EnterpriseName,
					Community: rec.Community, Description: mask.IDsInText(rec.Description)})
			}
			continue
		}
		seen[p.Key()] = true
		if fields := HazardDiff(&rec, p); len(fields) > 0 {
			rep.Different = append(rep.Different, HazardDifference{ID: key, Yhid: p.ID, USCC: rec.USCC, Name: rec.EnterpriseName, Fields: fields})
		}
	}
	for k, p := range platform {
		if !seen[k] {
			rep.OnlyOnPlatform = append(rep.OnlyOnPlatform, HazardOnly{ID: k, Yhid: p.ID, USCC: p.USCC, Name: p.EnterpriseName,
				Description: mask.IDsInText(p.Description)})
		}
	}
	sort.Slice(rep.OnlyOnPlatform, func(i, j int) bool { return rep.OnlyOnPlatform[i].ID < rep.OnlyOnPlatform[j].ID })
	return rep, &hazardSnapshot{platform: platform}, nil
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
	t1 := table{name: sheetHazardOnlyLedger, file: "hazards-only-in-ledger", headers: []string{"隐患编号", "平台隐患ID", "统一社会信用代码", "企业名称", "所属社区", "隐患描述"}}
	for _, x := range h.OnlyInLedger {
		t1.rows = append(t1.rows, []string{x.ID, x.Yhid, x.USCC, x.Name, x.Community, x.Description})
	}
	t2 := table{name: sheetHazardOnlyPlatform, file: "hazards-only-on-platform", headers: []string{"隐患编号", "平台隐患ID", "统一社会信用代码", "企业名称", "隐患描述"}}
	for _, x := range h.OnlyOnPlatform {
		t2.rows = append(t2.rows, []string{x.ID, x.Yhid, x.USCC, x.Name, x.Description})
	}
	t3 := table{name: sheetHazardDifferent, file: "hazards-different", headers: []string{"隐患编号", "平台隐患ID", "企业名称", "字段", "台账值", "平台值", "以哪方为准"}}
	for _, d := range h.Different {
		for _, f := range d.Fields {
			t3.rows = append(t3.rows, []string{d.ID, d.Yhid, d.Name, f.Label, f.Ledger, f.Platform, ownerLabel[f.Owner]})
		}
	}
	return []table{t1, t2, t3}
}

func (h *HazardReport) summaryRows() [][]string {
	return [][]string{
		{"仅在台账的隐患（未推送到平台）", fmt.Sprint(len(h.OnlyInLedger))},
		{"仅在平台的隐患（未拉取到台账）", fmt.Sprint(len(h.OnlyOnPlatform))},
		{"字段不一致的隐患", fmt.Sprint(len(h.Different))},
	}
}
