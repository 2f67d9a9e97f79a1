package alerts

import (
	"context"
	"testing"
	"time"

	"streetsync/internal/alerts/alertstest"
)

// A silence covers the firing alerts its matcher names: one alert by key, a person's by the hash
// of the ID number, a community's and rule's by name; a resolved alert is covered by none.
func TestCoveredCountsWhatASilenceHoldsBack(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		h := newHarness(t, b)
		ctx := context.Background()
		expired, other := testID(21), testID(22)
		h.roster.add(entry(expired), cert(expired, alertstest.ValidUntil("2026-01-01")))
		e := entry(other)
		e.Operator.EnterpriseUSCC = usccB
		h.roster.add(e)
		h.check()
		st := h.store()
		for _, c := range []struct {
			name string
			m    Matcher
			want int
		}{
			{"one alert by key", Matcher{Key: keyOf("CERT_EXPIRED", expired)}, 1},
			{"a person", Matcher{IDHash: IDHash(other)}, 1},
			{"a rule", Matcher{Rule: "CERT_EXPIRED"}, 1},
			{"a community", Matcher{Community: entry(expired).Community}, 2},
			{"a key that does not fire", Matcher{Key: keyOf("NO_CERTIFICATE", expired)}, 0},
		} {
			recs, n, err := st.Covered(ctx, c.m, 5)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if n != c.want || len(recs) != c.want {
				t.Errorf("%s: covers %d (%d listed), want %d", c.name, n, len(recs), c.want)
			}
			if _, n, _ := st.Covered(ctx, c.m, 0); n != c.want {
				t.Errorf("%s, count only: %d, want %d", c.name, n, c.want)
			}
		}
		h.roster.setCerts(expired, cert(expired)) // renewed: the alert resolves
		h.clock.Set(t0.Add(time.Hour))
		h.check()
		if _, n, _ := st.Covered(ctx, Matcher{Key: keyOf("CERT_EXPIRED", expired)}, 1); n != 0 {
			t.Errorf("a resolved alert is covered: %d", n)
		}
	})
}
