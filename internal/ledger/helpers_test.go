package ledger_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"streetsync/internal/config"
	"streetsync/internal/ledger"
	"streetsync/internal/testutil"
	"streetsync/mapping"
)

// clock is the injected clock of the stores under test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// backend names a database the suite runs against, and how to get a fresh one.
type backend struct {
	name string
	cfg  func(t testing.TB) config.Ledger
}

var backends = []backend{
	{"sqlite", func(t testing.TB) config.Ledger {
		return config.Ledger{Driver: "sqlite", DSN: config.Secret(filepath.Join(t.TempDir(), "data", "ledger.db"))}
	}},
	{"postgres", func(t testing.TB) config.Ledger {
		// Skips, saying why, when no PostgreSQL is available (PG_DSN or local server binaries).
		return config.Ledger{Driver: "postgres", DSN: config.Secret(testutil.Postgres(t))}
	}},
}

// eachStore runs fn against a fresh store of every backend.
func eachStore(t *testing.T, fn func(t *testing.T, s ledger.Store, clk *clock)) {
	t.Helper()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			cfg := b.cfg(t)
			clk := newClock()
			s := open(t, cfg, clk)
			fn(t, s, clk)
		})
	}
}

func open(t testing.TB, cfg config.Ledger, clk *clock) ledger.Store {
	t.Helper()
	s, err := ledger.Open(context.Background(), cfg, ledger.WithClock(clk.Now))
	if err != nil {
		t.Fatalf("open %s ledger: %v", cfg.Driver, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// idNumber builds a valid resident ID number (GB 11643 check character) from a sequence number.
func idNumber(n int) string {
	body := fmt.Sprintf("350582198%d%02d%02d%03d", n%10, 1+n%12, 1+n%28, n%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}

// uscc builds a distinct 18-character code; the ledger does not validate (mapping does).
func uscc(n int) string { return fmt.Sprintf("91350582MA%08d", n) }

// enterprisesUpTo is enterprise(0) … enterprise(n-1).
func enterprisesUpTo(n int) []mapping.Enterprise {
	out := make([]mapping.Enterprise, n)
	for i := range out {
		out[i] = enterprise(i)
	}
	return out
}

func enterprise(n int) mapping.Enterprise {
	return mapping.Enterprise{
		USCC:           uscc(n),
		Name:           fmt.Sprintf("晋江市灵源第%d鞋材有限公司", n),
		LegalRep:       "王建国",
		Principal:      "王建国",
		PrincipalPhone: "13905951234",
		Address:        fmt.Sprintf("晋江市灵源街道林口社区工业路%d号", n),
		RegionCode:     "350582006",
		Community:      []string{"林口社区", "灵水社区", "英墩社区"}[n%3],
		Industry:       "QG",
		KeyRisks:       []mapping.KeyRisk{"FCSB", "YXKJ"},
		Employees:      40 + n%100,
		Status:         "1",
	}
}

func inputs(es ...mapping.Enterprise) []ledger.EnterpriseInput {
	out := make([]ledger.EnterpriseInput, len(es))
	for i, e := range es {
		out[i] = ledger.EnterpriseInput{Enterprise: e}
	}
	return out
}

func operator(n int, enterpriseN int, item string) mapping.Operator {
	return mapping.Operator{
		Name:           fmt.Sprintf("操作员%d", n),
		IDNumber:       idNumber(n),
		Phone:          "13800000000",
		EnterpriseUSCC: uscc(enterpriseN),
		CategoryCode:   item[:2],
		ItemCode:       item,
		StartDate:      mapping.Date{Year: 2024, Month: 1, Day: 1},
	}
}

func date(y int, m time.Month, d int) mapping.Date { return mapping.Date{Year: y, Month: m, Day: d} }

// collect drains a stream, failing the test on an error.
func collect[T any](t *testing.T, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		out = append(out, v)
	}
	return out
}

func mustOutcomes(t *testing.T, got []ledger.Outcome, err error, want ...ledger.Outcome) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
}
