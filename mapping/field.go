package mapping

import (
	"runtime"
	"strconv"
	"time"
	"unicode/utf8"
	"unsafe"
)

// What the program does with a field descriptor. The descriptors themselves are in fields.go;
// this file reads, normalizes, validates and writes a record field by field from them, so that
// no conversion, check, column list, hash or wire mapping repeats what a field is.

// Kind is the Go type a field holds, and so how each shape spells it.
type Kind uint8

const (
	// KindText is a string: free text, or a code stored as its code (行业类别 holds QG).
	KindText Kind = iota + 1
	// KindCount is an int (从业人数): a number on the wire and in the workbook, 0 when unknown.
	KindCount
	// KindFlag is a bool: "1"/"0" on the wire, 是/否 (or the field's own words) in the workbook.
	KindFlag
	// KindDate is a Date: yyyy-MM-dd everywhere.
	KindDate
	// KindList is a []KeyRisk: codes joined by commas on the wire, labels joined by 、 in the
	// workbook.
	KindList
	// KindTime is a time.Time: Beijing `yyyy-MM-dd HH:mm:ss` on the Quanzhou wire.
	KindTime
)

// Column says what the workbook does with a field.
type Column uint8

const (
	// NoColumn: the workbook has no column for the field.
	NoColumn Column = iota
	// ColumnOptional: a column import reads and export writes.
	ColumnOptional
	// ColumnRequired: a row that leaves it empty is rejected.
	ColumnRequired
	// ColumnReadOnly: written by export, ignored by import (the platform's fields).
	ColumnReadOnly
)

// Field describes one field of a canonical record R (Enterprise, Operator): its names in every
// shape, who owns it, how it is normalized, checked, compared and hashed, and how it is read
// from and written to R. A record's table lists its fields in the struct's order, which is also
// the order of the workbook's columns and of the problems reported.
type Field[R any] struct {
	Name    string   // canonical English name: Problem.Field, reconcile's `fields`, stored views
	Label   string   // Chinese name: every message a person reads, the workbook's canonical header
	Headers []string // other headers people write for the column, in header-key form
	Column  Column   // what the workbook does with it
	Wire    string   // the Quanzhou record's key; "" when the platform has no such field
	Ledger  string   // the ledger's column; "" when the ledger keeps none
	Owner   Owner
	// MaxRunes is the length limit in characters. Text is measured in its canonical form
	// (after normalization), anything else as written, before it is parsed.
	MaxRunes int
	// Required: an empty value stops the record.
	Required bool
	// Compared: reconcile compares it (EnterpriseFields).
	Compared bool
	// Hashed: its owner's content hash covers it (Enterprise.StreetHash and PlatformHash).
	Hashed bool

	// hashEmpty marks the fields of hash version 1, which are hashed even when empty. A field
	// added later is hashed only when it holds a value, so that adding it leaves every stored
	// hash as it was: the ledger would otherwise see every enterprise changed on both sides.
	hashEmpty bool

	// The accessor of the field in R: exactly one, the one of kind. The compiler checks that it
	// names a field of the right type; prepared turns it into off.
	kind  Kind
	text  func(*R) *string
	count func(*R) *int
	flag  func(*R) *bool
	date  func(*R) *Date
	list  func(*R) *[]KeyRisk
	time  func(*R) *time.Time

	rules textRule            // KindText: the rewrite rules of normalization
	canon func(string) string // KindText: after the rules, the canonical form (a code for a label …)
	label func(string) string // KindText: the workbook's word for a code, "" when it has none
	words [2]string           // KindFlag: the workbook's words for true and false ("" : 是 and 否)

	// check is the field's own rule on its canonical text, run when the text is not empty: why
	// it fails ("" when it passes) and how much that weighs (0: the field's severity). It sees
	// the text only, so that a record never escapes to the heap for it; rules that weigh one
	// field against another live with the record's Validate function.
	check func(s string, env *settings) (reason string, sev Severity)
	// ifEmpty, when set, is a warning for an empty field that is not required (a missing 所属社区
	// routes no alert).
	ifEmpty string

	qz func(*QZEnterprise) *string // the Quanzhou wire struct's field (Enterprise only)

	off, qzOff uintptr // where the accessors point, in R and in QZEnterprise (prepared)
}

// prepared computes where each accessor of a table points. Every conversion reaches a field by
// its offset rather than by calling its accessor: a record handed to a func value escapes to the
// heap, which would cost one allocation per record converted (and NormalizeEnterprise promises
// none beyond the one for rewritten text).
func prepared[R any](table []*Field[R]) []*Field[R] {
	for _, f := range table {
		switch f.kind {
		case KindText:
			f.off = offsetOf(f.text)
		case KindCount:
			f.off = offsetOf(f.count)
		case KindFlag:
			f.off = offsetOf(f.flag)
		case KindDate:
			f.off = offsetOf(f.date)
		case KindList:
			f.off = offsetOf(f.list)
		case KindTime:
			f.off = offsetOf(f.time)
		default:
			panic("mapping: field " + f.Name + " has no kind") // a programming error in a table
		}
		if f.qz != nil {
			f.qzOff = offsetOf(f.qz)
		}
	}
	return table
}

// offsetOf returns where get's field lies in R.
func offsetOf[R, T any](get func(*R) *T) uintptr {
	if get == nil {
		panic("mapping: a field has no accessor of its kind") // a programming error in a table
	}
	r := new(R)
	p, base := uintptr(unsafe.Pointer(get(r))), uintptr(unsafe.Pointer(r))
	runtime.KeepAlive(r)
	if p < base || p-base+unsafe.Sizeof(*new(T)) > unsafe.Sizeof(*r) {
		panic("mapping: a field accessor points outside its record") // a programming error in a table
	}
	return p - base
}

// at is the field of type T at offset off in r.
func at[T, R any](r *R, off uintptr) *T { return (*T)(unsafe.Add(unsafe.Pointer(r), off)) }

func (f *Field[R]) textAt(r *R) *string          { return at[string](r, f.off) }
func (f *Field[R]) countAt(r *R) *int            { return at[int](r, f.off) }
func (f *Field[R]) flagAt(r *R) *bool            { return at[bool](r, f.off) }
func (f *Field[R]) dateAt(r *R) *Date            { return at[Date](r, f.off) }
func (f *Field[R]) listAt(r *R) *[]KeyRisk       { return at[[]KeyRisk](r, f.off) }
func (f *Field[R]) timeAt(r *R) *time.Time       { return at[time.Time](r, f.off) }
func (f *Field[R]) qzAt(q *QZEnterprise) *string { return at[string](q, f.qzOff) }

// Kind returns the Go type the field holds.
func (f *Field[R]) Kind() Kind { return f.kind }

// Text returns the field of r when it is KindText, else nil. The other accessors likewise.
func (f *Field[R]) Text(r *R) *string {
	if f.kind != KindText {
		return nil
	}
	return f.textAt(r)
}

// Count returns the field of r when it is KindCount, else nil.
func (f *Field[R]) Count(r *R) *int {
	if f.kind != KindCount {
		return nil
	}
	return f.countAt(r)
}

// Flag returns the field of r when it is KindFlag, else nil.
func (f *Field[R]) Flag(r *R) *bool {
	if f.kind != KindFlag {
		return nil
	}
	return f.flagAt(r)
}

// Date returns the field of r when it is KindDate, else nil.
func (f *Field[R]) Date(r *R) *Date {
	if f.kind != KindDate {
		return nil
	}
	return f.dateAt(r)
}

// List returns the field of r when it is KindList, else nil.
func (f *Field[R]) List(r *R) *[]KeyRisk {
	if f.kind != KindList {
		return nil
	}
	return f.listAt(r)
}

// Time returns the field of r when it is KindTime, else nil.
func (f *Field[R]) Time(r *R) *time.Time {
	if f.kind != KindTime {
		return nil
	}
	return f.timeAt(r)
}

// Get renders the field of a normalized record in its canonical form: what reconcile compares,
// the hashes cover and the Quanzhou platform receives (except a count of 0, sent as "").
func (f *Field[R]) Get(r *R) string {
	switch f.kind {
	case KindText:
		return *f.textAt(r)
	case KindCount:
		return strconv.Itoa(*f.countAt(r))
	case KindFlag:
		return boolFlag(*f.flagAt(r))
	case KindDate:
		return f.dateAt(r).String()
	case KindList:
		return joinKeyRisks(*f.listAt(r))
	case KindTime:
		return FormatBeijingTime(*f.timeAt(r))
	}
	return ""
}

// IsEmpty reports whether the field of r holds nothing (the zero value).
func (f *Field[R]) IsEmpty(r *R) bool {
	switch f.kind {
	case KindText:
		return *f.textAt(r) == ""
	case KindCount:
		return *f.countAt(r) == 0
	case KindFlag:
		return !*f.flagAt(r)
	case KindDate:
		return f.dateAt(r).IsZero()
	case KindList:
		return len(*f.listAt(r)) == 0
	case KindTime:
		return f.timeAt(r).IsZero()
	}
	return true
}

// wireText is the field as the Quanzhou platform receives it: Get, with an unknown count "".
func (f *Field[R]) wireText(r *R) string {
	if f.kind == KindCount {
		return employeesText(*f.countAt(r))
	}
	return f.Get(r)
}

// cellText is the field as the workbook shows it: labels for codes, the flag's words, dates
// yyyy-MM-dd, an unknown count empty.
func (f *Field[R]) cellText(r *R) string {
	switch f.kind {
	case KindText:
		v := *f.textAt(r)
		if f.label != nil {
			if l := f.label(v); l != "" {
				return l
			}
		}
		return v
	case KindCount:
		return employeesText(*f.countAt(r))
	case KindFlag:
		yes, no := f.flagWords()
		if *f.flagAt(r) {
			return yes
		}
		return no
	case KindList:
		return KeyRiskLabels(*f.listAt(r))
	}
	return f.Get(r)
}

func (f *Field[R]) flagWords() (yes, no string) {
	if f.words[0] == "" {
		return YesNoLabel(true), YesNoLabel(false)
	}
	return f.words[0], f.words[1]
}

// severity is how much a problem with the field weighs: the platform's fields are the
// platform's to fix, so their problems are warnings.
func (f *Field[R]) severity() Severity {
	if f.Owner == OwnerPlatform {
		return SeverityWarning
	}
	return SeverityError
}

// read sets the field of r from an outside spelling (a wire value, a workbook cell): text as it
// is, for normalization to clean; anything else parsed, with a problem when it does not parse.
// A value that is not text and longer than the limit is not parsed at all.
func (f *Field[R]) read(r *R, s string, ps *Problems) {
	if f.kind != KindText && tooLong(s, f.MaxRunes) {
		ps.tooLong(f.Name, f.Label, s, f.MaxRunes, f.severity())
		return
	}
	switch f.kind {
	case KindText:
		*f.textAt(r) = s
	case KindCount:
		*f.countAt(r) = ps.parseEmployeesField(f.Name, f.Label, s, f.severity())
	case KindFlag:
		*f.flagAt(r) = f.readFlag(s, ps)
	case KindDate:
		*f.dateAt(r) = ps.parseDateField(f.Name, f.Label, s, f.severity())
	case KindList:
		*f.listAt(r), _ = ParseKeyRisks(s) // unknown entries are kept for validation to name
	case KindTime:
		*f.timeAt(r) = ps.parseTimeField(f.Name, f.Label, s, f.severity())
	}
}

// readFlag reads a yes/no field; empty is false. A field with its own words takes only those.
func (f *Field[R]) readFlag(s string, ps *Problems) bool {
	if f.words[0] == "" {
		return ps.parseFlagField(f.Name, f.Label, s, f.severity())
	}
	switch k := rewrite(s, rulesKey); k {
	case "":
		return false
	case f.words[0], f.words[1]:
		return k == f.words[0]
	}
	ps.add(f.Name, f.Label, s, reasonOneOf(f.words[0], f.words[1]), f.severity())
	return false
}

// tooLong reports whether s has more than max characters (max 0: no limit). Bytes are counted
// first: a string of at most max bytes cannot have more characters.
func tooLong(s string, max int) bool {
	return max > 0 && len(s) > max && utf8.RuneCountInString(s) > max
}

// clipRunes shortens s to its first max characters followed by …, when it is longer.
func clipRunes(s string, max int) string {
	if !tooLong(s, max) {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// tooLong records a value over its field's limit. The problem shows the value clipped: a
// megabyte cell must not travel on in every report that names it.
func (ps *Problems) tooLong(field, label, value string, max int, sev Severity) {
	ps.add(field, label, clipRunes(value, max), reasonTooLong(max, utf8.RuneCountInString(value)), sev)
}

// maxTextFields bounds how many fields of one record normalization rewrites at once (a test holds
// the tables to it; the bound keeps the rewrite's bookkeeping on the stack).
const maxTextFields = 16

// normalizeRecord puts every field of r in canonical form, in place: the text fields' rules in
// one shared rewrite, and each field's canonical form — after the rewrite for a field that has
// both (a phone's prefixes), at once for the others (codes read from their labels).
func normalizeRecord[R any](table []*Field[R], r *R) {
	var texts [maxTextFields]textField
	n := 0
	for _, f := range table {
		switch {
		case f.rules != 0:
			texts[n] = textField{f.textAt(r), f.rules}
			n++
		case f.canon != nil:
			p := f.textAt(r)
			*p = f.canon(*p)
		case f.kind == KindList:
			p := f.listAt(r)
			*p = normalizeKeyRisks(*p)
		case f.kind == KindTime:
			if p := f.timeAt(r); !p.IsZero() {
				*p = p.In(beijing)
			}
		}
	}
	rewriteFields(texts[:n])
	for _, f := range table {
		if f.rules != 0 && f.canon != nil {
			p := f.textAt(r)
			*p = f.canon(*p)
		}
	}
}

// validateRecord checks a normalized record field by field, in the table's order: the length
// limit of text, then presence, then the field's own rule — for dates their plausibility, for a
// key-risk list its codes, for a count its range. sheet adds the workbook's required columns;
// env carries the day and the catalog the checks judge against (nil: today, the built-in one).
func validateRecord[R any](ps *Problems, table []*Field[R], r *R, env *settings, sheet bool) {
	for _, f := range table {
		switch f.kind {
		case KindText:
			s := *f.textAt(r)
			switch {
			case s == "":
				missing(ps, f, sheet)
			case tooLong(s, f.MaxRunes):
				ps.tooLong(f.Name, f.Label, s, f.MaxRunes, f.severity())
			case f.check != nil:
				if reason, sev := f.check(s, env); reason != "" {
					if sev == 0 {
						sev = f.severity()
					}
					ps.add(f.Name, f.Label, s, reason, sev)
				}
			}
		case KindDate:
			if d := *f.dateAt(r); d.IsZero() {
				missing(ps, f, sheet)
			} else {
				ps.checkDate(f.Name, f.Label, d, f.severity())
			}
		case KindList:
			ks := *f.listAt(r)
			if len(ks) == 0 {
				missing(ps, f, sheet)
			}
			for _, k := range ks {
				if !k.Known() {
					ps.add(f.Name, f.Label, string(k), reasonKeyRisk, f.severity())
				}
			}
		case KindCount:
			switch n := *f.countAt(r); {
			case n < 0:
				ps.add(f.Name, f.Label, strconv.Itoa(n), reasonEmployees, f.severity())
			case n > maxEmployees:
				ps.add(f.Name, f.Label, strconv.Itoa(n), reasonEmployeesTooMany, f.severity())
			}
		}
	}
}

// missing records an empty field that must not be: required, by the record or by the sheet (a
// value that did not parse is not reported again), or worth a warning (ifEmpty).
func missing[R any](ps *Problems, f *Field[R], sheet bool) {
	switch {
	case f.Required || sheet && f.Column == ColumnRequired:
		ps.required(f.Name, f.Label, "")
	case f.ifEmpty != "":
		ps.add(f.Name, f.Label, "", f.ifEmpty, SeverityWarning)
	}
}

// clipLong cuts every text field over its limit to the limit (and …): the record already has a
// problem saying so, and whoever shows it anyway must not carry megabytes along.
func clipLong[R any](table []*Field[R], r *R) {
	for _, f := range table {
		if f.kind == KindText {
			if p := f.textAt(r); tooLong(*p, f.MaxRunes) {
				*p = clipRunes(*p, f.MaxRunes)
			}
		}
	}
}

// fieldOrder lists the names of a table's fields, the order problems are reported in.
func fieldOrder[R any](table []*Field[R]) []string {
	out := make([]string, len(table))
	for i, f := range table {
		out[i] = f.Name
	}
	return out
}
