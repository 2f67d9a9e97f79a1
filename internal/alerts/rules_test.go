package alerts

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/notify/notifytest"
	"streetsync/mapping"
)

func rulesOf(fs []Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Alert.Rule
	}
	return out
}

func TestEvaluateRules(t *testing.T) {
	id := testID(1)
	today := d("2026-03-02")
	cfg := RuleConfig{ExpiringWithinDays: 60}
	for _, tc := range []struct {
		name  string
		certs []mapping.Certificate
		want  []string
	}{
		{"valid certificate: nothing", []mapping.Certificate{cert(id)}, nil},
		{"NO_CERTIFICATE: none at all", nil, []string{RuleNoCertificate}},
		{"ITEM_MISMATCH: certificates, none for the item", []mapping.Certificate{cert(id, item("0201", "熔化焊接与热切割作业"))}, []string{RuleItemMismatch}},
		{"CERT_INVALID: suspended", []mapping.Certificate{cert(id, status(mapping.CertSuspended))}, []string{RuleCertInvalid}},
		{"CERT_INVALID: revoked", []mapping.Certificate{cert(id, status(mapping.CertRevoked))}, []string{RuleCertInvalid}},
		{"CERT_INVALID: cancelled", []mapping.Certificate{cert(id, status(mapping.CertCancelled))}, []string{RuleCertInvalid}},
		{"CERT_INVALID before CERT_EXPIRED: revoked and past validUntil", []mapping.Certificate{cert(id, status(mapping.CertRevoked), validUntil("2025-01-01"))}, []string{RuleCertInvalid}},
		{"CERT_EXPIRED: status VALID but validUntil yesterday", []mapping.Certificate{cert(id, validUntil("2026-03-01"))}, []string{RuleCertExpired}},
		{"CERT_EXPIRED: status EXPIRED, validUntil in the future", []mapping.Certificate{cert(id, status(mapping.CertExpired))}, []string{RuleCertExpired}},
		{"CERT_EXPIRED before REVIEW_OVERDUE", []mapping.Certificate{cert(id, validUntil("2026-01-01"), reviewDue("2025-01-01"))}, []string{RuleCertExpired}},
		{"REVIEW_OVERDUE: review due yesterday, never reviewed", []mapping.Certificate{cert(id, reviewDue("2026-03-01"))}, []string{RuleReviewOverdue}},
		{"REVIEW_OVERDUE: last review before the due date", []mapping.Certificate{cert(id, reviewDue("2026-01-01"), lastReview("2023-01-01"))}, []string{RuleReviewOverdue}},
		{"reviewed on the due date: not overdue", []mapping.Certificate{cert(id, reviewDue("2026-01-01"), lastReview("2026-01-01"))}, nil},
		{"REVIEW_DUE_SOON: review due today (not yet overdue)", []mapping.Certificate{cert(id, reviewDue("2026-03-02"))}, []string{RuleReviewDueSoon}},
		{"EXPIRING_SOON: valid until today (valid all of that day)", []mapping.Certificate{cert(id, validUntil("2026-03-02"))}, []string{RuleExpiringSoon}},
		{"EXPIRING_SOON: today + 60 is within", []mapping.Certificate{cert(id, validUntil("2026-05-01"))}, []string{RuleExpiringSoon}},
		{"today + 61 is not within", []mapping.Certificate{cert(id, validUntil("2026-05-02"))}, nil},
		{"both warnings fire", []mapping.Certificate{cert(id, validUntil("2026-04-01"), reviewDue("2026-03-15"))}, []string{RuleExpiringSoon, RuleReviewDueSoon}},
		{"no warning beside a critical", []mapping.Certificate{cert(id, status(mapping.CertSuspended), validUntil("2026-04-01"))}, []string{RuleCertInvalid}},
		{"several: a valid one beats a later invalid one", []mapping.Certificate{
			cert(id, status(mapping.CertRevoked), validUntil("2031-01-01")), cert(id, validUntil("2028-01-01"))}, nil},
		{"several valid: the latest validUntil decides", []mapping.Certificate{
			cert(id, validUntil("2026-03-10")), cert(id, validUntil("2029-01-01"))}, nil},
		{"several invalid: the latest validUntil decides", []mapping.Certificate{
			cert(id, status(mapping.CertExpired), validUntil("2025-01-01")), cert(id, status(mapping.CertSuspended), validUntil("2030-01-01"))}, []string{RuleCertInvalid}},
		{"same validUntil: the latest reviewDueDate decides", []mapping.Certificate{
			cert(id, reviewDue("2026-03-10")), cert(id, reviewDue("2028-01-01"))}, nil},
		{"a certificate for another item does not count", []mapping.Certificate{
			cert(id, item("0201", "熔化焊接与热切割作业")), cert(id, validUntil("2026-02-01"))}, []string{RuleCertExpired}},
		{"CERT_INVALID: not valid yet (interpretation)", []mapping.Certificate{cert(id, validFrom("2026-03-03"))}, []string{RuleCertInvalid}},
		{"CERT_INVALID: unknown status (interpretation)", []mapping.Certificate{cert(id, status("PENDING"))}, []string{RuleCertInvalid}},
		{"NAME_MISMATCH alone", []mapping.Certificate{cert(id, holder("张叁"))}, []string{RuleNameMismatch}},
		{"NAME_MISMATCH beside a critical", []mapping.Certificate{cert(id, holder("李四"), validUntil("2026-01-01"))}, []string{RuleCertExpired, RuleNameMismatch}},
		{"NAME_MISMATCH beside both warnings", []mapping.Certificate{cert(id, holder("李四"), validUntil("2026-04-01"), reviewDue("2026-03-15"))}, []string{RuleExpiringSoon, RuleReviewDueSoon, RuleNameMismatch}},
		{"NAME_MISMATCH beside ITEM_MISMATCH", []mapping.Certificate{cert(id, item("0201", "熔化焊接与热切割作业"), holder("李四"))}, []string{RuleItemMismatch, RuleNameMismatch}},
		{"names equal after removing white space", []mapping.Certificate{cert(id, holder("张 三"))}, nil},
		{"names equal after folding full-width and ideographic spaces", []mapping.Certificate{cert(id, holder("　张三　"))}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := entry(id)
			got := rulesOf(Evaluate(&e, tc.certs, today, cfg))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestNameMismatchNormalizesMiddleDots(t *testing.T) {
	id := testID(2)
	e := entry(id)
	e.Operator.Name = "阿卜杜・热合曼" // katakana middle dot, as typed on many phones
	for _, name := range []string{"阿卜杜·热合曼", "阿卜杜•热合曼", "阿卜杜 · 热合曼"} {
		if got := rulesOf(Evaluate(&e, []mapping.Certificate{cert(id, holder(name))}, d("2026-03-02"), RuleConfig{})); len(got) != 0 {
			t.Errorf("holder %q: got %v, want no alert", name, got)
		}
	}
}

func TestAlertObject(t *testing.T) {
	id := "350582199001011234"
	e := entry(id)
	fs := Evaluate(&e, []mapping.Certificate{cert(id, validUntil("2026-03-01"), reviewDue("2023-03-01"), lastReview("2023-02-01"))}, d("2026-03-02"), RuleConfig{ExpiringWithinDays: 60})
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1", len(fs))
	}
	a := fs[0].Alert
	if a.Key != KeyOf(RuleCertExpired, id, usccA, "0102") || len(a.Key) != 16 {
		t.Errorf("key = %q, want the 16-hex hash of the raw key", a.Key)
	}
	if a.Severity != notify.SeverityCritical || a.Status != notify.StatusFiring || a.Community != "林格社区" {
		t.Errorf("severity %q status %q community %q", a.Severity, a.Status, a.Community)
	}
	if a.Operator.IDNumber != "350582********1234" || a.Certificate.CertNo != "T350582********1234" {
		t.Errorf("masking: id %q certNo %q", a.Operator.IDNumber, a.Certificate.CertNo)
	}
	if a.Certificate.ValidUntil != d("2026-03-01") || a.Item.Name != "低压电工作业" {
		t.Errorf("certificate %+v item %+v", a.Certificate, a.Item)
	}
	for _, want := range []string{"晋江市灵源示例鞋业有限公司", "张三（350582********1234）", "低压电工作业", "T350582********1234", "2026-03-01", "请督促企业"} {
		if !strings.Contains(a.Message, want) {
			t.Errorf("message %q lacks %q", a.Message, want)
		}
	}
	if strings.Contains(a.Message, id) {
		t.Errorf("message carries the whole ID number: %q", a.Message)
	}
}

func TestEveryRuleHasAMessageThatSaysWhatToDo(t *testing.T) {
	for _, r := range Rules {
		if RuleName(r) == r {
			t.Errorf("%s has no Chinese name", r)
		}
	}
	id := testID(3)
	e := entry(id)
	c := cert(id, holder("李四"))
	for _, r := range Rules[:8] {
		msg := message(r, &e, "低压电工作业", &c, []mapping.Certificate{c}, d("2026-03-02"))
		if !strings.Contains(msg, "请") || !strings.HasPrefix(msg, RuleName(r)+"：") {
			t.Errorf("%s: message %q should start with the rule's name and say what to do", r, msg)
		}
	}
}

func TestKeysAreStableAndDistinct(t *testing.T) {
	id := testID(4)
	k := KeyOf(RuleCertExpired, id, usccA, "0102")
	for _, other := range []string{
		KeyOf(RuleReviewOverdue, id, usccA, "0102"),
		KeyOf(RuleCertExpired, testID(5), usccA, "0102"),
		KeyOf(RuleCertExpired, id, usccB, "0102"),
		KeyOf(RuleCertExpired, id, usccA, "0101"),
	} {
		if other == k {
			t.Errorf("two different alerts share the key %s", k)
		}
	}
	if KeyOf(RuleCertExpired, id, usccA, "0102") != k {
		t.Error("the key is not stable")
	}
}

func TestFingerprintIgnoresCertificateOrder(t *testing.T) {
	id := testID(6)
	e := entry(id)
	a := cert(id, validUntil("2026-01-01"))
	b := cert(id, validUntil("2026-01-01"), func(c *mapping.Certificate) { c.CertNo = "Tolder" })
	f1 := Evaluate(&e, []mapping.Certificate{a, b}, d("2026-03-02"), RuleConfig{})
	f2 := Evaluate(&e, []mapping.Certificate{b, a}, d("2026-03-02"), RuleConfig{})
	if f1[0].fp != f2[0].fp || f1[0].Alert.Certificate.CertNo != f2[0].Alert.Certificate.CertNo {
		t.Errorf("the order of certificates changed the alert: %s/%s vs %s/%s", f1[0].fp, f1[0].Alert.Certificate.CertNo, f2[0].fp, f2[0].Alert.Certificate.CertNo)
	}
}

// TestEveryEntryIsValidOrHasOneCritical checks the invariant the rules guarantee, over random
// certificates: the decisive certificate is valid on the day, or exactly one critical alert fires
// — never two, never none.
func TestEveryEntryIsValidOrHasOneCritical(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	today := d("2026-03-02")
	statuses := []mapping.CertStatus{mapping.CertValid, mapping.CertValid, mapping.CertValid, mapping.CertExpired, mapping.CertRevoked, mapping.CertCancelled, mapping.CertSuspended, "", "X"}
	randDate := func() mapping.Date {
		if rng.IntN(10) == 0 {
			return mapping.Date{}
		}
		return today.AddDays(rng.IntN(200) - 100)
	}
	id := testID(7)
	for i := 0; i < 20000; i++ {
		var certs []mapping.Certificate
		for j := rng.IntN(4); j > 0; j-- {
			c := cert(id, status(statuses[rng.IntN(len(statuses))]))
			c.ValidFrom, c.ValidUntil, c.ReviewDueDate, c.LastReviewDate = randDate(), randDate(), randDate(), randDate()
			if rng.IntN(4) == 0 {
				c.ItemCode = "0201"
			}
			certs = append(certs, c)
		}
		e := entry(id)
		fs := Evaluate(&e, certs, today, RuleConfig{ExpiringWithinDays: 30})
		critical, warnings := 0, 0
		for _, f := range fs {
			switch {
			case f.Alert.Severity == notify.SeverityCritical:
				critical++
			case f.Alert.Rule != RuleNameMismatch:
				warnings++
			}
		}
		valid := false
		for k := range certs {
			if certs[k].ItemCode == "0102" && certs[k].ValidOn(today) {
				valid = true
			}
		}
		if critical > 1 || (valid && critical != 0) || (!valid && critical != 1) || (critical > 0 && warnings > 0) {
			t.Fatalf("case %d: valid=%v but %v\n%+v", i, valid, rulesOf(fs), certs)
		}
	}
}

func TestStampRoundTrip(t *testing.T) {
	for _, sp := range []stamp{
		{},
		{Ep: 3, Ver: 2, At: 1772409600000, Esc: 3, Res: 2},
		{Ep: 1, Ver: 1, At: 5, Pend: &claim{Notice: notify.NoticeRepeat, Until: 99, Run: "abc123"}},
		{Ep: 1, Ver: 4, Last: &attempt{Notice: notify.NoticeNew, At: 7, Err: "wecom: errcode 45009: api freq out of limit\nsecond line"}},
		{Res: 9, Last: &attempt{Notice: notify.NoticeResolved, At: 8, OK: true}},
	} {
		got := parseStamp(sp.encode())
		if sp.Last != nil {
			sp.Last.Err = strings.ReplaceAll(sp.Last.Err, "\n", " ")
		}
		if got.Ep != sp.Ep || got.Ver != sp.Ver || got.At != sp.At || got.Esc != sp.Esc || got.Res != sp.Res ||
			(got.Pend == nil) != (sp.Pend == nil) || (got.Last == nil) != (sp.Last == nil) ||
			(sp.Pend != nil && *got.Pend != *sp.Pend) || (sp.Last != nil && *got.Last != *sp.Last) {
			t.Errorf("%q: got %+v, want %+v", sp.encode(), got, sp)
		}
	}
	if got := parseStamp("garbage"); got.Ep != 0 || got.Pend != nil {
		t.Errorf("damaged stamp: %+v", got)
	}
}

// TestAlertHashCoversTheStoredFields changes every field of a complete alert in turn: the hash
// must change for each field alertJSON stores (a pointer also when it becomes nil), and stay the
// same for those the state keeps in its own fields.
func TestAlertHashCoversTheStoredFields(t *testing.T) {
	full := func() Alert {
		a := notifytest.Alert()
		a.Alarm = &notify.Alarm{ID: "BJ1", Point: "p", Quantity: "q", Value: "1", Threshold: "2", Unit: "u", Level: 1, RaisedAt: t0}
		a.Acknowledged = &notify.Ack{By: "b", Note: "n", At: t0}
		a.Escalated = true
		return a
	}
	notStored := map[string]bool{"Status": true, "Since": true, "Notice": true, "Escalated": true, "Acknowledged": true}
	base := full()
	h0 := alertHash(&base)
	dateT, timeT := reflect.TypeOf(mapping.Date{}), reflect.TypeOf(time.Time{})

	type leaf struct {
		name  string
		index []int
		isPtr bool
	}
	var leaves []leaf
	var collect func(t reflect.Type, prefix string, idx []int)
	collect = func(typ reflect.Type, prefix string, idx []int) {
		for i := 0; i < typ.NumField(); i++ {
			f := typ.Field(i)
			name, index := prefix+f.Name, append(slices.Clone(idx), i)
			switch {
			case f.Type == dateT || f.Type == timeT || f.Type.Kind() == reflect.String || f.Type.Kind() == reflect.Int || f.Type.Kind() == reflect.Bool:
				leaves = append(leaves, leaf{name, index, false})
			case f.Type.Kind() == reflect.Struct:
				collect(f.Type, name+".", index)
			case f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct:
				leaves = append(leaves, leaf{name, index, true})
				collect(f.Type.Elem(), name+".", index)
			default:
				t.Fatalf("%s: type %s not covered by this test", name, f.Type)
			}
		}
	}
	collect(reflect.TypeOf(Alert{}), "", nil)

	for _, l := range leaves {
		a := full()
		v := reflect.ValueOf(&a).Elem()
		for _, i := range l.index {
			if v.Kind() == reflect.Pointer {
				v = v.Elem()
			}
			v = v.Field(i)
		}
		switch {
		case l.isPtr:
			v.Set(reflect.Zero(v.Type()))
		case v.Type() == dateT:
			v.Set(reflect.ValueOf(d("1999-09-09")))
		case v.Type() == timeT:
			v.Set(reflect.ValueOf(t0.Add(time.Second)))
		case v.Kind() == reflect.String:
			v.SetString(v.String() + "x")
		case v.Kind() == reflect.Int:
			v.SetInt(v.Int() + 1)
		case v.Kind() == reflect.Bool:
			v.SetBool(!v.Bool())
		}
		top := strings.Split(l.name, ".")[0]
		changed := alertHash(&a) != h0
		if changed == notStored[top] {
			t.Errorf("changing %s: hash changed %v, want %v", l.name, changed, !notStored[top])
		}
	}
}
