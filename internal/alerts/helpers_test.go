package alerts

import (
	"context"
	"fmt"
	"sync"
	"time"

	"streetsync/internal/alerts/notify"
	"streetsync/mapping"
)

var shanghai = mustLoad("Asia/Shanghai")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

func d(s string) mapping.Date {
	v, err := mapping.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

// testID makes a valid 18-character ID number (GB 11643 check character) from n.
func testID(n int) string {
	birth := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n/1000%20000)
	body := fmt.Sprintf("350582%s%03d", birth.Format("20060102"), n%1000)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(body[i]-'0') * weights[i]
	}
	return body + string("10X98765432"[sum%11])
}

const (
	usccA = "91350582MA2Y0EXA1K"
	usccB = "91350582MA2Y0EXB2L"
)

func entry(id string) RosterEntry {
	return RosterEntry{
		Operator: mapping.Operator{
			Name: "张三", IDNumber: id, EnterpriseUSCC: usccA, CategoryCode: "01", ItemCode: "0102",
			StartDate: d("2024-05-21"),
		},
		EnterpriseName: "晋江市灵源示例鞋业有限公司", Community: "林格社区", ItemName: "低压电工作业",
	}
}

// cert is a certificate of id for item 0102, valid 2024-01-01 … 2030-01-01, review due
// 2027-01-01, with changes applied.
func cert(id string, changes ...func(*mapping.Certificate)) mapping.Certificate {
	c := mapping.Certificate{
		CertNo: "T" + id, HolderName: "张三", IDNumber: id, CategoryCode: "01", ItemCode: "0102",
		ItemName: "低压电工作业", FirstIssueDate: d("2024-01-01"), ValidFrom: d("2024-01-01"),
		ValidUntil: d("2030-01-01"), ReviewDueDate: d("2027-01-01"), Status: mapping.CertValid,
	}
	for _, f := range changes {
		f(&c)
	}
	return c
}

func status(s mapping.CertStatus) func(*mapping.Certificate) {
	return func(c *mapping.Certificate) { c.Status = s }
}
func validUntil(s string) func(*mapping.Certificate) {
	return func(c *mapping.Certificate) { c.ValidUntil = d(s) }
}
func reviewDue(s string) func(*mapping.Certificate) {
	return func(c *mapping.Certificate) { c.ReviewDueDate = d(s) }
}
func lastReview(s string) func(*mapping.Certificate) {
	return func(c *mapping.Certificate) { c.LastReviewDate = d(s) }
}
func item(code, name string) func(*mapping.Certificate) {
	return func(c *mapping.Certificate) { c.ItemCode, c.ItemName = code, name }
}
func holder(name string) func(*mapping.Certificate) {
	return func(c *mapping.Certificate) { c.HolderName = name }
}
func validFrom(s string) func(*mapping.Certificate) {
	return func(c *mapping.Certificate) { c.ValidFrom = d(s) }
}

// fakeClock is the tests' clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// ledger is an in-memory roster and certificate store.
type ledger struct {
	mu      sync.Mutex
	roster  []RosterEntry
	certs   map[string][]mapping.Certificate
	lookups int
}

func newLedger() *ledger { return &ledger{certs: map[string][]mapping.Certificate{}} }

func (l *ledger) add(e RosterEntry, certs ...mapping.Certificate) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.roster = append(l.roster, e)
	l.certs[e.Operator.IDNumber] = append(l.certs[e.Operator.IDNumber], certs...)
}

func (l *ledger) setCerts(id string, certs ...mapping.Certificate) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.certs[id] = certs
}

func (l *ledger) EachOnDuty(ctx context.Context, day mapping.Date, fn func(*RosterEntry) error) error {
	l.mu.Lock()
	roster := append([]RosterEntry(nil), l.roster...)
	l.mu.Unlock()
	for _, e := range roster {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(&e); err != nil {
			return err
		}
	}
	return nil
}

func (l *ledger) CertificatesByID(_ context.Context, ids []string) (map[string][]mapping.Certificate, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lookups++
	out := make(map[string][]mapping.Certificate, len(ids))
	for _, id := range ids {
		if cs, ok := l.certs[id]; ok {
			out[id] = append([]mapping.Certificate(nil), cs...)
		}
	}
	return out, nil
}

// recorder is a channel that records what it is sent, and fails when told to.
type recorder struct {
	mu    sync.Mutex
	msgs  []*notify.Message
	fail  error
	retry bool
}

func (r *recorder) Notify(_ context.Context, m *notify.Message) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.retry, r.fail
	}
	r.msgs = append(r.msgs, m)
	return false, nil
}

func (r *recorder) take() []*notify.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.msgs
	r.msgs = nil
	return m
}

func (r *recorder) failWith(err error, retry bool) {
	r.mu.Lock()
	r.fail, r.retry = err, retry
	r.mu.Unlock()
}

// notices lists "<rule>/<notice>" of every alert in msgs.
func notices(msgs []*notify.Message) []string {
	var out []string
	for _, m := range msgs {
		for _, a := range m.Alerts {
			out = append(out, a.Rule+"/"+a.Notice)
		}
	}
	return out
}
