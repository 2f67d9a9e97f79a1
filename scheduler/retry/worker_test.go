package retry

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"streetsync/internal/testutil"
)

// running starts q.Run in the background and returns a stop function that cancels it and waits.
func running(t *testing.T, q *Queue, w Worker) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := q.Run(ctx, w); err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return after its context ended")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestWorkerKilledMidItemAnotherFinishesIt(t *testing.T) {
	f := newFixture(t, testPolicy())
	ctx := context.Background()
	id := f.enqueue(t, kindEnt, "K1", nil)
	killed := f.claim(t, kindEnt) // this worker dies without a word: no renewal, no ack

	handled := make(chan *Item, 10)
	running(t, f.q, Worker{Kind: kindEnt, Handler: func(ctx context.Context, it *Item) error {
		handled <- it
		return nil
	}})
	if err := f.clock.BlockUntil(ctx, 1); err != nil { // the live worker sleeps: nothing due
		t.Fatal(err)
	}
	select {
	case it := <-handled:
		t.Fatalf("item %s handled while the dead worker's lease still ran", it.ID)
	default:
	}
	f.clock.Advance(61 * time.Second)
	var it *Item
	select {
	case it = <-handled:
	case <-time.After(10 * time.Second):
		t.Fatal("the live worker never took over the item")
	}
	if it.ID != id || it.Token <= killed.Token {
		t.Fatalf("taken over: %+v, want item %s with a newer token than %d", it, id, killed.Token)
	}
	eventually(t, "the live worker's ack", func() bool { return f.obs.count(kindEnt, EventAcked) == 1 })
	if err := f.q.Ack(ctx, killed); !errors.Is(err, ErrLeaseLost) {
		t.Fatalf("the killed worker's late ack = %v, want ErrLeaseLost", err)
	}
	if got := f.obs.count(kindEnt, EventAcked); got != 1 {
		t.Fatalf("acks = %d, want exactly 1", got)
	}
	if s := f.stats(t); s != (Stats{}) {
		t.Fatalf("stats = %+v, want empty", s)
	}
}

func TestSeveralProcessesHandleEachItemOnce(t *testing.T) {
	conn, kind := testutil.Redis(t)
	testutil.RequireRealRedis(t, kind)
	p := testPolicy()
	q1, err := New(conn, p, WithPollInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	q2, err := New(secondConn(t, conn), p, WithPollInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const n = 300
	reqs := make([]Request, n)
	for i := range reqs {
		reqs[i] = Request{Kind: kindEnt, Key: fmt.Sprintf("K%03d", i)}
	}
	if _, err := q1.EnqueueBatch(ctx, reqs); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]int{}
	h := func(ctx context.Context, it *Item) error {
		if err := it.CheckFence(ctx); err != nil {
			return err
		}
		mu.Lock()
		seen[it.Key]++
		mu.Unlock()
		return nil
	}
	var wg sync.WaitGroup
	for _, q := range []*Queue{q1, q2} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := q.Drain(ctx, 30*time.Second, Worker{Kind: kindEnt, Handler: h, Concurrency: 4}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if len(seen) != n {
		t.Fatalf("handled %d records, want %d", len(seen), n)
	}
	for k, c := range seen {
		if c != 1 {
			t.Errorf("record %s handled %d times, want once", k, c)
		}
	}
	if s, _ := q1.Stats(ctx); s != (Stats{}) {
		t.Fatalf("stats = %+v, want empty", s)
	}
}

func TestRedisRestartWithAOFLosesNoItem(t *testing.T) {
	srv := testutil.StartRedisServer(t, true)
	conn := srv.Conn(t)
	p := testPolicy()
	p.BaseDelay, p.MaxDelay = 10*time.Millisecond, 50*time.Millisecond
	p.Lease = 500 * time.Millisecond // real time: the only wall-clock wait, for acks lost in the crash
	p.MaxAttempts = 100
	q, err := New(conn, p, WithPollInterval(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const n = 200
	reqs := make([]Request, n)
	for i := range reqs {
		reqs[i] = Request{Kind: kindEnt, Key: fmt.Sprintf("K%03d", i)}
		if i%4 == 0 {
			reqs[i].Cause = errDown // some wait for a retry
		}
	}
	if _, err := q.EnqueueBatch(ctx, reqs); err != nil {
		t.Fatal(err)
	}

	srv.Restart(t) // a crash before any work: every item is still there, history included
	s, err := q.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.Pending+s.Scheduled != n {
		t.Fatalf("after restart: %+v, want %d items", s, n)
	}
	info, err := q.Get(ctx, ID(kindEnt, "K000"))
	if err != nil || len(info.Errors) != 1 || info.LastError != errDown.Error() {
		t.Fatalf("after restart: K000 = %+v, %v; want its error history", info, err)
	}

	var mu sync.Mutex
	done := map[string]bool{}
	calls := atomic.Int64{}
	stop := running(t, q, Worker{Kind: kindEnt, Concurrency: 4, Handler: func(ctx context.Context, it *Item) error {
		c := calls.Add(1)
		time.Sleep(200 * time.Microsecond) // a platform call
		if c%7 == 0 {
			return Transient(errDown, 0)
		}
		if err := it.CheckFence(ctx); err != nil {
			return err
		}
		mu.Lock()
		done[it.Key] = true
		mu.Unlock()
		return nil
	}})
	eventually(t, "a third of the items handled", func() bool { return calls.Load() >= n/3 })
	srv.Restart(t) // a crash mid-run
	eventually(t, "the queue to empty after the restart", func() bool {
		s, err := q.Stats(ctx)
		return err == nil && s == (Stats{})
	})
	stop()
	mu.Lock()
	defer mu.Unlock()
	if len(done) != n {
		t.Fatalf("%d of %d records went through; the rest were lost", len(done), n)
	}
}

func TestGracefulStopLetsItemsInHandFinish(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := newFixture(t, testPolicy())
	f.enqueue(t, kindEnt, "K1", nil)
	started, release := make(chan struct{}), make(chan struct{})
	stop := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(stop)
		_ = f.q.Run(ctx, Worker{Kind: kindEnt, StopGrace: 5 * time.Second, Handler: func(ctx context.Context, it *Item) error {
			close(started)
			<-release
			return nil
		}})
	}()
	<-started
	cancel()
	eventually(t, "the grace period to start", func() bool { next, _ := f.clock.Next(); return next.Equal(t0.Add(5 * time.Second)) })
	select {
	case <-stop:
		t.Fatal("Run returned with an item still in hand")
	default:
	}
	close(release)
	<-stop
	if got := f.obs.count(kindEnt, EventAcked); got != 1 {
		t.Fatalf("acks = %d, want the in-flight item acked", got)
	}
}

func TestGracefulStopHandsBackWhatDidNotFinish(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	f := newFixture(t, testPolicy())
	id := f.enqueue(t, kindEnt, "K1", nil)
	started := make(chan struct{})
	stop := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(stop)
		_ = f.q.Run(ctx, Worker{Kind: kindEnt, StopGrace: 5 * time.Second, Handler: func(ctx context.Context, it *Item) error {
			close(started)
			<-ctx.Done() // a slow platform call that honours ctx
			return ctx.Err()
		}})
	}()
	<-started
	cancel()
	eventually(t, "the grace period to start", func() bool { next, _ := f.clock.Next(); return next.Equal(t0.Add(5 * time.Second)) })
	f.clock.Advance(5 * time.Second)
	<-stop
	info := f.get(t, id)
	if info.State != StateDue || info.Attempts != 0 {
		t.Fatalf("item after stop = %+v, want handed back, due, no attempt counted", info)
	}
	if f.obs.count(kindEnt, EventReleased) != 1 {
		t.Fatalf("released events = %d, want 1", f.obs.count(kindEnt, EventReleased))
	}
}

func TestWorkerLifecycleLeaksNoGoroutines(t *testing.T) {
	f := newFixture(t, testPolicy())
	ctx := context.Background()
	if _, err := f.q.Stats(ctx); err != nil { // open the client's connections before the snapshot
		t.Fatal(err)
	}
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	for round := range 3 {
		for i := range 6 {
			f.enqueue(t, kindEnt, fmt.Sprint("K", round, i), nil)
		}
		var calls atomic.Int64
		stop := running(t, f.q, Worker{Kind: kindEnt, Concurrency: 3, Handler: func(ctx context.Context, it *Item) error {
			if calls.Add(1)%2 == 0 {
				return errDown
			}
			return nil
		}})
		eventually(t, "some items handled", func() bool { return calls.Load() >= 3 })
		stop()
	}
}

func TestLeaseIsRenewedWhileTheHandlerRuns(t *testing.T) {
	f := newFixture(t, testPolicy()) // lease 60s, renewed every 20s
	ctx := context.Background()
	id := f.enqueue(t, kindEnt, "K1", nil)
	started, release := make(chan struct{}), make(chan struct{})
	running(t, f.q, Worker{Kind: kindEnt, Handler: func(ctx context.Context, it *Item) error {
		close(started)
		<-release
		return it.CheckFence(ctx)
	}})
	<-started
	for range 6 { // two minutes: twice the lease
		f.clock.Advance(20 * time.Second)
		want := f.clock.Now().Add(time.Minute)
		eventually(t, "the lease renewed to "+want.String(), func() bool { return f.get(t, id).LeaseUntil.Equal(want) })
	}
	if _, err := f.q.Claim(ctx, kindEnt, 0); !errors.Is(err, ErrNoneDue) {
		t.Fatalf("claim by another worker = %v, want ErrNoneDue (the lease is alive)", err)
	}
	close(release)
	eventually(t, "the ack", func() bool { return f.obs.count(kindEnt, EventAcked) == 1 })
	if got := f.obs.count(kindEnt, EventLeaseExpired); got != 0 {
		t.Fatalf("lease expiries = %d, want 0", got)
	}
}

func TestLostLeaseCancelsTheHandler(t *testing.T) {
	f := newFixture(t, testPolicy())
	ctx := context.Background()
	f.enqueue(t, kindEnt, "K1", nil)
	started := make(chan struct{})
	cause := make(chan error, 1)
	running(t, f.q, Worker{Kind: kindEnt, Handler: func(ctx context.Context, it *Item) error {
		close(started)
		<-ctx.Done()
		cause <- context.Cause(ctx)
		return ctx.Err()
	}})
	<-started
	// Another process, whose clock is two minutes ahead, sees the lease as run out and takes over.
	other := fixtureOn(t, secondConn(t, f.conn), testPolicy())
	other.clock.Set(t0.Add(2 * time.Minute))
	taken := other.claim(t, kindEnt)
	f.clock.Advance(20 * time.Second) // the first worker's next renewal finds the claim gone
	select {
	case c := <-cause:
		if !errors.Is(c, ErrLeaseLost) {
			t.Fatalf("handler ctx cause = %v, want ErrLeaseLost", c)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the handler was not cancelled")
	}
	if err := other.q.Ack(ctx, taken); err != nil {
		t.Fatalf("the new owner's ack = %v, want nil", err)
	}
	if got := f.obs.count(kindEnt, EventAcked) + other.obs.count(kindEnt, EventAcked); got != 1 {
		t.Fatalf("acks = %d, want 1", got)
	}
}

func TestDrainWaitsForScheduledItems(t *testing.T) {
	f := newFixture(t, testPolicy())
	ctx := context.Background()
	f.enqueue(t, kindEnt, "now", nil)
	f.enqueue(t, kindEnt, "later", errDown) // due in 30s
	var mu sync.Mutex
	var handled []string
	type result struct {
		s   Stats
		err error
	}
	out := make(chan result, 1)
	go func() {
		s, err := f.q.Drain(ctx, 5*time.Minute, Worker{Kind: kindEnt, Handler: func(ctx context.Context, it *Item) error {
			mu.Lock()
			handled = append(handled, it.Key)
			mu.Unlock()
			return nil
		}})
		out <- result{s, err}
	}()
	eventually(t, "the due item handled", func() bool { mu.Lock(); defer mu.Unlock(); return len(handled) == 1 })
	select {
	case r := <-out:
		t.Fatalf("drain returned %+v with an item still scheduled", r)
	default:
	}
	f.clock.Advance(30 * time.Second)
	r := <-out
	if r.err != nil || r.s != (Stats{}) {
		t.Fatalf("drain = %+v, %v; want empty stats", r.s, r.err)
	}
	if strings.Join(handled, ",") != "now,later" {
		t.Fatalf("handled %v, want now then later", handled)
	}
}

func TestDrainStopsAtItsTimeout(t *testing.T) {
	f := newFixture(t, testPolicy())
	ctx := context.Background()
	f.enqueue(t, kindEnt, "K1", &apiError{msg: "维护中", temporary: true, retryAfter: time.Hour})
	out := make(chan Stats, 1)
	go func() {
		s, err := f.q.Drain(ctx, time.Minute, Worker{Kind: kindEnt, Handler: func(context.Context, *Item) error { return nil }})
		if err != nil {
			t.Error(err)
		}
		out <- s
	}()
	if err := f.clock.BlockUntil(ctx, 2); err != nil { // drain and its worker both wait
		t.Fatal(err)
	}
	f.clock.Advance(time.Minute)
	select {
	case s := <-out:
		if s != (Stats{Scheduled: 1}) {
			t.Fatalf("drain stats = %+v, want the item still scheduled", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("drain did not stop at its timeout")
	}
}

type countingLimiter struct{ n atomic.Int64 }

func (l *countingLimiter) Wait(ctx context.Context) error { l.n.Add(1); return ctx.Err() }

func TestLimiterIsWaitedOnBeforeEachItem(t *testing.T) {
	f := newFixture(t, testPolicy())
	for i := range 5 {
		f.enqueue(t, kindEnt, fmt.Sprint("K", i), nil)
	}
	lim := &countingLimiter{}
	var handled atomic.Int64
	running(t, f.q, Worker{Kind: kindEnt, Limiter: lim, Handler: func(context.Context, *Item) error {
		handled.Add(1)
		return nil
	}})
	eventually(t, "5 items handled", func() bool { return handled.Load() == 5 })
	if got := lim.n.Load(); got != 5 {
		t.Fatalf("limiter waits = %d, want 5", got)
	}
}

func TestConcurrencyIsLimitedPerKind(t *testing.T) {
	f := newFixture(t, testPolicy())
	for i := range 6 {
		f.enqueue(t, kindEnt, fmt.Sprint("K", i), nil)
	}
	var cur, peak, total atomic.Int64
	gate := make(chan struct{})
	running(t, f.q, Worker{Kind: kindEnt, Concurrency: 2, Handler: func(context.Context, *Item) error {
		c := cur.Add(1)
		for p := peak.Load(); c > p && !peak.CompareAndSwap(p, c); p = peak.Load() {
		}
		<-gate
		cur.Add(-1)
		total.Add(1)
		return nil
	}})
	eventually(t, "two items in hand", func() bool { return cur.Load() == 2 })
	close(gate)
	eventually(t, "all items handled", func() bool { return total.Load() == 6 })
	if p := peak.Load(); p != 2 {
		t.Fatalf("peak concurrency = %d, want 2", p)
	}
}

func TestHandlerPanicIsAnUnknownFailure(t *testing.T) {
	f := newFixture(t, testPolicy())
	id := f.enqueue(t, kindEnt, "K1", nil)
	running(t, f.q, Worker{Kind: kindEnt, Handler: func(context.Context, *Item) error { panic("nil map") }})
	eventually(t, "the failed attempt", func() bool { return f.obs.count(kindEnt, EventRetried) == 1 })
	info := f.get(t, id)
	if info.Attempts != 1 || !strings.Contains(info.LastError, "panicked: nil map") || info.Errors[0].Class != string(ClassUnknown) {
		t.Fatalf("item after a panic = %+v, want one unknown failure", info)
	}
}
