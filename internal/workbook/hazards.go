package workbook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/xuri/excelize/v2"

	"streetsync/internal/ledger"
	"streetsync/internal/workbook/sheets"
	"streetsync/mapping"
)

// The sheets 隐患台账 and 演练记录 (contracts/hazards.md, "Ledger and workbook"), each optional in a
// workbook and loaded after the enterprise sheet (they refer to its enterprises), each in one
// transaction of the ledger (RecordStreetHazards and UpsertDrills take the sheet whole). A row is
// rejected, with a Chinese reason naming sheet, row and column, for what mapping's validation
// finds (a 重大 hazard without a clause, a deadline before the finding, 来源 企业自查 …), for an
// enterprise neither the ledger nor this workbook holds, and for a status behind the ledger's.
// A row without 隐患编号 gets one derived from its content (mapping.StreetIDFor), which export
// writes back.

// HazardLedger is what importing and exporting the hazard sheets needs of the ledger (a
// ledger.Store is one).
type HazardLedger interface {
	RecordStreetHazards(ctx context.Context, batch []ledger.HazardInput, dry bool) ([]ledger.HazardOutcome, error)
	UpsertDrills(ctx context.Context, batch []mapping.Drill, dry bool) ([]ledger.Outcome, error)
	EnterpriseByUSCC(ctx context.Context, uscc string) (ledger.EnterpriseRecord, error)
	AddToQuarantine(ctx context.Context, entries []ledger.QuarantineEntry) error
	ResolveQuarantineKeys(ctx context.Context, source ledger.Source, kind ledger.Kind, keys []string, resolution string) (int, error)
	Hazards(ctx context.Context, f ledger.HazardFilter) iter.Seq2[ledger.HazardRecord, error]
	Drills(ctx context.Context, f ledger.DrillFilter) iter.Seq2[mapping.Drill, error]
}

// hazardRow is a row of a hazard or drill sheet read and converted.
type hazardRow struct {
	num    int
	row    map[string]string
	hazard mapping.Hazard
	drill  mapping.Drill
	ps     mapping.Problems
}

// loadHazardSheet reads one 隐患台账 or 演练记录 table whole and loads it in one call.
func (im *importer) loadHazardSheet(ctx context.Context, hl HazardLedger, t *sheets.Table) error {
	im.tables = append(im.tables, t.Name)
	kind := ledger.KindHazard
	if t.Sheet == mapping.SheetDrills {
		kind = ledger.KindDrill
	}
	var rows []hazardRow
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		num, cells, ok, err := t.Next()
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		if sheets.Blank(cells) {
			continue
		}
		row := t.Row(cells)
		r := hazardRow{num: num, row: row}
		if kind == ledger.KindHazard {
			r.hazard, r.ps = mapping.HazardFromRow(row, im.opts.Clauses, im.mapOpts...)
			if r.hazard.Source == mapping.SourceEnterprise && mapping.CleanText(row[t.HeaderOf("平台隐患ID")]) != "" {
				continue // an enterprise's own report as export writes it: read-only, ignored
			}
			if r.hazard.StreetID == "" && !r.ps.HasErrors() {
				r.hazard.StreetID = mapping.StreetIDFor(&r.hazard)
			}
		} else {
			r.drill, r.ps = mapping.DrillFromRow(row, im.mapOpts...)
		}
		rows = append(rows, r)
	}
	// Unknown enterprises, and a key twice in the sheet.
	known := map[string]bool{}
	seen := map[string]int{}
	for i := range rows {
		r := &rows[i]
		if r.ps.HasErrors() {
			continue
		}
		uscc, key := r.hazard.USCC, r.hazard.StreetID
		if kind == ledger.KindDrill {
			uscc, key = r.drill.USCC, r.drill.USCC+"|"+r.drill.Date.String()+"|"+string(r.drill.Type)
		}
		if first, dup := seen[key]; dup {
			r.ps = append(r.ps, mapping.Problem{Field: "streetId", Label: mapping.SheetHazards.Headers()[0], Value: key,
				Reason: fmt.Sprintf(reasonDuplicate, first), Severity: mapping.SeverityError})
			continue
		}
		seen[key] = r.num
		ok, cached := known[uscc]
		if !cached {
			ok = im.enterprise(uscc).loaded.row != 0
			if !ok {
				_, err := hl.EnterpriseByUSCC(ctx, uscc)
				if err != nil && !errors.Is(err, ledger.ErrNotFound) {
					return err
				}
				ok = err == nil
			}
			known[uscc] = ok
		}
		if !ok {
			r.ps = append(r.ps, mapping.Problem{Field: "uscc", Label: t.HeaderOf("统一社会信用代码"), Value: uscc,
				Reason: reasonHazardEnterpriseUnknown, Severity: mapping.SeverityError})
		}
	}
	var counts ledger.Counts
	var bad []ledger.QuarantineEntry
	var loadedKeys []string
	if kind == ledger.KindHazard {
		var in []ledger.HazardInput
		var idx []int
		for i := range rows {
			r := &rows[i]
			if r.ps.HasErrors() {
				continue
			}
			h := r.hazard
			if h.Status != mapping.HazardPending {
				// A status change the workbook records: the note and handler the platform needs.
				h.StatusNote, h.StatusBy, h.StatusAt = fmt.Sprintf(noteFromWorkbook, t.Name, r.num), handlerWorkbook, im.now()
			}
			in = append(in, ledger.HazardInput{Hazard: h, Warnings: r.ps.Warnings()})
			idx = append(idx, i)
		}
		outs, err := hl.RecordStreetHazards(ctx, in, im.opts.DryRun)
		if err != nil {
			return fmt.Errorf("import %s: %w", t.Name, err)
		}
		for j, o := range outs {
			r := &rows[idx[j]]
			switch {
			case o.Backward:
				r.ps = append(r.ps, mapping.ValidateStatusMove(o.From, r.hazard.Status)...)
				relabelStatus(r.ps, t)
			case o.Refused:
				r.ps = append(r.ps, mapping.Problem{Field: "streetId", Label: t.HeaderOf("隐患编号"), Value: r.hazard.StreetID,
					Reason: reasonHazardSelfReported, Severity: mapping.SeverityError})
			default:
				counts.Add(o.Outcome)
				loadedKeys = append(loadedKeys, r.hazard.StreetID)
			}
		}
		im.rep.Hazards = &counts
	} else {
		var in []mapping.Drill
		var idx []int
		for i := range rows {
			if !rows[i].ps.HasErrors() {
				in = append(in, rows[i].drill)
				idx = append(idx, i)
			}
		}
		outs, err := hl.UpsertDrills(ctx, in, im.opts.DryRun)
		if err != nil {
			return fmt.Errorf("import %s: %w", t.Name, err)
		}
		for j, o := range outs {
			counts.Add(o)
			d := &rows[idx[j]].drill
			loadedKeys = append(loadedKeys, d.USCC+"|"+d.Date.String()+"|"+string(d.Type))
		}
		im.rep.Drills = &counts
	}
	for i := range rows {
		r := &rows[i]
		if !r.ps.HasErrors() {
			im.warnRow(t.Name, r.num, r.ps)
			continue
		}
		key := r.hazard.StreetID
		if kind == ledger.KindDrill || key == "" {
			key = fmt.Sprintf("%s!%d", t.Name, r.num)
		}
		if q := im.rejectRow(t.Name, r.num, r.row, kind, key, r.ps.Errors()); q != nil {
			bad = append(bad, *q)
		}
	}
	if im.opts.DryRun {
		return nil
	}
	if len(bad) > 0 {
		if err := hl.AddToQuarantine(ctx, bad); err != nil {
			return err
		}
	}
	if len(loadedKeys) > 0 {
		if _, err := hl.ResolveQuarantineKeys(ctx, ledger.SourceWorkbook, kind, loadedKeys, resolvedByImport); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) now() time.Time {
	if im.opts.Now != nil {
		return im.opts.Now()
	}
	return time.Now()
}

// relabelStatus names the status column as the sheet writes it.
func relabelStatus(ps mapping.Problems, t *sheets.Table) {
	for i := range ps {
		if ps[i].Field == "status" {
			if h := t.HeaderOf("整改状态"); h != "" {
				ps[i].Label = h
			}
		}
	}
}

// rejectRow reports a rejected row of a hazard or drill sheet and returns its quarantine entry
// (nil in a dry run).
func (im *importer) rejectRow(sheet string, num int, row map[string]string, kind ledger.Kind, key string, ps mapping.Problems) *ledger.QuarantineEntry {
	im.rep.RejectedRows++
	list := im.listed < MaxListed
	if list {
		im.listed++
	} else {
		im.rep.RejectedOmitted++
	}
	for _, pr := range ps {
		r := Rejection{Sheet: sheet, Row: num, Column: pr.Label, Value: maskValue(pr), Reason: pr.Reason}
		im.rep.RejectedProblems++
		im.count(r)
		if list {
			im.rep.Rejected = append(im.rep.Rejected, r)
		}
		if im.book != nil {
			im.book.reject(r)
		}
	}
	if im.opts.DryRun {
		return nil
	}
	raw, _ := json.Marshal(struct {
		Sheet string            `json:"sheet"`
		Row   int               `json:"row"`
		Cells map[string]string `json:"cells"`
	}{sheet, num, row}) // strings only: cannot fail
	return &ledger.QuarantineEntry{Source: ledger.SourceWorkbook, Kind: kind, Key: key, Reasons: ps, Raw: string(raw)}
}

// warnRow reports the warnings of a loaded row.
func (im *importer) warnRow(sheet string, num int, ps mapping.Problems) {
	for _, pr := range ps.Warnings() {
		w := Warning{Sheet: sheet, Row: num, Column: pr.Label, Value: maskValue(pr), Message: pr.Reason}
		im.rep.Warnings++
		if im.warnings < MaxListed {
			im.warnings++
			im.rep.WarningList = append(im.rep.WarningList, w)
		} else {
			im.rep.WarningsOmitted++
		}
		if im.book != nil {
			im.book.warn(w)
		}
	}
}

// exportHazardSheets adds 隐患台账 (every hazard: the street's with their 隐患编号, enterprises' own
// reports for reading) and 演练记录 to an export.
func exportHazardSheets(ctx context.Context, hl HazardLedger, f *excelize.File) error {
	var hrows [][]string
	headers := mapping.SheetHazards.Headers()
	for h, err := range hl.Hazards(ctx, ledger.HazardFilter{}) {
		if err != nil {
			return err
		}
		m := mapping.HazardToRow(&h.Hazard)
		row := make([]string, len(headers))
		for i, k := range headers {
			row[i] = m[k]
		}
		hrows = append(hrows, row)
	}
	var drows [][]string
	dheaders := mapping.SheetDrills.Headers()
	for d, err := range hl.Drills(ctx, ledger.DrillFilter{}) {
		if err != nil {
			return err
		}
		m := mapping.DrillToRow(&d)
		row := make([]string, len(dheaders))
		for i, k := range dheaders {
			row[i] = m[k]
		}
		drows = append(drows, row)
	}
	for _, s := range []struct {
		name    mapping.Sheet
		headers []string
		rows    [][]string
	}{{mapping.SheetHazards, headers, hrows}, {mapping.SheetDrills, dheaders, drows}} {
		if _, err := f.NewSheet(string(s.name)); err != nil {
			return err
		}
		if err := writeTable(f, string(s.name), s.headers, s.rows); err != nil {
			return err
		}
	}
	return nil
}
