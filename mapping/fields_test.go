package mapping

import (
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
	"unsafe"
)

// The field tables must describe their structs whole: a struct field without a descriptor would
// be silently left out of every conversion, column, hash and check.

// structOffsets maps each field of struct type t to its offset.
func structOffsets(t reflect.Type) map[uintptr]string {
	out := map[uintptr]string{}
	for i := 0; i < t.NumField(); i++ {
		out[t.Field(i).Offset] = t.Field(i).Name
	}
	return out
}

func checkTableCoversStruct[R any](t *testing.T, table []*Field[R]) {
	t.Helper()
	typ := reflect.TypeFor[R]()
	fields := structOffsets(typ)
	seen := map[string]string{}
	for _, f := range table {
		name, ok := fields[f.off]
		if !ok {
			t.Errorf("%s: descriptor %s points at no field", typ.Name(), f.Name)
			continue
		}
		if other, dup := seen[name]; dup {
			t.Errorf("%s.%s is described twice: %s and %s", typ.Name(), name, other, f.Name)
		}
		seen[name] = f.Name
	}
	for _, name := range fields {
		if _, ok := seen[name]; !ok {
			t.Errorf("%s.%s has no descriptor in its field table", typ.Name(), name)
		}
	}
}

func TestFieldTablesDescribeEveryStructField(t *testing.T) {
	checkTableCoversStruct(t, EnterpriseTable)
	checkTableCoversStruct(t, OperatorTable)
}

func TestEnterpriseTableMatchesTheQuanzhouWireStruct(t *testing.T) {
	typ := reflect.TypeFor[QZEnterprise]()
	byOffset := map[uintptr]string{}
	for i := 0; i < typ.NumField(); i++ {
		tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		byOffset[typ.Field(i).Offset] = tag
	}
	seen := map[string]bool{}
	for _, f := range EnterpriseTable {
		if f.Wire == "" {
			if f.qz != nil {
				t.Errorf("%s has a wire accessor but no wire name", f.Name)
			}
			continue
		}
		if tag := byOffset[f.qzOff]; tag != f.Wire {
			t.Errorf("%s: wire name %q, but its accessor points at the field tagged %q", f.Name, f.Wire, tag)
		}
		seen[f.Wire] = true
	}
	for _, tag := range byOffset {
		if !seen[tag] {
			t.Errorf("QZEnterprise's %q has no descriptor in EnterpriseTable", tag)
		}
	}
	if got, want := len(QZEnterpriseKeys()), typ.NumField(); got != want {
		t.Errorf("QZEnterpriseKeys lists %d keys, the struct has %d fields", got, want)
	}
}

func TestQZEnterpriseFieldFindsEveryKey(t *testing.T) {
	var q QZEnterprise
	readJSON(t, "qz_enterprise.json", &q)
	for _, key := range QZEnterpriseKeys() {
		dst, number := q.Field(key)
		if dst == nil {
			t.Fatalf("Field(%q) = nil", key)
		}
		if number != (key == "cyrs") {
			t.Errorf("Field(%q) number = %v", key, number)
		}
		// The value found is the one encoding/json put under that key.
		raw := map[string]any{}
		b, _ := json.Marshal(q)
		_ = json.Unmarshal(b, &raw)
		if want, ok := raw[key]; ok && key != "cyrs" && want != *dst {
			t.Errorf("Field(%q) = %q, JSON has %v", key, *dst, want)
		}
	}
	if dst, _ := q.Field("nosuchkey"); dst != nil {
		t.Error("Field(nosuchkey) found a field")
	}
}

func TestEveryFieldHasALengthLimit(t *testing.T) {
	max := 0
	check := func(table string, name string, limit int) {
		if limit <= 0 {
			t.Errorf("%s.%s has no length limit", table, name)
		}
		if limit > max {
			max = limit
		}
	}
	for _, f := range EnterpriseTable {
		check("enterprise", f.Name, f.MaxRunes)
	}
	for _, f := range OperatorTable {
		check("operator", f.Name, f.MaxRunes)
	}
	for _, f := range certificateTexts {
		check("certificate", f.Name, f.MaxRunes)
	}
	for _, f := range alarmTexts {
		check("alarm", f.Name, f.MaxRunes)
	}
	if max != MaxCellRunes {
		t.Errorf("the largest limit is %d, MaxCellRunes %d: a workbook reader would refuse a valid cell or read an invalid one whole", max, MaxCellRunes)
	}
	// issue 16's limits
	for name, want := range map[string]int{"name": 100, "address": 200, "remark": 500} {
		if f, _ := EnterpriseField(name); f.MaxRunes != want {
			t.Errorf("%s limit %d, want %d", name, f.MaxRunes, want)
		}
	}
}

func TestTablesFitOneRewrite(t *testing.T) {
	count := func(n int, rules textRule) int {
		if rules != 0 {
			return n + 1
		}
		return n
	}
	n := 0
	for _, f := range EnterpriseTable {
		n = count(n, f.rules)
	}
	m := 0
	for _, f := range OperatorTable {
		m = count(m, f.rules)
	}
	if n > maxTextFields || m > maxTextFields {
		t.Errorf("%d and %d rewritten text fields; rewriteFields takes %d", n, m, maxTextFields)
	}
}

func TestEnterpriseFieldsAreTheComparedOnes(t *testing.T) {
	var names []string
	for _, f := range EnterpriseFields {
		names = append(names, f.Name)
	}
	want := []string{"name", "legalRep", "principal", "principalPhone", "safetyManager", "address", "community",
		"industry", "keyRisks", "employees", "status", "factoryInFactory", "grade", "gradeValidUntil", "riskMonitored"}
	if !reflect.DeepEqual(names, want) {
		t.Errorf("EnterpriseFields = %q\nwant %q (the reconcile contract's names, in its order)", names, want)
	}
}

// messyName is a company name of n characters (Chinese: three bytes each).
func messyName(n int) string { return strings.Repeat("鞋", n) }

func TestLengthLimitsStopTheRecord(t *testing.T) {
	huge := strings.Repeat("晋", 2<<20/3) // about 2 MiB
	hugeRunes := utf8.RuneCountInString(huge)

	t.Run("a 2 MiB name from the platform", func(t *testing.T) {
		var q QZEnterprise
		readJSON(t, "qz_enterprise.json", &q)
		q.Qymc = huge
		e, ps := EnterpriseFromQZ(q)
		if len(ps) != 1 || ps[0].Field != "name" || ps[0].Severity != SeverityError {
			t.Fatalf("problems %v, want one error on name", ps)
		}
		want := "企业名称：超过 100 个字符（实际 " + strconv.Itoa(hugeRunes) + " 个），请删减"
		if got := ps[0].Error(); got != want {
			t.Errorf("message %q, want %q", got, want)
		}
		if n := utf8.RuneCountInString(ps[0].Value); n != 101 || !strings.HasSuffix(ps[0].Value, "…") {
			t.Errorf("the problem carries %d characters of the value, want 100 and …", n)
		}
		if n := utf8.RuneCountInString(e.Name); n != 101 {
			t.Errorf("the record carries a name of %d characters, want it cut to 100 and …", n)
		}
	})
	t.Run("a 3 MiB remark from the workbook", func(t *testing.T) {
		row := messyEnterpriseRow()
		row["备注说明"] = strings.Repeat("备", 3<<20/3)
		delete(row, "备注")
		_, ps := EnterpriseFromRow(row, nil)
		if len(ps) != 1 || ps[0].Field != "remark" || ps[0].Label != "备注说明" || !strings.Contains(ps[0].Reason, "超过 500 个字符") {
			t.Fatalf("problems %v, want one on the remark column naming the limit", ps)
		}
		if len(ps[0].Value) > 3*501 {
			t.Errorf("the rejection shows %d bytes of the cell", len(ps[0].Value))
		}
	})
	t.Run("limits count characters, not bytes", func(t *testing.T) {
		e := validEnterprise()
		e.Name = messyName(100) // 300 bytes
		if ps := ValidateEnterprise(&e); len(ps) != 0 {
			t.Errorf("a name of 100 characters: %v", ps)
		}
		e.Name = messyName(101)
		if ps := ValidateEnterprise(&e); fieldsOf(ps) != "name:error" {
			t.Errorf("a name of 101 characters: %v", ps)
		}
		e = validEnterprise()
		e.Address = messyName(201)
		if ps := ValidateEnterprise(&e); fieldsOf(ps) != "address:error" {
			t.Errorf("an address of 201 characters: %v", ps)
		}
	})
	t.Run("a field that is not text is not parsed when too long", func(t *testing.T) {
		var q QZEnterprise
		readJSON(t, "qz_enterprise.json", &q)
		q.Cyrs = FlexNumber(strings.Repeat("1", 1<<20))
		q.Zdlx = strings.Repeat("粉尘涉爆、", 1<<18)
		_, ps := EnterpriseFromQZ(q)
		if fieldsOf(ps) != "keyRisks:error employees:error" || !strings.Contains(ps[0].Reason, "超过 100 个字符") {
			t.Errorf("problems %v, want the length of 重点类型 and 从业人数", ps)
		}
	})
	t.Run("a platform-owned field over its limit is the platform's: a warning", func(t *testing.T) {
		var q QZEnterprise
		readJSON(t, "qz_enterprise.json", &q)
		q.Bzhdj = huge
		_, ps := EnterpriseFromQZ(q)
		if fieldsOf(ps) != "grade:warning" {
			t.Errorf("problems %v", ps)
		}
	})
	t.Run("a roster row", func(t *testing.T) {
		o := validOperator()
		o.Name = messyName(51)
		o.Remark = messyName(501)
		ps := ValidateOperator(&o, nil, WithToday(Date{2026, 1, 1}))
		if fieldsOf(ps) != "name:error remark:error" {
			t.Errorf("problems %v", ps)
		}
	})
	t.Run("a certificate on pull", func(t *testing.T) {
		var tz TZCertificate
		readJSON(t, "tz_certificate.json", &tz)
		tz.HolderName = huge
		tz.Issuer = huge
		c, ps := CertificateFromTZ(tz, nil, WithToday(Date{2026, 1, 1}))
		if fieldsOf(ps) != "holderName:error issuer:error" {
			t.Errorf("problems %v", ps)
		}
		if utf8.RuneCountInString(c.HolderName) > 51 {
			t.Error("the certificate carries the whole holder name")
		}
	})
	t.Run("an alarm is kept, its note cut", func(t *testing.T) {
		a, ps := AlarmFromQZ(QZAlarm{Bjid: "BJ1", Tyshxydm: sampleUSCC, Czsm: strings.Repeat("说", 3<<20/3)})
		if ps.HasErrors() || fieldsOf(ps) != "handlingNote:warning" {
			t.Errorf("problems %v, want one warning", ps)
		}
		if utf8.RuneCountInString(a.HandlingNote) != 501 {
			t.Errorf("note of %d characters kept, want 500 and …", utf8.RuneCountInString(a.HandlingNote))
		}
	})
	t.Run("the street's alarm feedback", func(t *testing.T) {
		f := AlarmFeedback{AlarmID: "BJ1", Status: "2", Note: messyName(501), Handler: "张三", HandledAt: time.Now()}
		if ps := ValidateFeedback(&f); fieldsOf(ps) != "note:error" {
			t.Errorf("problems %v", ps)
		}
	})
}

func TestReviewColumn(t *testing.T) {
	cases := []struct {
		cell    string
		pending bool
		problem bool
	}{
		{"待核实", true, false},
		{" 待核实 ", true, false},
		{"已核实", false, false},
		{"", false, false},
		{"是", false, true},
	}
	for _, c := range cases {
		row := messyEnterpriseRow()
		row["核实状态"] = c.cell
		e, ps := EnterpriseFromRow(row, nil)
		if e.PendingReview != c.pending || ps.HasErrors() != c.problem {
			t.Errorf("核实状态 %q: pending %v, problems %v; want pending %v, a problem %v", c.cell, e.PendingReview, ps, c.pending, c.problem)
		}
		if c.problem && (ps[0].Label != "核实状态" || !strings.Contains(ps[0].Reason, "待核实")) {
			t.Errorf("核实状态 %q: %v, want a problem naming the column and its words", c.cell, ps[0])
		}
	}
	row := messyEnterpriseRow()
	if e, _ := EnterpriseFromRow(row, nil); e.PendingReview {
		t.Error("a sheet without 核实状态 kept a row pending")
	}
	e := validEnterprise()
	e.PendingReview = true
	if got := EnterpriseToRow(&e)["核实状态"]; got != "待核实" {
		t.Errorf("EnterpriseToRow writes 核实状态 %q for a pending enterprise", got)
	}
	back, ps := EnterpriseFromRow(EnterpriseToRow(&e), nil)
	if ps.HasErrors() || !back.PendingReview {
		t.Errorf("round trip: pending %v, %v", back.PendingReview, ps)
	}
	if e.StreetHash() != validEnterpriseHash(t) {
		t.Error("the review flag changed the street hash")
	}
}

func validEnterpriseHash(t *testing.T) string {
	t.Helper()
	e := validEnterprise()
	return e.StreetHash()
}

// A field added to a table after version 1 of the hashes is hashed only when it holds a value,
// so that adding it leaves every stored hash as it was.
type hashProbe struct {
	A, B string
	Late string
}

func TestAFieldAddedLaterKeepsTheStoredHashes(t *testing.T) {
	v1 := prepared([]*Field[hashProbe]{
		{Name: "a", Hashed: true, hashEmpty: true, kind: KindText, text: func(r *hashProbe) *string { return &r.A }},
		{Name: "b", Hashed: true, hashEmpty: true, kind: KindText, text: func(r *hashProbe) *string { return &r.B }},
	})
	v2 := append(v1[:2:2], prepared([]*Field[hashProbe]{
		{Name: "late", Hashed: true, kind: KindText, text: func(r *hashProbe) *string { return &r.Late }},
	})...)
	hash := func(table []*Field[hashProbe], r hashProbe) string {
		h := newHasher("probe")
		hashFields(h, table, &r, func(*Field[hashProbe]) bool { return true })
		return h.sum()
	}
	r := hashProbe{A: "x", B: ""}
	if hash(v1, r) != hash(v2, r) {
		t.Error("adding a field changed the hash of a record that does not use it")
	}
	r.Late = "y"
	if hash(v1, r) == hash(v2, r) {
		t.Error("a value in the added field does not change the hash")
	}
	if hash(v1, hashProbe{A: "x"}) == hash(v1, hashProbe{B: "x"}) {
		t.Error("an empty field of version 1 is not hashed: two different records hash alike")
	}
}

// pageText hands out strings that are slices of one page, as the listing's decoder does.
type pageText struct {
	page []byte
	next int
}

func (p *pageText) slice(n int) string {
	s := unsafe.String(&p.page[p.next], n)
	p.next += n
	return s
}

// fillTexts sets every string-kind field of the struct v points to (found by reflection, so a
// field added to the struct is checked at once) to a slice of the page, and names them.
func fillTexts(v reflect.Value, p *pageText) []string {
	var texts []string
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.String {
			f.SetString(p.slice(3 + i))
			texts = append(texts, v.Type().Field(i).Name)
		}
	}
	return texts
}

// ownsTexts checks that each named text of d equals v's and shares no memory with it.
func ownsTexts(t *testing.T, v, d reflect.Value, texts []string, fix string) {
	t.Helper()
	for _, name := range texts {
		orig, got := v.FieldByName(name).String(), d.FieldByName(name).String()
		if got != orig {
			t.Errorf("%s: %q, want %q", name, got, orig)
		}
		if unsafe.StringData(got) == unsafe.StringData(orig) {
			t.Errorf("%s still points into the page: %s", name, fix)
		}
	}
}

// Detached copies every text of an enterprise, whatever field holds it: each string-kind field of
// Enterprise and each key risk is equal to the original and shares no memory with it.
func TestDetachedOwnsEveryText(t *testing.T) {
	p := &pageText{page: []byte(strings.Repeat("x", 4096))} // the decoded page the fields are slices of
	var e Enterprise
	v := reflect.ValueOf(&e).Elem()
	texts := fillTexts(v, p)
	e.KeyRisks = []KeyRisk{KeyRisk(p.slice(2)), KeyRisk(p.slice(2))}
	if len(texts) < 12 {
		t.Fatalf("found %d text fields: %v", len(texts), texts)
	}

	d := e.Detached()
	ownsTexts(t, v, reflect.ValueOf(&d).Elem(), texts, "add the field to EnterpriseTable")
	if !slices.Equal(d.KeyRisks, e.KeyRisks) || &d.KeyRisks[0] == &e.KeyRisks[0] ||
		unsafe.StringData(string(d.KeyRisks[1])) == unsafe.StringData(string(e.KeyRisks[1])) {
		t.Errorf("key risks %v share memory with the original %v", d.KeyRisks, e.KeyRisks)
	}
}

// A hazard kept after its page (reconciliation's platform-only and differing hazards) owns every
// text too: each string-kind field of Hazard.
func TestHazardDetachedOwnsEveryText(t *testing.T) {
	p := &pageText{page: []byte(strings.Repeat("x", 4096))}
	var h Hazard
	v := reflect.ValueOf(&h).Elem()
	texts := fillTexts(v, p)
	if len(texts) < 15 {
		t.Fatalf("found %d text fields: %v", len(texts), texts)
	}
	d := h.Detached()
	ownsTexts(t, v, reflect.ValueOf(&d).Elem(), texts, "clone it in Hazard.Detached")
}
