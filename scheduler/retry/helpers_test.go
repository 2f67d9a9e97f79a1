package retry

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"streetsync/internal/rdb"
	"streetsync/internal/testutil"
	"streetsync/scheduler/clock"
)

var t0 = time.Date(2026, 3, 2, 1, 30, 0, 0, time.UTC)

// testPolicy is small enough to walk through in a test.
func testPolicy() Policy {
	return Policy{
		MaxAttempts:     5,
		BaseDelay:       30 * time.Second,
		MaxDelay:        10 * time.Minute,
		Deadline:        24 * time.Hour,
		DeadRetention:   30 * 24 * time.Hour,
		Lease:           60 * time.Second,
		Workers:         4,
		UnknownAttempts: 3,
		Jitter:          0.2,
		MaxErrors:       100,
	}
}

type fixture struct {
	q     *Queue
	clock *clock.Fake
	conn  *rdb.Conn
	obs   *countingObserver
}

// newFixture gives a queue on a real Redis (own prefix), a fake clock at t0, no jitter.
func newFixture(t *testing.T, p Policy, opts ...Option) *fixture {
	t.Helper()
	conn, kind := testutil.Redis(t)
	testutil.RequireRealRedis(t, kind)
	return fixtureOn(t, conn, p, opts...)
}

func fixtureOn(t *testing.T, conn *rdb.Conn, p Policy, opts ...Option) *fixture {
	t.Helper()
	f := &fixture{clock: clock.NewFake(t0), conn: conn, obs: newCountingObserver()}
	all := append([]Option{WithClock(f.clock), WithObserver(f.obs), WithRandom(func() float64 { return 0 })}, opts...)
	q, err := New(conn, p, all...)
	if err != nil {
		t.Fatal(err)
	}
	f.q = q
	return f
}

// secondConn is another client on the same Redis and prefix: another process's view.
func secondConn(t *testing.T, c *rdb.Conn) *rdb.Conn {
	t.Helper()
	return testutil.SecondConn(t, c)
}

func (f *fixture) stats(t *testing.T) Stats {
	t.Helper()
	s, err := f.q.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) get(t *testing.T, id string) ItemInfo {
	t.Helper()
	info, err := f.q.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func (f *fixture) enqueue(t *testing.T, kind, key string, cause error) string {
	t.Helper()
	id, err := f.q.Enqueue(context.Background(), kind, key, cause)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) claim(t *testing.T, kind string) *Item {
	t.Helper()
	it, err := f.q.Claim(context.Background(), kind, 0)
	if err != nil {
		t.Fatalf("claim %s: %v", kind, err)
	}
	return it
}

type countingObserver struct {
	mu sync.Mutex
	n  map[string]int
}

func newCountingObserver() *countingObserver { return &countingObserver{n: map[string]int{}} }

func (o *countingObserver) QueueEvent(kind, event string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.n[kind+"/"+event]++
}

func (o *countingObserver) count(kind, event string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.n[kind+"/"+event]
}

// eventually waits (in real time, for goroutines — never for the fake clock) until cond holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// apiError looks like a connector's typed error: Temporary() and RetryAfter(), no import of us.
type apiError struct {
	msg        string
	temporary  bool
	retryAfter time.Duration
}

func (e *apiError) Error() string             { return e.msg }
func (e *apiError) Temporary() bool           { return e.temporary }
func (e *apiError) RetryAfter() time.Duration { return e.retryAfter }

var (
	errDown     = &apiError{msg: "泉州平台返回 503：服务暂不可用", temporary: true}
	errStrange  = errors.New("unexpected reply: code 9999")
	errRejected = &apiError{msg: "平台拒绝：统一社会信用代码校验失败"}
)
