package workbook

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"streetsync/internal/ledger"
	"streetsync/internal/workbook/sheets"
	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// batchSize is how many rows go to the ledger in one transaction.
const batchSize = 1000

// Import loads the workbook (or CSV) at path into the ledger: every valid row of the enterprise
// sheet, then of the operator sheet, in batches; every invalid row is reported (and quarantined
// unless DryRun) while the others load. A problem with the file as a whole is a *FileError and
// nothing is written; an error from the ledger stops the import where it happened.
func Import(ctx context.Context, store Importer, path string, opts Options) (Report, error) {
	rep := Report{Rejected: []Rejection{}, DryRun: opts.DryRun}
	f, err := sheets.Open(path)
	if err != nil {
		return rep, err
	}
	defer f.Close()
	rep.Ignored = f.Ignored
	im := &importer{store: store, opts: opts, rep: &rep,
		seenEnterprises: map[string]origin{}, seenOperators: map[mapping.OperatorKey]origin{}}
	if !opts.Today.IsZero() {
		im.mapOpts = append(im.mapOpts, mapping.WithToday(opts.Today))
	}
	// Enterprises first: the roster refers to them.
	for _, want := range []mapping.Sheet{mapping.SheetEnterprises, mapping.SheetOperators} {
		for _, t := range f.Tables {
			if t.Sheet != want {
				continue
			}
			if err := im.table(ctx, t); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// origin is where a key was first seen in the file.
type origin struct {
	sheet string
	row   int
}

type importer struct {
	store   Importer
	opts    Options
	mapOpts []mapping.Option
	rep     *Report

	seenEnterprises map[string]origin
	seenOperators   map[mapping.OperatorKey]origin

	enterprises []ledger.EnterpriseInput
	operators   []ledger.OperatorInput
	loadedKeys  []string // quarantine keys of the rows in the current batch
	quarantine  []ledger.QuarantineEntry
}

func (im *importer) table(ctx context.Context, t *sheets.Table) error {
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
		row := t.Row(cells)
		if t.Sheet == mapping.SheetOperators {
			im.operator(t, num, row)
		} else {
			im.enterprise(t, num, row)
		}
		if len(im.enterprises)+len(im.operators) >= batchSize {
			if err := im.flush(ctx); err != nil {
				return err
			}
		}
	}
	return im.flush(ctx)
}

func (im *importer) enterprise(t *sheets.Table, num int, row map[string]string) {
	e, ps := mapping.EnterpriseFromRow(row, im.opts.Catalog)
	if ps.HasErrors() {
		im.reject(t, num, row, ledger.KindEnterprise, e.USCC, ps.Errors())
		return
	}
	if first, dup := im.seenEnterprises[e.USCC]; dup {
		im.reject(t, num, row, ledger.KindEnterprise, e.USCC, mapping.Problems{{
			Field: "uscc", Label: t.HeaderOf(sheets.KeyHeader(mapping.SheetEnterprises)), Value: e.USCC,
			Reason: first.duplicateReason(t.Name), Severity: mapping.SeverityError,
		}})
		return
	}
	im.seenEnterprises[e.USCC] = origin{t.Name, num}
	warnings := ps.Warnings()
	im.rep.Warnings += len(warnings)
	im.enterprises = append(im.enterprises, ledger.EnterpriseInput{Enterprise: e, Warnings: warnings})
	im.loadedKeys = append(im.loadedKeys, e.USCC)
}

func (im *importer) operator(t *sheets.Table, num int, row map[string]string) {
	o, ps := mapping.OperatorFromRow(row, im.opts.Catalog, im.mapOpts...)
	if ps.HasErrors() {
		explainNumericID(ps)
		im.reject(t, num, row, ledger.KindOperator, operatorKey(&o), ps.Errors())
		return
	}
	if first, dup := im.seenOperators[o.Key()]; dup {
		im.reject(t, num, row, ledger.KindOperator, operatorKey(&o), mapping.Problems{{
			Field: "idNumber", Label: t.HeaderOf(sheets.KeyHeader(mapping.SheetOperators)), Value: o.IDNumber,
			Reason: first.duplicateReason(t.Name), Severity: mapping.SeverityError,
		}})
		return
	}
	im.seenOperators[o.Key()] = origin{t.Name, num}
	warnings := ps.Warnings()
	im.rep.Warnings += len(warnings)
	im.operators = append(im.operators, ledger.OperatorInput{Operator: o, Warnings: warnings})
	im.loadedKeys = append(im.loadedKeys, operatorKey(&o))
}

// operatorKey is a roster row's quarantine key (it carries the ID number; the ledger marks it).
func operatorKey(o *mapping.Operator) string {
	if o.IDNumber == "" {
		return ""
	}
	return o.Key().String()
}

func (o origin) duplicateReason(sheet string) string {
	if o.sheet == sheet {
		return fmt.Sprintf(reasonDuplicate, o.row)
	}
	return fmt.Sprintf(reasonDuplicateIn, o.sheet, o.row)
}

// reject reports each problem of a row and queues the row for the quarantine.
func (im *importer) reject(t *sheets.Table, num int, row map[string]string, kind ledger.Kind, key string, ps mapping.Problems) {
	for _, p := range ps {
		im.rep.Rejected = append(im.rep.Rejected, Rejection{
			Sheet: t.Name, Row: num, Column: p.Label, Value: maskValue(p), Reason: p.Reason,
		})
	}
	if im.opts.DryRun {
		return
	}
	if key == "" {
		key = fmt.Sprintf("%s!%d", t.Name, num)
	}
	raw, _ := json.Marshal(struct {
		Sheet string            `json:"sheet"`
		Row   int               `json:"row"`
		Cells map[string]string `json:"cells"`
	}{t.Name, num, row}) // strings only: cannot fail
	im.quarantine = append(im.quarantine, ledger.QuarantineEntry{
		Source: ledger.SourceWorkbook, Kind: kind, Key: key, Reasons: ps, Raw: string(raw),
		// A roster row carries an ID number even when it is malformed.
		HasIDNumber: kind == ledger.KindOperator,
	})
}

// maskValue shows a rejected cell the way it may leave the ledger: an ID number column masked
// whatever it holds, and any ID number inside other text masked too.
func maskValue(p mapping.Problem) string {
	if p.Field == "idNumber" {
		return mask.ID(strings.TrimSpace(p.Value))
	}
	return mask.IDsInText(p.Value)
}

// flush writes (or, in a dry run, compares) the pending batch and the quarantine entries.
func (im *importer) flush(ctx context.Context) error {
	if len(im.enterprises) > 0 {
		var outs []ledger.Outcome
		var err error
		if im.opts.DryRun {
			outs, err = im.store.CompareEnterprises(ctx, im.enterprises)
		} else {
			outs, err = im.store.UpsertEnterprises(ctx, im.enterprises)
		}
		if err != nil {
			return err
		}
		for _, o := range outs {
			im.rep.Enterprises.Add(o)
		}
		if err := im.resolve(ctx, ledger.KindEnterprise); err != nil {
			return err
		}
		im.enterprises = im.enterprises[:0]
	}
	if len(im.operators) > 0 {
		var outs []ledger.Outcome
		var err error
		if im.opts.DryRun {
			outs, err = im.store.CompareOperators(ctx, im.operators)
		} else {
			outs, err = im.store.UpsertOperators(ctx, im.operators)
		}
		if err != nil {
			return err
		}
		for _, o := range outs {
			im.rep.Operators.Add(o)
		}
		if err := im.resolve(ctx, ledger.KindOperator); err != nil {
			return err
		}
		im.operators = im.operators[:0]
	}
	if len(im.quarantine) > 0 {
		if err := im.store.AddToQuarantine(ctx, im.quarantine); err != nil {
			return err
		}
		im.quarantine = im.quarantine[:0]
	}
	return nil
}

// resolve closes earlier rejections of the keys that have just loaded.
func (im *importer) resolve(ctx context.Context, kind ledger.Kind) error {
	defer func() { im.loadedKeys = im.loadedKeys[:0] }()
	if im.opts.DryRun || len(im.loadedKeys) == 0 {
		return nil
	}
	_, err := im.store.ResolveQuarantineKeys(ctx, ledger.SourceWorkbook, kind, im.loadedKeys, resolvedByImport)
	return err
}

// explainNumericID replaces the reason of an ID number that Excel stored as a number
// (3.50582198001011E+17): its last digits are already lost, and the fix is in Excel, not in
// the digits shown.
func explainNumericID(ps mapping.Problems) {
	for i := range ps {
		if ps[i].Field == "idNumber" && looksLikeExcelNumber(ps[i].Value) {
			ps[i].Reason = reasonIDAsNumber
		}
	}
}

// looksLikeExcelNumber reports whether v is a number in the exponent form Excel stores for
// values beyond 15 significant digits.
func looksLikeExcelNumber(v string) bool {
	v = strings.TrimSpace(v)
	mant, exp, ok := strings.Cut(strings.ToUpper(v), "E+")
	if !ok || mant == "" || exp == "" {
		return false
	}
	for _, r := range mant + exp {
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return true
}
