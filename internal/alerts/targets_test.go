package alerts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"streetsync/internal/alerts/alertstest"
	"streetsync/internal/alerts/notify"
	"streetsync/mapping/mask"
)

func TestRulesAreNamedByCodeOrChineseName(t *testing.T) {
	for in, want := range map[string]string{
		"CERT_EXPIRED": "CERT_EXPIRED", "cert_expired": "CERT_EXPIRED", "证书过期": "CERT_EXPIRED",
		" 无证上岗 ": "NO_CERTIFICATE", "姓名不一致": "NAME_MISMATCH", "报警未处置": "ALARM_UNHANDLED",
	} {
		if got, ok := RuleCode(in); !ok || got != want {
			t.Errorf("RuleCode(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "过期", "CERT"} {
		if got, ok := RuleCode(in); ok {
			t.Errorf("RuleCode(%q) = %q, want no rule", in, got)
		}
	}
	if c := RuleChoices(); !strings.Contains(c, "NO_CERTIFICATE 无证上岗") || !strings.Contains(c, "REVIEW_DUE_SOON 即将到复审期") {
		t.Errorf("RuleChoices() = %q", c)
	}
}

// sameMasked returns an ID number other than id that prints masked exactly as id does.
func sameMasked(t *testing.T, n int) (string, string) {
	t.Helper()
	id := testID(n)
	for k := 1; k < 5000; k++ {
		other := testID(n + 1000*k)
		if other != id && mask.ID(other) == mask.ID(id) {
			return id, other
		}
	}
	t.Fatal("no second ID number with the same masked form")
	return "", ""
}

// An ID number as every output prints it (masked) names a person when one person's firing alerts
// carry it; when several people's do, the candidates are listed with their keys; when nobody's,
// the person is told so. `alerts ack` needs one alert: a person with two is ambiguous too.
func TestMaskedIDResolution(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		ctx := context.Background()
		a, twin := sameMasked(t, 21)
		solo := testID(22)
		h.roster.add(entry(a), cert(a, alertstest.ValidUntil("2026-01-01")))                                // CERT_EXPIRED
		h.roster.add(entry(twin))                                                                           // NO_CERTIFICATE
		h.roster.add(entry(solo), cert(solo, alertstest.ValidUntil("2026-01-01"), alertstest.Holder("李四"))) // CERT_EXPIRED + NAME_MISMATCH
		h.check()
		st := h.store()

		// One person.
		m, err := st.ResolveTarget(ctx, mask.ID(solo))
		if err != nil || m != (Matcher{IDHash: IDHash(solo)}) {
			t.Fatalf("ResolveTarget(masked solo) = %+v, %v; want the person's IDHash", m, err)
		}
		// Fewer stars and a lower-case x are the same number.
		short := solo[:6] + "***" + strings.ToLower(solo[14:])
		if m2, err := st.ResolveTarget(ctx, short); err != nil || m2 != m {
			t.Errorf("ResolveTarget(%q) = %+v, %v; want %+v", short, m2, err, m)
		}
		// Two people share the masked form: both listed, with their keys.
		_, err = st.ResolveTarget(ctx, mask.ID(a))
		var amb *AmbiguousError
		if !errors.As(err, &amb) || amb.People != 2 || len(amb.Candidates) != 2 {
			t.Fatalf("ResolveTarget(shared masked) = %v, want an AmbiguousError of 2 people", err)
		}
		for _, want := range []string{keyOf("CERT_EXPIRED", a), keyOf("NO_CERTIFICATE", twin), "对应 2 个人", "证书过期", "无证上岗"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("ambiguity message lacks %q:\n%s", want, err)
			}
		}
		if strings.Contains(err.Error(), a) || strings.Contains(err.Error(), twin) {
			t.Errorf("ambiguity message shows a whole ID number:\n%s", err)
		}
		// Nobody's.
		var ie *InputError
		if _, err := st.ResolveTarget(ctx, "110101********0015"); !errors.As(err, &ie) || !strings.Contains(err.Error(), "110101********0015") {
			t.Errorf("unknown masked number: got %v, want an InputError naming it", err)
		}

		// ack: one alert only.
		if key, err := st.ResolveAlert(ctx, mask.ID(twin)); !errors.As(err, &amb) {
			t.Errorf("ResolveAlert(shared masked) = %q, %v; want ambiguous", key, err)
		}
		if key, err := st.ResolveAlert(ctx, mask.ID(solo)); !errors.As(err, &amb) || amb.People != 1 || len(amb.Candidates) != 2 {
			t.Errorf("ResolveAlert(person with two alerts) = %q, %v; want their two alerts listed", key, err)
		}
		if key, err := st.ResolveAlert(ctx, twin); err != nil || key != keyOf("NO_CERTIFICATE", twin) {
			t.Errorf("ResolveAlert(whole ID) = %q, %v; want the person's one alert", key, err)
		}
		if key, err := st.ResolveAlert(ctx, strings.ToUpper(keyOf("CERT_EXPIRED", a))); err != nil || key != keyOf("CERT_EXPIRED", a) {
			t.Errorf("ResolveAlert(KEY) = %q, %v", key, err)
		}
		// Resolved alerts are not candidates.
		h.roster.setCerts(twin, cert(twin))
		h.check()
		if m, err := st.ResolveTarget(ctx, mask.ID(a)); err != nil || m.IDHash != IDHash(a) {
			t.Errorf("after the twin's alert resolved: %+v, %v; want the one person left", m, err)
		}
	})
}

// A silence limited to warnings (set without --include-critical) holds back the warnings it
// matches and never a critical alert, now or later; the preview and the silences' list count
// the firing alerts each covers.
func TestWarningSilencesAndWhatASilenceCovers(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		ctx := context.Background()
		id, other := testID(31), testID(32)
		h.roster.add(entry(id), cert(id, alertstest.ValidUntil("2026-03-20"))) // EXPIRING_SOON (warning)
		h.roster.add(entry(other), cert(other, alertstest.Holder("王五")))       // NAME_MISMATCH (warning)
		h.check()
		h.expectSent("all", "EXPIRING_SOON/new", "NAME_MISMATCH/new")
		st := h.store()

		m := Matcher{Community: "林格社区", Severity: notify.SeverityWarning}
		recs, n, err := st.Covered(ctx, m, 1)
		if err != nil || n != 2 || len(recs) != 1 {
			t.Fatalf("Covered = %d listed, %d total, %v; want 1 of 2", len(recs), n, err)
		}
		sl, err := st.Silence(ctx, m, t0.Add(72*time.Hour), "停产检修", "张三")
		if err != nil {
			t.Fatal(err)
		}
		// A critical alert starts firing in the silenced community: it is delivered.
		h.clock.Set(t0.Add(24 * time.Hour))
		h.roster.setCerts(id, cert(id, alertstest.ValidUntil("2026-03-01")))
		h.check()
		h.expectSent("all", "CERT_EXPIRED/new")

		list, err := st.SilencesCovering(ctx)
		if err != nil || len(list) != 1 || list[0].ID != sl.ID || list[0].Covers != 1 || list[0].Matcher.Severity != "warning" ||
			list[0].By != "张三" || list[0].Reason != "停产检修" {
			t.Fatalf("SilencesCovering = %+v, %v; want the silence covering NAME_MISMATCH only", list, err)
		}
		for _, a := range h.page(Filter{Status: "silenced"}).Alerts {
			if a.Severity == notify.SeverityCritical {
				t.Errorf("a warning-only silence holds back %s", a.Rule)
			}
		}
		// By key: the one alert, or nothing once it no longer fires.
		key := keyOf("CERT_EXPIRED", id)
		if recs, n, err := st.Covered(ctx, Matcher{Key: strings.ToUpper(key)}, 10); err != nil || n != 1 || len(recs) != 1 || recs[0].Key != key {
			t.Errorf("Covered(key) = %+v, %d, %v", recs, n, err)
		}
		if _, n, _ := st.Covered(ctx, Matcher{Key: key, Severity: notify.SeverityWarning}, 10); n != 0 {
			t.Errorf("a warning-only silence of a critical alert covers %d, want 0", n)
		}
		// Rules by their Chinese names, here as in the listing.
		if p := h.page(Filter{Rule: "证书过期"}); p.Total != 1 {
			t.Errorf("Filter{Rule: 证书过期} total %d, want 1", p.Total)
		}
		var ie *InputError
		if _, err := st.Page(ctx, Filter{Rule: "过期"}); !errors.As(err, &ie) || !strings.Contains(err.Error(), "CERT_EXPIRED 证书过期") {
			t.Errorf("unknown rule: %v, want the choices listed", err)
		}
		if _, err := st.Silence(ctx, Matcher{Severity: notify.SeverityWarning}, t0.Add(72*time.Hour), "x", "张三"); !errors.As(err, &ie) {
			t.Errorf("a silence of a severity alone: %v, want refused", err)
		}
		if err := st.Unsilence(ctx, sl.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := st.SilencesCovering(ctx); len(list) != 0 {
			t.Errorf("after unsilence: %+v", list)
		}
		if cs, err := st.Communities(ctx); err != nil || len(cs) != 1 || cs[0] != "林格社区" {
			t.Errorf("Communities = %v, %v", cs, err)
		}
	})
}
