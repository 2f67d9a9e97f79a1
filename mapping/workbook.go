package mapping

import (
	"sort"
	"strings"
)

// The street's ledger workbook (operator-interface.md, "Ledger workbook"): rows as header → cell
// text maps. People name the columns in many ways (信用代码, 单位名称, 联系电话 …), mark required
// ones with *, and add hints in parentheses (从业人数（人）); the sheet's own header text is
// accepted as is and resolved here. Problems name the column as the sheet writes it, so that the
// importer can report sheet, row, column, value and reason.

// Sheet is one sheet of the ledger workbook; its value is the sheet's name.
type Sheet string

const (
	SheetEnterprises Sheet = "企业台账"
	SheetOperators   Sheet = "特种作业人员"
)

// column is one column of a sheet, drawn from its field table.
type column struct {
	header   string   // canonical Chinese header: the field's label
	field    string   // canonical English field name (Problem.Field)
	required bool     // a row without it is rejected
	readOnly bool     // written by export, ignored by import
	variants []string // other headers people use, in header-key form
	index    int      // the field's place in its table
	max      int      // the field's length limit: what a rejected cell shows at most
}

// sheetColumns lists the fields of a table that the workbook has a column for, in the table's
// order (the export order).
func sheetColumns[R any](table []*Field[R]) []column {
	var out []column
	for i, f := range table {
		if f.Column == NoColumn {
			continue
		}
		out = append(out, column{header: f.Label, field: f.Name, required: f.Column == ColumnRequired,
			readOnly: f.Column == ColumnReadOnly, variants: f.Headers, index: i, max: f.MaxRunes})
	}
	return out
}

// The sheets' columns, in export order.
var (
	enterpriseColumns = sheetColumns(EnterpriseTable)
	operatorColumns   = sheetColumns(OperatorTable)
)

func (s Sheet) columns() []column {
	switch s {
	case SheetOperators:
		return operatorColumns
	case SheetHazards:
		return hazardColumns // hazard_workbook.go
	case SheetDrills:
		return drillColumns
	}
	return enterpriseColumns
}

// Headers returns the sheet's canonical headers in export order.
func (s Sheet) Headers() []string {
	cols := s.columns()
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.header
	}
	return out
}

// RequiredHeaders returns the headers a row must fill.
func (s Sheet) RequiredHeaders() []string {
	var out []string
	for _, c := range s.columns() {
		if c.required {
			out = append(out, c.header)
		}
	}
	return out
}

// ReadOnlyHeaders returns the headers export fills and import ignores.
func (s Sheet) ReadOnlyHeaders() []string {
	var out []string
	for _, c := range s.columns() {
		if c.readOnly {
			out = append(out, c.header)
		}
	}
	return out
}

// MissingHeaders returns the required headers that none of headers (as the sheet writes them)
// stands for.
func (s Sheet) MissingHeaders(headers []string) []string {
	have := make(map[string]bool, len(headers))
	for _, h := range headers {
		if c, ok := s.CanonicalHeader(h); ok {
			have[c] = true
		}
	}
	var out []string
	for _, h := range s.RequiredHeaders() {
		if !have[h] {
			out = append(out, h)
		}
	}
	return out
}

// headerKey is the form headers are compared in: cleaned, folded, upper-case, without white space,
// required markers (*), hints in parentheses or brackets, or a trailing colon.
func headerKey(s string) string {
	k := rewrite(s, rulesKey)
	if strings.ContainsAny(k, "*([【") {
		var b strings.Builder
		depth := 0
		for _, r := range k {
			switch r {
			case '(', '[', '【', '（':
				depth++
			case ')', ']', '】', '）':
				if depth > 0 {
					depth--
				}
			case '*':
			default:
				if depth == 0 {
					b.WriteRune(r)
				}
			}
		}
		k = b.String()
	}
	return strings.TrimRight(k, ":：")
}

// column returns the index of the column header stands for.
func (s Sheet) column(header string) (int, bool) {
	k := headerKey(header)
	if k == "" {
		return 0, false
	}
	cols := s.columns()
	for i, c := range cols {
		if c.header == k {
			return i, true
		}
	}
	for i, c := range cols {
		for _, v := range c.variants {
			if v == k {
				return i, true
			}
		}
	}
	return 0, false
}

// CanonicalHeader returns the canonical header that text (a header as a sheet writes it) stands
// for in this sheet.
func (s Sheet) CanonicalHeader(text string) (string, bool) {
	i, ok := s.column(text)
	if !ok {
		return "", false
	}
	return s.columns()[i].header, true
}

// CanonicalHeader resolves a header without knowing the sheet: a canonical header of either sheet
// stands for itself, other variants are looked up in the enterprise sheet first. Variants mean
// different columns in the two sheets (联系电话, 统一社会信用代码), so when the sheet is known, use
// Sheet.CanonicalHeader; EnterpriseFromRow and OperatorFromRow resolve their rows' headers
// themselves.
func CanonicalHeader(text string) (string, bool) {
	k := headerKey(text)
	for _, s := range []Sheet{SheetEnterprises, SheetOperators} {
		for _, c := range s.columns() {
			if c.header == k {
				return k, true
			}
		}
	}
	if h, ok := SheetEnterprises.CanonicalHeader(text); ok {
		return h, true
	}
	return SheetOperators.CanonicalHeader(text)
}

// DetectSheet tells from a header row which sheet it belongs to (a CSV file holds one of the
// two): a row naming an ID number or an operation item is the operator sheet, one naming a credit
// code or an enterprise name the enterprise sheet.
func DetectSheet(headers []string) (Sheet, bool) {
	if s, ok := detectHazardSheet(headers); ok {
		return s, true
	}
	enterprise := false
	for _, h := range headers {
		if c, ok := SheetOperators.CanonicalHeader(h); ok && (c == labelIDNumber || c == labelItem) {
			return SheetOperators, true
		}
		if c, ok := SheetEnterprises.CanonicalHeader(h); ok && (c == labelUSCC || c == labelName) {
			enterprise = true
		}
	}
	return SheetEnterprises, enterprise
}

// cell is one column's value in a row, with the header the sheet used.
type cell struct {
	header string
	value  string
}

// readRow resolves a row's headers against the sheet's columns. When two headers stand for the
// same column (信用代码 and 统一社会信用代码), a non-empty value wins over an empty one; two different
// non-empty values are a problem.
func (s Sheet) readRow(row map[string]string, ps *Problems) []cell {
	cols := s.columns()
	cells := make([]cell, len(cols))
	keys := make([]string, 0, len(row))
	for k := range row {
		keys = append(keys, k)
	}
	sort.Strings(keys) // a deterministic choice among duplicate columns
	for _, k := range keys {
		i, ok := s.column(k)
		if !ok {
			continue
		}
		v := row[k]
		switch c := &cells[i]; {
		case c.header == "" || CleanText(c.value) == "":
			c.header, c.value = k, v
		case CleanText(v) != "" && CleanText(v) != CleanText(c.value):
			ps.add(cols[i].field, k, v, reasonDuplicateColumn, SeverityError)
		}
	}
	return cells
}

// relabel names each problem's column as the sheet writes it and shows the cell as written (at
// most as long as the field's limit). Problems about one key-risk entry keep that entry as their
// value.
func (s Sheet) relabel(ps Problems, cells []cell) {
	cols := s.columns()
	for i := range ps {
		if ps[i].Reason == reasonDuplicateColumn {
			continue // already names the second column
		}
		for j, c := range cols {
			if c.field != ps[i].Field {
				continue
			}
			ps[i].Label = c.header
			if cells[j].header != "" {
				ps[i].Label = cells[j].header
				if c.field != "keyRisks" {
					ps[i].Value = clipRunes(cells[j].value, c.max)
				}
			}
			break
		}
	}
}

// EnterpriseFromRow converts one row of the enterprise sheet (headers as the sheet writes them,
// canonical or variant) into a normalized, validated enterprise. Besides ValidateEnterprise's
// rules the workbook requires 所属社区. Read-only columns are ignored; 核实状态 says whether the
// row keeps a 待核实 enterprise pending (Enterprise.PendingReview). cat is not used by this sheet;
// it is taken so that both sheets convert alike.
func EnterpriseFromRow(row map[string]string, cat *Catalog) (Enterprise, Problems) {
	_ = cat
	var ps Problems
	cells := SheetEnterprises.readRow(row, &ps)
	var e Enterprise
	for i, c := range enterpriseColumns {
		if !c.readOnly {
			EnterpriseTable[c.index].read(&e, cells[i].value, &ps)
		}
	}
	NormalizeEnterprise(&e)
	ps.validateEnterprise(&e, true)
	if ps != nil {
		clipLong(EnterpriseTable, &e)
		SheetEnterprises.relabel(ps, cells)
		ps.sortByField(enterpriseFieldOrder)
	}
	return e, ps
}

// EnterpriseToRow writes an enterprise as a row of the enterprise sheet, keyed by canonical
// headers: Chinese labels for codes, 是/否, dates yyyy-MM-dd, the read-only platform columns and
// 核实状态 (待核实 or 已核实).
func EnterpriseToRow(e *Enterprise) map[string]string {
	m := make(map[string]string, len(enterpriseColumns))
	for _, c := range enterpriseColumns {
		m[c.header] = EnterpriseTable[c.index].cellText(e)
	}
	return m
}

// OperatorFromRow converts one row of the operator sheet into a normalized, validated roster
// entry: 操作项目 may be the item's name, code or a short form, 作业类别 a name or code; an ID number
// with an impossible birth date or a wrong check digit is rejected. Options: WithToday.
func OperatorFromRow(row map[string]string, cat *Catalog, opts ...Option) (Operator, Problems) {
	cat = catalogOrDefault(cat)
	s := newSettings(opts)
	var ps Problems
	cells := SheetOperators.readRow(row, &ps)
	var o Operator
	for i, c := range operatorColumns {
		OperatorTable[c.index].read(&o, cells[i].value, &ps)
	}
	NormalizeOperator(&o, cat)
	ps.validateOperator(&o, cat, &s)
	if ps != nil {
		clipLong(OperatorTable, &o)
		SheetOperators.relabel(ps, cells)
		ps.sortByField(operatorFieldOrder)
	}
	return o, ps
}

// OperatorToRow writes a roster entry as a row of the operator sheet, keyed by canonical headers:
// the category's and item's names (the code when the catalog does not know it), the ID number
// whole (the workbook is the ledger's own copy), dates yyyy-MM-dd.
func OperatorToRow(o *Operator, cat *Catalog) map[string]string {
	cat = catalogOrDefault(cat)
	m := make(map[string]string, len(operatorColumns))
	for _, c := range operatorColumns {
		m[c.header] = OperatorTable[c.index].cellText(o)
	}
	if c, ok := cat.Category(o.CategoryCode); ok {
		m[labelCategory] = c.Name
	}
	if it, ok := cat.Item(o.ItemCode); ok {
		m[labelItem] = it.Name
	}
	return m
}
