package workbook

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"streetsync/internal/ledger"
	"streetsync/internal/workbook/sheets"
	"streetsync/mapping"
	"streetsync/mapping/mask"
)

// batchSize is how many rows go to the ledger at a time (inside the sheet's transaction).
const batchSize = 1000

// Import loads the workbook (or CSV) at path into the ledger: every valid row of the enterprise
// sheet, then of the operator sheet, a batch at a time, each sheet in one transaction; every
// invalid row is reported (and quarantined unless DryRun) while the others load. A problem with
// the file as a whole is a *FileError and nothing is written; an error from the ledger stops the
// import and rolls back the sheet it happened in (sheets already loaded stay loaded).
func Import(ctx context.Context, store Importer, path string, opts Options) (Report, error) {
	rep := Report{Rejected: []Rejection{}, DryRun: opts.DryRun}
	f, err := sheets.Open(path)
	if err != nil {
		return rep, err
	}
	defer f.Close()
	rep.Ignored = f.Ignored
	im := newImporter(opts, &rep)
	if opts.RejectedPath != "" {
		if im.book, err = newRejectionBook(); err != nil {
			return rep, err
		}
		defer im.book.close()
	}
	// Enterprises first: the roster refers to them.
	for _, want := range []mapping.Sheet{mapping.SheetEnterprises, mapping.SheetOperators} {
		for _, t := range f.Tables {
			if t.Sheet != want {
				continue
			}
			err := store.ImportSheet(ctx, opts.DryRun, func(tx ledger.SheetTx) error { return im.load(ctx, tx, t) })
			if err != nil {
				return rep, err
			}
		}
	}
	// Then the hazard sheets, which refer to the enterprises too.
	for _, want := range []mapping.Sheet{mapping.SheetHazards, mapping.SheetDrills} {
		for _, t := range f.Tables {
			if t.Sheet != want {
				continue
			}
			hl, ok := store.(HazardLedger)
			if !ok {
				return rep, fmt.Errorf("import %s: the ledger given cannot hold hazards", t.Name)
			}
			if err := im.loadHazardSheet(ctx, hl, t); err != nil {
				return rep, err
			}
		}
	}
	im.finish()
	if im.book != nil {
		if err := im.book.save(opts.RejectedPath); err != nil {
			return rep, err
		}
		rep.RejectedFile = opts.RejectedPath
	}
	return rep, nil
}

type importer struct {
	opts        Options
	mapOpts     []mapping.Option
	rep         *Report
	book        *rejectionBook
	communities map[string]bool // normalized
	keys        digester

	tables      []string // names of the tables met, for origins
	enterprises map[keyDigest]*enterpriseSeen
	operators   map[keyDigest]origin // roster keys loaded

	// The current table. convert runs on the reading goroutine and only reads these; everything
	// else of the importer belongs to the goroutine that flushes.
	tx      ledger.SheetTx
	sheet   *sheets.Table
	tableNo int32
	kind    ledger.Kind
	pending []pendingRow
	// openKeys holds the keys of this kind with an open rejection: when one loads, it is
	// resolved. It is the ledger's open entries at the start of the table plus the keys
	// rejected since.
	openKeys map[keyDigest]bool

	counts   map[RejectionCount]int // by sheet, column and reason (Rows unset)
	listed   int                    // rejected rows listed
	warnings int                    // warnings listed
}

// pendingRow is a row read and converted, waiting for its batch.
type pendingRow struct {
	num int
	row map[string]string
	ent mapping.Enterprise
	op  mapping.Operator
	ps  mapping.Problems
}

func newImporter(opts Options, rep *Report) *importer {
	im := &importer{opts: opts, rep: rep, keys: newDigester(),
		enterprises: map[keyDigest]*enterpriseSeen{}, operators: map[keyDigest]origin{},
		counts: map[RejectionCount]int{}}
	if !opts.Today.IsZero() {
		im.mapOpts = append(im.mapOpts, mapping.WithToday(opts.Today))
	}
	if len(opts.Communities) > 0 {
		im.communities = map[string]bool{}
		for _, c := range opts.Communities {
			im.communities[mapping.NormalizeCommunity(c)] = true
		}
	}
	return im
}

func (im *importer) load(ctx context.Context, tx ledger.SheetTx, t *sheets.Table) error {
	im.tx, im.sheet, im.tableNo = tx, t, int32(len(im.tables))
	im.tables = append(im.tables, t.Name)
	im.kind = ledger.KindEnterprise
	if t.Sheet == mapping.SheetOperators {
		im.kind = ledger.KindOperator
	}
	im.openKeys = map[keyDigest]bool{}
	if !tx.Dry() {
		err := tx.EachOpenQuarantineKey(ctx, ledger.SourceWorkbook, im.kind, func(k string) { im.openKeys[im.keys.of(k)] = true })
		if err != nil {
			return err
		}
	}
	// Reading and converting rows (this package's and mapping's work) overlaps with writing the
	// previous batch (the ledger's): on two cores, a city's import takes about the longer of the
	// two instead of their sum.
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	batches := make(chan []pendingRow, 1)
	var readErr error // set before batches is closed
	go func() {
		defer close(batches)
		readErr = im.read(rctx, t, batches)
	}()
	for batch := range batches {
		im.pending = batch
		if err := im.flush(ctx); err != nil {
			stop()
			for range batches { // the reader ends at its next row
			}
			return err
		}
	}
	return readErr
}

// read reads the table's rows, converts them, and sends them a batch at a time.
func (im *importer) read(ctx context.Context, t *sheets.Table, batches chan<- []pendingRow) error {
	batch := make([]pendingRow, 0, batchSize)
	send := func() error {
		select {
		case batches <- batch:
			batch = make([]pendingRow, 0, batchSize)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
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
		batch = append(batch, im.convert(num, t.Row(cells), cells, t.LongCells()))
		if len(batch) == batchSize {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if len(batch) == 0 {
		return nil
	}
	return send()
}

// convert maps a row to its record and problems.
func (im *importer) convert(num int, row map[string]string, cells []string, long []int) pendingRow {
	p := pendingRow{num: num, row: row}
	if im.kind == ledger.KindOperator {
		p.op, p.ps = mapping.OperatorFromRow(row, im.opts.Catalog, im.mapOpts...)
		explainNumericID(p.ps)
	} else {
		p.ent, p.ps = mapping.EnterpriseFromRow(row, im.opts.Catalog)
		if !p.ps.HasErrors() {
			im.checkCommunity(&p)
		}
	}
	if len(long) > 0 {
		p.ps = im.tooLong(p.ps, cells, long)
	}
	return p
}

// tooLong replaces what mapping found in cells cut at the bound with one problem each: the cell
// is too long, whatever else is wrong with its first characters.
func (im *importer) tooLong(ps mapping.Problems, cells []string, long []int) mapping.Problems {
	var out mapping.Problems
	for _, c := range long {
		if c >= len(im.sheet.Headers) || strings.TrimSpace(im.sheet.Headers[c]) == "" {
			continue // a column the sheet does not name is not read
		}
		h := im.sheet.Headers[c]
		ps = slices.DeleteFunc(ps, func(p mapping.Problem) bool { return p.Label == h })
		field := ""
		if canonical, ok := im.sheet.Sheet.CanonicalHeader(h); ok && canonical == sheets.KeyHeader(mapping.SheetOperators) {
			field = "idNumber" // masked like any ID number
		}
		prefix := []rune(cells[c])
		out = append(out, mapping.Problem{Field: field, Label: h, Value: string(prefix[:min(len(prefix), longPrefix)]) + "…",
			Reason: fmt.Sprintf(reasonTooLong, sheets.MaxCellRunes), Severity: mapping.SeverityError})
	}
	return append(ps, out...)
}

// longPrefix is how much of a cell that is too long a rejection shows.
const longPrefix = 20

// checkCommunity warns about a 所属社区 that is not one of the street's.
func (im *importer) checkCommunity(p *pendingRow) {
	c := p.ent.Community
	if im.communities == nil || c == "" || im.communities[mapping.NormalizeCommunity(c)] {
		return
	}
	p.ps = append(p.ps, mapping.Problem{Field: "community", Label: im.sheet.HeaderOf(headerCommunity), Value: c,
		Reason: fmt.Sprintf(reasonUnknownCommunity, strings.Join(im.opts.Communities, "、")), Severity: mapping.SeverityWarning})
}

// flush decides the pending rows in order — rejected, repeated, missing their enterprise, or
// loaded — and writes the batch: quarantine entries, records, resolutions.
func (im *importer) flush(ctx context.Context) error {
	if len(im.pending) == 0 {
		return nil
	}
	if im.kind == ledger.KindOperator {
		if err := im.lookUpEnterprises(ctx); err != nil {
			return err
		}
	}
	var (
		enterprises []ledger.EnterpriseInput
		operators   []ledger.OperatorInput
		loadedKeys  []string
		resolve     []string
		// Rejections of keys not loaded before go in before the records (so that a later row of
		// the key resolves them); rejections of keys this file already loaded go in after the
		// resolutions (so that they stay open).
		before, after []ledger.QuarantineEntry
		rows          []pendingRow // the rows loaded, in order, for their warnings
	)
	for i := range im.pending {
		p := &im.pending[i]
		key, problems := im.decide(p)
		if problems != nil {
			entry, loadedEarlier := im.reject(p, key, problems)
			if entry == nil {
				continue
			}
			if loadedEarlier {
				after = append(after, *entry)
			} else {
				before = append(before, *entry)
			}
			continue
		}
		d := im.keys.of(key)
		if im.openKeys[d] {
			resolve = append(resolve, key)
			delete(im.openKeys, d)
		}
		loadedKeys = append(loadedKeys, key)
		warnings := p.ps.Warnings()
		if im.kind == ledger.KindOperator {
			operators = append(operators, ledger.OperatorInput{Operator: p.op, Warnings: warnings})
		} else {
			enterprises = append(enterprises, ledger.EnterpriseInput{Enterprise: p.ent, Warnings: warnings})
		}
		rows = append(rows, *p)
	}
	tx := im.tx
	if err := tx.AddToQuarantine(ctx, before); err != nil {
		return err
	}
	if len(enterprises) > 0 {
		outs, err := tx.UpsertEnterprises(ctx, enterprises)
		if err != nil {
			return err
		}
		for _, o := range outs {
			im.rep.Enterprises.Add(o)
		}
	}
	if len(operators) > 0 {
		outs, err := tx.UpsertOperators(ctx, operators)
		if err != nil {
			return err
		}
		for _, o := range outs {
			im.rep.Operators.Add(o)
		}
	}
	if _, err := tx.ResolveQuarantineKeys(ctx, ledger.SourceWorkbook, im.kind, resolve, resolvedByImport); err != nil {
		return err
	}
	if err := tx.AddToQuarantine(ctx, after); err != nil {
		return err
	}
	for i := range rows {
		im.warn(&rows[i])
	}
	im.pending = nil
	return nil
}

// decide returns a pending row's quarantine key and, when it is rejected, its problems. A row
// that loads claims its key.
func (im *importer) decide(p *pendingRow) (string, mapping.Problems) {
	here := origin{im.tableNo, int32(p.num)}
	if im.kind == ledger.KindEnterprise {
		key := p.ent.USCC
		if p.ps.HasErrors() {
			if key != "" && !fieldFailed(p.ps, "uscc") {
				if seen := im.enterprise(key); seen.rejected.row == 0 {
					seen.rejected = here
				}
			}
			return key, p.ps.Errors()
		}
		seen := im.enterprise(key)
		if seen.loaded.row != 0 {
			return key, im.problem("uscc", sheets.KeyHeader(mapping.SheetEnterprises), key, im.duplicateReason(seen.loaded))
		}
		seen.loaded = here
		return key, nil
	}
	key := operatorKey(&p.op)
	if p.ps.HasErrors() {
		return key, p.ps.Errors()
	}
	seen := im.enterprise(p.op.EnterpriseUSCC)
	switch {
	case seen.loaded.row != 0 || seen.ledger > 0:
	case seen.rejected.row != 0:
		return key, im.problem("enterpriseUscc", headerEnterpriseUSCC, p.op.EnterpriseUSCC,
			fmt.Sprintf(reasonEnterpriseRejected, im.tables[seen.rejected.table], seen.rejected.row))
	default:
		return key, im.problem("enterpriseUscc", headerEnterpriseUSCC, p.op.EnterpriseUSCC, reasonEnterpriseUnknown)
	}
	d := im.keys.of(key)
	if first, dup := im.operators[d]; dup {
		return key, im.problem("idNumber", sheets.KeyHeader(mapping.SheetOperators), p.op.IDNumber, im.duplicateReason(first))
	}
	im.operators[d] = here
	return key, nil
}

// fieldFailed reports whether a field has an error among ps.
func fieldFailed(ps mapping.Problems, field string) bool {
	for _, p := range ps {
		if p.Field == field && p.Severity == mapping.SeverityError {
			return true
		}
	}
	return false
}

func (im *importer) problem(field, canonical, value, reason string) mapping.Problems {
	return mapping.Problems{{Field: field, Label: im.sheet.HeaderOf(canonical), Value: value, Reason: reason, Severity: mapping.SeverityError}}
}

func (im *importer) enterprise(uscc string) *enterpriseSeen {
	d := im.keys.of(uscc)
	seen := im.enterprises[d]
	if seen == nil {
		seen = &enterpriseSeen{}
		im.enterprises[d] = seen
	}
	return seen
}

// lookUpEnterprises asks the ledger, once per USCC, about the enterprises of the pending roster
// rows that this file has not loaded.
func (im *importer) lookUpEnterprises(ctx context.Context) error {
	var ask []string
	for i := range im.pending {
		p := &im.pending[i]
		if p.ps.HasErrors() || p.op.EnterpriseUSCC == "" {
			continue
		}
		if seen := im.enterprise(p.op.EnterpriseUSCC); seen.loaded.row == 0 && seen.ledger == 0 {
			seen.ledger = -1 // asked below; a repeat in this batch is not asked twice
			ask = append(ask, p.op.EnterpriseUSCC)
		}
	}
	if len(ask) == 0 {
		return nil
	}
	known, err := im.tx.KnownEnterprises(ctx, ask)
	if err != nil {
		return err
	}
	for u := range known {
		im.enterprise(u).ledger = 1
	}
	return nil
}

// operatorKey is a roster row's quarantine key (it carries the ID number; the ledger marks it).
func operatorKey(o *mapping.Operator) string {
	if o.IDNumber == "" {
		return ""
	}
	return o.Key().String()
}

func (im *importer) duplicateReason(first origin) string {
	if first.table == im.tableNo {
		return fmt.Sprintf(reasonDuplicate, first.row)
	}
	return fmt.Sprintf(reasonDuplicateIn, im.tables[first.table], first.row)
}

// reject reports each problem of a row and returns the row's quarantine entry (nil in a dry
// run), and whether this file already loaded the row's key.
func (im *importer) reject(p *pendingRow, key string, ps mapping.Problems) (*ledger.QuarantineEntry, bool) {
	sheet := im.sheet.Name
	im.rep.RejectedRows++
	list := im.listed < MaxListed
	if list {
		im.listed++
	} else {
		im.rep.RejectedOmitted++
	}
	for _, pr := range ps {
		r := Rejection{Sheet: sheet, Row: p.num, Column: pr.Label, Value: maskValue(pr), Reason: pr.Reason}
		im.rep.RejectedProblems++
		im.count(r)
		if list {
			im.rep.Rejected = append(im.rep.Rejected, r)
		}
		if im.book != nil {
			im.book.reject(r)
		}
	}
	if im.tx.Dry() {
		return nil, false
	}
	loadedEarlier := false
	if key == "" {
		key = fmt.Sprintf("%s!%d", sheet, p.num)
	} else {
		d := im.keys.of(key)
		if im.kind == ledger.KindEnterprise {
			loadedEarlier = im.enterprises[d] != nil && im.enterprises[d].loaded.row != 0
		} else {
			_, loadedEarlier = im.operators[d]
		}
		if !loadedEarlier {
			im.openKeys[d] = true
		}
	}
	raw, _ := json.Marshal(struct {
		Sheet string            `json:"sheet"`
		Row   int               `json:"row"`
		Cells map[string]string `json:"cells"`
	}{sheet, p.num, p.row}) // strings only: cannot fail
	return &ledger.QuarantineEntry{
		Source: ledger.SourceWorkbook, Kind: im.kind, Key: key, Reasons: ps, Raw: string(raw),
		// A roster row carries an ID number even when it is malformed.
		HasIDNumber: im.kind == ledger.KindOperator,
	}, loadedEarlier
}

// maxCounted bounds the distinct (sheet, column, reason) groups counted; reasons that quote a
// value could otherwise make one group per row.
const maxCounted = 200

// count adds a rejection to the counts by sheet, column and reason.
func (im *importer) count(r Rejection) {
	k := RejectionCount{Sheet: r.Sheet, Column: r.Column, Reason: countedReason(r.Reason)}
	if _, ok := im.counts[k]; !ok && len(im.counts) >= maxCounted {
		k.Reason = reasonOther
	}
	im.counts[k]++
}

// countedReason groups the reasons that name a row (与第12行重复) under one.
func countedReason(reason string) string {
	if strings.HasPrefix(reason, "与") && strings.HasSuffix(reason, "行重复") {
		return reasonDuplicateAny
	}
	return reason
}

// warn reports the warnings of a loaded row.
func (im *importer) warn(p *pendingRow) {
	for _, pr := range p.ps.Warnings() {
		w := Warning{Sheet: im.sheet.Name, Row: p.num, Column: pr.Label, Value: maskValue(pr), Message: pr.Reason}
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

// finish adds the counts by sheet, column and reason when rows were left out of the list.
func (im *importer) finish() {
	if im.rep.RejectedOmitted == 0 {
		return
	}
	for k, n := range im.counts {
		k.Rows = n
		im.rep.RejectedCounts = append(im.rep.RejectedCounts, k)
	}
	slices.SortFunc(im.rep.RejectedCounts, func(a, b RejectionCount) int {
		if a.Rows != b.Rows {
			return b.Rows - a.Rows
		}
		return strings.Compare(a.Sheet+a.Column+a.Reason, b.Sheet+b.Column+b.Reason)
	})
}

// maskValue shows a rejected cell the way it may leave the ledger: an ID number column masked
// whatever it holds, and any ID number inside other text masked too; a long value shows its
// first maxShown characters (the quarantine keeps the row whole).
func maskValue(p mapping.Problem) string {
	if p.Field == "idNumber" {
		return mask.ID(strings.TrimSpace(p.Value))
	}
	v := mask.IDsInText(p.Value)
	if utf8.RuneCountInString(v) > maxShown {
		v = string([]rune(v)[:maxShown]) + "…"
	}
	return v
}

// maxShown bounds a value shown in the report, so that a thousand rows of long cells stay a
// report a person reads, and a console session holds a small one.
const maxShown = 100

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
