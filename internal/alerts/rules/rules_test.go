package rules_test

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	. "streetsync/internal/alerts/alertstest"
	"streetsync/internal/alerts/notify"
	"streetsync/internal/alerts/rules"
	"streetsync/mapping"
)

// The registry holds the contract's rules in the contract's order, each complete: a family, a
// Chinese name, a severity and a colour of its own.
func TestRegistryHoldsEveryRuleInOrder(t *testing.T) {
	want := []string{"NO_CERTIFICATE", "ITEM_MISMATCH", "CERT_INVALID", "CERT_EXPIRED", "REVIEW_OVERDUE",
		"EXPIRING_SOON", "REVIEW_DUE_SOON", "NAME_MISMATCH", "ALARM_UNHANDLED", "MAJOR_HAZARD_OPEN", "HAZARD_OVERDUE",
		"HAZARD_DUE_SOON", "QUARTERLY_CHECK_MISSING", "DRILL_OVERDUE", "DATA_STALE", "PLATFORM_DOWN"}
	if got := rules.Codes(); !slices.Equal(got, want) {
		t.Fatalf("rules %v, want %v", got, want)
	}
	colour := regexp.MustCompile(`^#[0-9a-f]{6}$`)
	seen := map[string]string{}
	for _, r := range rules.All() {
		if !colour.MatchString(r.Colour) {
			t.Errorf("%s: colour %q is not #rrggbb", r.Code, r.Colour)
		}
		if other, dup := seen[r.Colour]; dup {
			t.Errorf("%s and %s share the colour %s", r.Code, other, r.Colour)
		}
		seen[r.Colour] = r.Code
		if rules.Name(r.Code) == r.Code || r.Name == "" {
			t.Errorf("%s has no Chinese name", r.Code)
		}
		if _, ok := rules.FamilyOf(r.Family.Code); !ok {
			t.Errorf("%s: unknown family %q", r.Code, r.Family.Code)
		}
	}
	if rules.Name("NO_SUCH_RULE") != "NO_SUCH_RULE" {
		t.Error("an unknown rule's name should be its code")
	}
	for code, fam := range map[string]rules.Family{"NO_CERTIFICATE": rules.Certificate, "ALARM_UNHANDLED": rules.Alarm, "DATA_STALE": rules.System,
		"MAJOR_HAZARD_OPEN": rules.Hazard, "HAZARD_OVERDUE": rules.Hazard, "HAZARD_DUE_SOON": rules.Hazard,
		"QUARTERLY_CHECK_MISSING": rules.Inspection, "DRILL_OVERDUE": rules.Drill} {
		if r, _ := rules.Lookup(code); r.Family != fam {
			t.Errorf("%s is in family %q, want %q", code, r.Family.Code, fam.Code)
		}
	}
}

func TestAlertObject(t *testing.T) {
	id := "350582199001011234"
	e := Entry(id)
	fs := rules.EvaluateCertificates(&e, []mapping.Certificate{Cert(id, ValidUntil("2026-03-01"), ReviewDue("2023-03-01"), LastReview("2023-02-01"))}, today, rules.Config{ExpiringWithinDays: 60})
	if len(fs) != 1 {
		t.Fatalf("got %d findings, want 1", len(fs))
	}
	a := fs[0].Alert
	if a.Key != rules.KeyOf("CERT_EXPIRED", id, USCCA, "0102") || len(a.Key) != 16 {
		t.Errorf("key = %q, want the 16-hex hash of the raw key", a.Key)
	}
	if a.Severity != notify.SeverityCritical || a.Status != notify.StatusFiring || a.Community != "林格社区" {
		t.Errorf("severity %q status %q community %q", a.Severity, a.Status, a.Community)
	}
	if a.Operator.IDNumber != "350582********1234" || a.Certificate.CertNo != "T350582********1234" {
		t.Errorf("masking: id %q certNo %q", a.Operator.IDNumber, a.Certificate.CertNo)
	}
	if a.Certificate.ValidUntil != D("2026-03-01") || a.Item.Name != "低压电工作业" {
		t.Errorf("certificate %+v item %+v", a.Certificate, a.Item)
	}
	for _, want := range []string{"晋江市灵源示例鞋业有限公司", "张三（350582********1234）", "低压电工作业", "T350582********1234", "2026-03-01", "请督促企业"} {
		if !strings.Contains(a.Message, want) {
			t.Errorf("message %q lacks %q", a.Message, want)
		}
	}
	if fs[0].IDHash != rules.IDHash(id) {
		t.Errorf("IDHash %q", fs[0].IDHash)
	}
	checkFinding(t, fs[0], id)
}

func TestKeysAreStableAndDistinct(t *testing.T) {
	id := ID(4)
	k := rules.KeyOf("CERT_EXPIRED", id, USCCA, "0102")
	for _, other := range []string{
		rules.KeyOf("REVIEW_OVERDUE", id, USCCA, "0102"),
		rules.KeyOf("CERT_EXPIRED", ID(5), USCCA, "0102"),
		rules.KeyOf("CERT_EXPIRED", id, USCCB, "0102"),
		rules.KeyOf("CERT_EXPIRED", id, USCCA, "0101"),
	} {
		if other == k {
			t.Errorf("two different alerts share the key %s", k)
		}
	}
	if rules.KeyOf("CERT_EXPIRED", id, USCCA, "0102") != k {
		t.Error("the key is not stable")
	}
	if rules.IDHash(strings.ToLower(id)) != rules.IDHash(" "+id) {
		t.Error("IDHash depends on the case of X or on spaces")
	}
}

func TestFingerprintIgnoresCertificateOrder(t *testing.T) {
	id := ID(6)
	e := Entry(id)
	a := Cert(id, ValidUntil("2026-01-01"))
	b := Cert(id, ValidUntil("2026-01-01"), func(c *mapping.Certificate) { c.CertNo = "Tolder" })
	f1 := rules.EvaluateCertificates(&e, []mapping.Certificate{a, b}, today, rules.Config{})
	f2 := rules.EvaluateCertificates(&e, []mapping.Certificate{b, a}, today, rules.Config{})
	if f1[0].Fingerprint != f2[0].Fingerprint || f1[0].Alert.Certificate.CertNo != f2[0].Alert.Certificate.CertNo {
		t.Errorf("the order of certificates changed the alert: %s/%s vs %s/%s", f1[0].Fingerprint, f1[0].Alert.Certificate.CertNo, f2[0].Fingerprint, f2[0].Alert.Certificate.CertNo)
	}
}

// The fingerprint follows the material state only: another certificate state changes it, an
// enterprise's new name does not.
func TestFingerprintFollowsTheMaterialState(t *testing.T) {
	id := ID(8)
	e := Entry(id)
	fp := func(e rules.RosterEntry, certs ...mapping.Certificate) string {
		return rules.EvaluateCertificates(&e, certs, today, rules.Config{})[0].Fingerprint
	}
	base := fp(e, Cert(id, ValidUntil("2026-01-01")))
	if fp(e, Cert(id, ValidUntil("2026-01-01"), Status(mapping.CertExpired))) == base {
		t.Error("a new certificate status kept the fingerprint")
	}
	renamed := e
	renamed.EnterpriseName = "晋江市灵源新名字鞋业有限公司"
	if fp(renamed, Cert(id, ValidUntil("2026-01-01"))) != base {
		t.Error("renaming the enterprise changed the fingerprint")
	}
	held := func(items ...string) string {
		var cs []mapping.Certificate
		for _, it := range items {
			cs = append(cs, Cert(id, Item(it, "")))
		}
		return fp(e, cs...)
	}
	if held("0201") == held("0201", "0301") || held("0301", "0201") != held("0201", "0301") {
		t.Error("ITEM_MISMATCH's fingerprint should follow the set of items held")
	}
}

// TestEveryEntryIsValidOrHasOneCritical checks the invariant the rules guarantee, over random
// certificates: the decisive certificate is valid on the day, or exactly one critical alert fires
// — never two, never none.
func TestEveryEntryIsValidOrHasOneCritical(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	statuses := []mapping.CertStatus{mapping.CertValid, mapping.CertValid, mapping.CertValid, mapping.CertExpired, mapping.CertRevoked, mapping.CertCancelled, mapping.CertSuspended, "", "X"}
	randDate := func() mapping.Date {
		if rng.IntN(10) == 0 {
			return mapping.Date{}
		}
		return today.AddDays(rng.IntN(200) - 100)
	}
	id := ID(7)
	for i := 0; i < 20000; i++ {
		var certs []mapping.Certificate
		for j := rng.IntN(4); j > 0; j-- {
			c := Cert(id, Status(statuses[rng.IntN(len(statuses))]))
			c.ValidFrom, c.ValidUntil, c.ReviewDueDate, c.LastReviewDate = randDate(), randDate(), randDate(), randDate()
			if rng.IntN(4) == 0 {
				c.ItemCode = "0201"
			}
			certs = append(certs, c)
		}
		e := Entry(id)
		fs := rules.EvaluateCertificates(&e, certs, today, rules.Config{ExpiringWithinDays: 30})
		critical, warnings := 0, 0
		for _, f := range fs {
			switch {
			case f.Alert.Severity == notify.SeverityCritical:
				critical++
			case f.Alert.Rule != "NAME_MISMATCH":
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

func alarmEntry(id string, level int, raised time.Time, handling string) rules.AlarmEntry {
	return rules.AlarmEntry{Community: "灵源社区", Alarm: mapping.Alarm{
		ID: id, USCC: USCCB, EnterpriseName: "晋江市灵源示例冷冻食品有限公司", PointName: "1号冷库氨浓度",
		Quantity: "氨浓度", Unit: "ppm", Value: "35", Threshold: "25", Type: "SX", Level: level,
		RaisedAt: raised, HandlingStatus: handling,
	}}
}

func TestAlarmUnhandled(t *testing.T) {
	for _, tc := range []struct {
		name string
		a    rules.AlarmEntry
		want bool
	}{
		{"level 1, unhandled for 3 hours", alarmEntry("BJ1", 1, t0.Add(-3*time.Hour), "0"), true},
		{"level 3: not severe enough", alarmEntry("BJ2", 3, t0.Add(-3*time.Hour), "0"), false},
		{"not yet two hours", alarmEntry("BJ3", 2, t0.Add(-time.Hour), "0"), false},
		{"handled", alarmEntry("BJ4", 2, t0.Add(-5*time.Hour), "2"), false},
		{"exactly two hours, status never set", alarmEntry("BJ5", 2, t0.Add(-2*time.Hour), ""), true},
	} {
		f, ok := rules.EvaluateAlarm(&tc.a, t0, 2*time.Hour, Shanghai)
		if ok != tc.want {
			t.Errorf("%s: fires %v, want %v", tc.name, ok, tc.want)
			continue
		}
		if !ok {
			continue
		}
		checkFinding(t, f, "")
		if f.Alert.Alarm == nil || f.Alert.Operator != nil || f.Alert.Community != "灵源社区" || !strings.Contains(f.Alert.Message, "2 小时") {
			t.Errorf("%s: alert %+v", tc.name, f.Alert)
		}
	}
}

func TestDataStale(t *testing.T) {
	fr := rules.Freshness{LastSuccess: t0.Add(-30 * time.Hour), Ever: true}
	if !fr.Stale(t0, 26*time.Hour) || fr.Stale(t0, 31*time.Hour) || !(rules.Freshness{}).Stale(t0, 26*time.Hour) {
		t.Error("Stale: 30 h old data is stale after 26 h and fresh within 31 h; never synced is stale")
	}
	f := rules.DataStale(rules.Certificate, fr, t0, Shanghai)
	checkFinding(t, f, "")
	a := f.Alert
	if a.Rule != "DATA_STALE" || a.Severity != notify.SeverityCritical || a.System == nil || a.System.Subject != "certificate" ||
		a.Community != rules.SystemCommunity || a.Operator != nil || a.System.LastSuccess == nil {
		t.Fatalf("alert %+v", a)
	}
	if !strings.HasPrefix(a.Message[len("数据未更新："):], "证书数据已 30 小时未更新，预警暂停") || !strings.Contains(a.Message, "sync certificates") {
		t.Errorf("message %q", a.Message)
	}
	never := rules.DataStale(rules.Alarm, rules.Freshness{}, t0, Shanghai)
	if !strings.Contains(never.Alert.Message, "报警数据从未同步") || never.Alert.Key == a.Key {
		t.Errorf("never synced: %q (key %s)", never.Alert.Message, never.Alert.Key)
	}
	// The hours grow with every check; the alert stays the same alert.
	later := rules.DataStale(rules.Certificate, fr, t0.Add(5*time.Hour), Shanghai)
	if later.Fingerprint != f.Fingerprint || later.Alert.Key != a.Key || later.Alert.Message == a.Message {
		t.Errorf("5 hours later: fingerprint %s/%s key %s/%s", later.Fingerprint, f.Fingerprint, later.Alert.Key, a.Key)
	}
}

func TestPlatformDown(t *testing.T) {
	h := rules.PlatformHealth{System: "quanzhou", FailingSince: t0.Add(-2 * time.Hour), LastSuccess: t0.Add(-2*time.Hour - time.Minute),
		LastError: "平台返回 503（服务不可用），身份证 " + ID(9)}
	f, ok := rules.PlatformDown(h, t0, 2*time.Hour, Shanghai)
	if !ok {
		t.Fatal("failing for exactly platformDownAfter: want PLATFORM_DOWN")
	}
	checkFinding(t, f, ID(9))
	if f.Alert.System == nil || f.Alert.System.FailingSince == nil || !strings.Contains(f.Alert.Message, "泉州市安全生产标准化智慧管理平台") ||
		strings.Contains(f.Alert.System.LastError, ID(9)) {
		t.Errorf("alert %+v / %+v", f.Alert, f.Alert.System)
	}
	if _, ok := rules.PlatformDown(h, t0.Add(-time.Minute), 2*time.Hour, Shanghai); ok {
		t.Error("failing for less than platformDownAfter: want nothing")
	}
	if _, ok := rules.PlatformDown(rules.PlatformHealth{System: "specialops", LastSuccess: t0}, t0, 2*time.Hour, Shanghai); ok {
		t.Error("a healthy platform raised PLATFORM_DOWN")
	}
}
