package retry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"streetsync/internal/testutil"
	"strings"
	"testing"
	"time"
)

const kindEnt = "quanzhou.enterprise.push"

func TestOneItemPerRecordCoalescesErrors(t *testing.T) {
	f := newFixture(t, testPolicy())
	ctx := context.Background()
	id1 := f.enqueue(t, kindEnt, "91350582MA2XXXXX1A", errDown)
	f.clock.Advance(5 * time.Second)
	id2 := f.enqueue(t, kindEnt, "91350582MA2XXXXX1A", errStrange)
	f.enqueue(t, "specialops.employment.push", "91350582MA2XXXXX1A", errDown) // another kind, another item

	if id1 != id2 {
		t.Fatalf("second enqueue made item %s, want the existing %s", id2, id1)
	}
	if s := f.stats(t); s.Scheduled != 2 || s.Pending != 0 {
		t.Fatalf("stats = %+v, want 2 scheduled (one per kind)", s)
	}
	info := f.get(t, id1)
	if len(info.Errors) != 2 || info.Errors[0].Error != errDown.Error() || info.Errors[1].Error != errStrange.Error() {
		t.Fatalf("error history = %+v, want both errors in order", info.Errors)
	}
	if info.LastError != errStrange.Error() || info.Key != "91350582MA2XXXXX1A" || info.Kind != kindEnt {
		t.Errorf("item = %+v, want key, kind and the newest error", info)
	}
	// The second enqueue did not postpone or advance the first attempt.
	if want := t0.Add(30 * time.Second); !info.NextAttempt.Equal(want) {
		t.Errorf("next attempt = %s, want %s", info.NextAttempt, want)
	}
	if got := f.obs.count(kindEnt, EventCoalesced); got != 1 {
		t.Errorf("coalesced events = %d, want 1", got)
	}
	items, err := f.q.List(ctx, ListOptions{Kind: kindEnt})
	if err != nil || len(items) != 1 {
		t.Fatalf("List(kind) = %d items, %v; want 1", len(items), err)
	}
}

func TestRecordChangedWhileBeingSentIsSentAgain(t *testing.T) {
	f := newFixture(t, testPolicy())
	ctx := context.Background()
	id := f.enqueue(t, kindEnt, "K1", nil) // nil cause: due at once
	it := f.claim(t, kindEnt)
	f.enqueue(t, kindEnt, "K1", errDown) // the record changed and failed again meanwhile
	if err := f.q.Ack(ctx, it); err != nil {
		t.Fatal(err)
	}
	info := f.get(t, id)
	if info.State != StateDue || info.Attempts != 0 {
		t.Fatalf("after ack: state %s attempts %d, want due with 0 attempts (send the newer state)", info.State, info.Attempts)
	}
	it2 := f.claim(t, kindEnt)
	if err := f.q.Ack(ctx, it2); err != nil {
		t.Fatal(err)
	}
	if s := f.stats(t); s != (Stats{}) {
		t.Fatalf("stats after second ack = %+v, want empty", s)
	}
	if _, err := f.q.Get(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after final ack = %v, want ErrNotFound", err)
	}
}

func TestFailedAttemptsBackOffAndHonourRetryAfter(t *testing.T) {
	f := newFixture(t, testPolicy())
	ctx := context.Background()
	f.enqueue(t, kindEnt, "K1", errDown)
	if _, err := f.q.Claim(ctx, kindEnt, 0); !errors.Is(err, ErrNoneDue) {
		t.Fatalf("claim before the first attempt is due = %v, want ErrNoneDue", err)
	}
	steps := []struct {
		err  error
		want time.Duration // delay before the next attempt
	}{
		{errDown, 30 * time.Second}, // the n-th failed attempt waits BaseDelay·2^(n-1)
		{errDown, time.Minute},
		{&apiError{msg: "429 请求过于频繁", temporary: true, retryAfter: time.Hour}, time.Hour},  // Retry-After wins
		{&apiError{msg: "429", temporary: true, retryAfter: time.Second}, 4 * time.Minute}, // shorter: ignored
	}
	f.clock.Advance(30 * time.Second)
	for i, st := range steps {
		it := f.claim(t, kindEnt)
		if it.Attempts != i {
			t.Fatalf("step %d: claimed with %d attempts, want %d", i, it.Attempts, i)
		}
		res, err := f.q.Fail(ctx, it, st.err)
		if err != nil {
			t.Fatal(err)
		}
		now := f.clock.Now()
		if res.Outcome != OutcomeRetrying || !res.NextAttempt.Equal(now.Add(st.want)) {
			t.Fatalf("step %d: %+v, want retrying at now+%s", i, res, st.want)
		}
		f.clock.Advance(st.want - time.Millisecond)
		if _, err := f.q.Claim(ctx, kindEnt, 0); !errors.Is(err, ErrNoneDue) {
			t.Fatalf("step %d: claim 1ms early = %v, want ErrNoneDue", i, err)
		}
		f.clock.Advance(time.Millisecond)
	}
	if got := f.obs.count(kindEnt, EventRetried); got != len(steps) {
		t.Errorf("retried events = %d, want %d", got, len(steps))
	}
}

func TestDeadAfterMaxAttemptsWithHistoryThenReplay(t *testing.T) {
	p := testPolicy()
	p.MaxAttempts = 3
	f := newFixture(t, p)
	ctx := context.Background()
	id := f.enqueue(t, kindEnt, "K1", errDown)
	var last Result
	for i := range 3 {
		f.clock.Advance(time.Hour)
		res, err := f.q.Fail(ctx, f.claim(t, kindEnt), fmt.Errorf("attempt %d: %w", i+1, errDown))
		if err != nil {
			t.Fatal(err)
		}
		last = res
	}
	if last.Outcome != OutcomeDead || last.DeadReason != "attempts" || last.Attempts != 3 {
		t.Fatalf("third failure: %+v, want dead for attempts after 3", last)
	}
	if s := f.stats(t); s != (Stats{Dead: 1}) {
		t.Fatalf("stats = %+v, want 1 dead", s)
	}
	dead, err := f.q.List(ctx, ListOptions{Dead: true})
	if err != nil || len(dead) != 1 {
		t.Fatalf("List(dead) = %v, %v", dead, err)
	}
	d := dead[0]
	if d.ID != id || d.State != StateDead || d.DeadReason != "attempts" || !d.DeadSince.Equal(f.clock.Now()) {
		t.Errorf("dead item = %+v", d)
	}
	if len(d.Errors) != 4 || d.Errors[0].Attempt != 0 || d.Errors[3].Attempt != 3 || d.Errors[3].Error != "attempt 3: "+errDown.Error() {
		t.Errorf("history = %+v, want the enqueue cause and three attempts", d.Errors)
	}
	if live, _ := f.q.List(ctx, ListOptions{}); len(live) != 0 {
		t.Errorf("List(live) = %v, want none", live)
	}

	n, err := f.q.RetryDead(ctx, id, "nosuchid0000")
	if n != 1 || !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "nosuchid0000") {
		t.Fatalf("RetryDead = %d, %v; want 1 replayed and ErrNotFound naming the bad id", n, err)
	}
	it := f.claim(t, kindEnt) // due at once
	if it.ID != id || it.Attempts != 0 {
		t.Fatalf("replayed item = %+v, want %s with a fresh budget", it, id)
	}
	if err := f.q.Ack(ctx, it); err != nil {
		t.Fatal(err)
	}
	if s := f.stats(t); s != (Stats{}) {
		t.Fatalf("stats after replay and ack = %+v, want empty", s)
	}
}

func TestRetryAllDeadReplaysEveryKind(t *testing.T) {
	p := testPolicy()
	p.MaxAttempts = 1
	f := newFixture(t, p)
	ctx := context.Background()
	for _, kind := range []string{"a.push", "b.push"} {
		for i := range 3 {
			f.enqueue(t, kind, fmt.Sprint("K", i), nil)
			if _, err := f.q.Fail(ctx, f.claim(t, kind), errDown); err != nil {
				t.Fatal(err)
			}
		}
	}
	if s := f.stats(t); s.Dead != 6 {
		t.Fatalf("dead = %d, want 6", s.Dead)
	}
	n, err := f.q.RetryAllDead(ctx, "a.push")
	if err != nil || n != 3 {
		t.Fatalf("RetryAllDead(a.push) = %d, %v; want 3", n, err)
	}
	n, err = f.q.RetryAllDead(ctx, "")
	if err != nil || n != 3 {
		t.Fatalf("RetryAllDead(all) = %d, %v; want the other 3", n, err)
	}
	if s := f.stats(t); s != (Stats{Pending: 6}) {
		t.Fatalf("stats = %+v, want 6 pending", s)
	}
}

func TestEachClassTakesItsPath(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		failures int // failures until the item leaves the queue
		outcome  Outcome
		reason   string
	}{
		{"transient retries until maxAttempts", errDown, 5, OutcomeDead, "attempts"},
		{"unknown retries unknownAttempts times", errStrange, 3, OutcomeDead, "unknown"},
		{"permanent is dead at once", Permanent(errRejected), 1, OutcomeDead, "permanent"},
		{"quarantined is finished at once, never retried", Quarantined(errRejected), 1, OutcomeQuarantined, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, testPolicy())
			ctx := context.Background()
			id := f.enqueue(t, kindEnt, "K1", nil)
			var res Result
			for i := range tc.failures {
				f.clock.Advance(time.Hour)
				var err error
				res, err = f.q.Fail(ctx, f.claim(t, kindEnt), tc.err)
				if err != nil {
					t.Fatal(err)
				}
				if i < tc.failures-1 && res.Outcome != OutcomeRetrying {
					t.Fatalf("failure %d: %s, want retrying", i+1, res.Outcome)
				}
			}
			if res.Outcome != tc.outcome || res.DeadReason != tc.reason {
				t.Fatalf("last failure: %+v, want %s %s", res, tc.outcome, tc.reason)
			}
			if tc.outcome == OutcomeQuarantined {
				if _, err := f.q.Get(ctx, id); !errors.Is(err, ErrNotFound) {
					t.Errorf("quarantined item still there: %v", err)
				}
				if f.obs.count(kindEnt, EventQuarantined) != 1 {
					t.Errorf("quarantined events = %d, want 1", f.obs.count(kindEnt, EventQuarantined))
				}
			}
		})
	}
}

func TestUnknownErrorsCountSeparatelyFromTransientOnes(t *testing.T) {
	f := newFixture(t, testPolicy()) // maxAttempts 5, unknownAttempts 3
	ctx := context.Background()
	f.enqueue(t, kindEnt, "K1", nil)
	seq := []error{errStrange, errDown, errStrange, errDown}
	for i, e := range seq {
		f.clock.Advance(time.Hour)
		res, err := f.q.Fail(ctx, f.claim(t, kindEnt), e)
		if err != nil || res.Outcome != OutcomeRetrying {
			t.Fatalf("failure %d (%v): %+v %v, want retrying (2 unknown so far at most)", i+1, e, res, err)
		}
	}
	f.clock.Advance(time.Hour)
	res, _ := f.q.Fail(ctx, f.claim(t, kindEnt), errStrange)
	if res.Outcome != OutcomeDead {
		t.Fatalf("fifth failure (third unknown, fifth attempt): %+v, want dead", res)
	}
}

func TestDeadlineEndsRetries(t *testing.T) {
	p := testPolicy()
	p.Deadline = 2 * time.Hour
	f := newFixture(t, p)
	ctx := context.Background()
	f.enqueue(t, kindEnt, "K1", nil)
	res, err := f.q.Fail(ctx, f.claim(t, kindEnt), &apiError{msg: "维护中", temporary: true, retryAfter: 3 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != OutcomeDead || res.DeadReason != "deadline" {
		t.Fatalf("a next attempt past the deadline: %+v, want dead for deadline", res)
	}
	if got := DeadReasonText(res.DeadReason); got != "超过重试期限" {
		t.Errorf("DeadReasonText = %q", got)
	}
}

func TestEnqueueRevivesADeadItem(t *testing.T) {
	p := testPolicy()
	p.MaxAttempts = 1
	f := newFixture(t, p)
	ctx := context.Background()
	id := f.enqueue(t, kindEnt, "K1", nil)
	if _, err := f.q.Fail(ctx, f.claim(t, kindEnt), errDown); err != nil {
		t.Fatal(err)
	}
	f.enqueue(t, kindEnt, "K1", errDown) // the record failed again in a later sync
	info := f.get(t, id)
	if info.State != StateScheduled || info.Attempts != 0 || info.DeadReason != "" {
		t.Fatalf("revived item = %+v, want scheduled with a fresh budget", info)
	}
	if s := f.stats(t); s != (Stats{Scheduled: 1}) {
		t.Fatalf("stats = %+v", s)
	}
	if f.obs.count(kindEnt, EventRevived) != 1 {
		t.Errorf("revived events = %d, want 1", f.obs.count(kindEnt, EventRevived))
	}
}

func TestStaleClaimCannotAckFailOrRecord(t *testing.T) {
	f := newFixture(t, testPolicy())
	ctx := context.Background()
	id := f.enqueue(t, kindEnt, "K1", nil)
	stale := f.claim(t, kindEnt)
	if err := stale.CheckFence(ctx); err != nil {
		t.Fatalf("fence of a live claim = %v, want nil", err)
	}
	f.clock.Advance(61 * time.Second) // the stale worker stalls past its lease
	fresh := f.claim(t, kindEnt)
	if fresh.ID != id || fresh.Token <= stale.Token || fresh.Attempts != 1 {
		t.Fatalf("re-claim = %+v, want the same item, a newer token and the lost lease counted", fresh)
	}
	if err := stale.CheckFence(ctx); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("stale CheckFence = %v, want ErrLeaseLost", err)
	}
	if err := f.q.Ack(ctx, stale); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("stale Ack = %v, want ErrLeaseLost", err)
	}
	if _, err := f.q.Fail(ctx, stale, errDown); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("stale Fail = %v, want ErrLeaseLost", err)
	}
	if err := f.q.Release(ctx, stale); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("stale Release = %v, want ErrLeaseLost", err)
	}
	if err := fresh.CheckFence(ctx); err != nil {
		t.Fatalf("fresh CheckFence = %v", err)
	}
	if err := f.q.Ack(ctx, fresh); err != nil {
		t.Fatalf("fresh Ack = %v", err)
	}
	if got := f.obs.count(kindEnt, EventAcked); got != 1 {
		t.Errorf("acks = %d, want exactly 1", got)
	}
	// A token never repeats, even for a record queued again after it was finished.
	f.enqueue(t, kindEnt, "K1", nil)
	again := f.claim(t, kindEnt)
	if again.Token <= fresh.Token {
		t.Errorf("token after re-enqueue = %d, want > %d", again.Token, fresh.Token)
	}
	if err := f.q.Ack(ctx, fresh); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Ack with the finished claim's token = %v, want ErrLeaseLost", err)
	}
}

func TestLostLeasesRunOutOfAttempts(t *testing.T) {
	p := testPolicy()
	p.MaxAttempts = 2
	f := newFixture(t, p)
	ctx := context.Background()
	id := f.enqueue(t, kindEnt, "K1", nil)
	f.claim(t, kindEnt) // a worker that crashes on this record, twice
	f.clock.Advance(2 * time.Minute)
	f.claim(t, kindEnt)
	f.clock.Advance(2 * time.Minute)
	if _, err := f.q.Claim(ctx, kindEnt, 0); !errors.Is(err, ErrNoneDue) {
		t.Fatalf("claim = %v, want ErrNoneDue (the item is dead)", err)
	}
	info := f.get(t, id)
	if info.State != StateDead || info.Errors[len(info.Errors)-1].Class != "lease" || info.LastError != msgLeaseLost {
		t.Fatalf("item = %+v, want dead with a lease record", info)
	}
}

func TestReleaseReturnsWithoutCountingAnAttempt(t *testing.T) {
	f := newFixture(t, testPolicy())
	ctx := context.Background()
	id := f.enqueue(t, kindEnt, "K1", nil)
	if err := f.q.Release(ctx, f.claim(t, kindEnt)); err != nil {
		t.Fatal(err)
	}
	if info := f.get(t, id); info.State != StateDue || info.Attempts != 0 {
		t.Fatalf("released item = %+v, want due with 0 attempts", info)
	}
}

func TestDropRefusesItemsInHand(t *testing.T) {
	f := newFixture(t, testPolicy())
	ctx := context.Background()
	held := f.enqueue(t, kindEnt, "held", nil)
	f.claim(t, kindEnt)
	waiting := f.enqueue(t, kindEnt, "waiting", errDown)
	n, err := f.q.Drop(ctx, held, waiting, "nosuchid0000")
	if n != 1 || !errors.Is(err, ErrBusy) || !errors.Is(err, ErrNotFound) {
		t.Fatalf("Drop = %d, %v; want 1 dropped, ErrBusy and ErrNotFound", n, err)
	}
	if s := f.stats(t); s != (Stats{Pending: 1, Active: 1}) {
		t.Fatalf("stats = %+v, want only the held item", s)
	}
}

func TestDeadItemsArePurgedAfterRetention(t *testing.T) {
	p := testPolicy()
	p.MaxAttempts = 1
	f := newFixture(t, p)
	ctx := context.Background()
	id := f.enqueue(t, kindEnt, "K1", nil)
	if _, err := f.q.Fail(ctx, f.claim(t, kindEnt), errDown); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(29 * 24 * time.Hour)
	if s := f.stats(t); s.Dead != 1 {
		t.Fatalf("dead after 29 days = %d, want 1 (kept 30 days)", s.Dead)
	}
	f.clock.Advance(24*time.Hour + time.Second)
	if s := f.stats(t); s.Dead != 0 {
		t.Fatalf("dead after 30 days = %d, want 0", s.Dead)
	}
	if _, err := f.q.Get(ctx, id); !errors.Is(err, ErrNotFound) {
		t.Fatalf("purged item: Get = %v, want ErrNotFound", err)
	}
}

func TestStatsJSONMatchesTheOperatorContract(t *testing.T) {
	b, err := json.Marshal(Stats{Pending: 1, Scheduled: 2, Dead: 3, Active: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"pending":1,"scheduled":2,"dead":3}`; got != want {
		t.Fatalf("stats JSON = %s, want %s", got, want)
	}
}

func TestListJSONNamesTheJob(t *testing.T) {
	f := newFixture(t, testPolicy())
	f.enqueue(t, kindEnt, "K1", errDown)
	items, err := f.q.List(context.Background(), ListOptions{})
	if err != nil || len(items) != 1 {
		t.Fatal(items, err)
	}
	b, _ := json.Marshal(items[0])
	for _, want := range []string{`"job":"` + kindEnt + `"`, `"key":"K1"`, `"attempts":0`, `"nextAttempt":"2026-03-02T01:30:30Z"`, `"lastError":"` + errDown.Error() + `"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("item JSON %s lacks %s", b, want)
		}
	}
}

func TestEveryKeySharesTheRetryHashTag(t *testing.T) {
	p := testPolicy()
	p.MaxAttempts = 1
	f := newFixture(t, p)
	ctx := context.Background()
	f.enqueue(t, kindEnt, "K1", errDown)
	f.enqueue(t, kindEnt, "K2", nil)
	f.claim(t, kindEnt)
	f.enqueue(t, "b.push", "K3", nil)
	if _, err := f.q.Fail(ctx, f.claim(t, "b.push"), errDown); err != nil {
		t.Fatal(err)
	}
	keys, err := testutil.Keys(ctx, f.conn, f.conn.Prefix+"*")
	if err != nil || len(keys) < 6 {
		t.Fatalf("keys = %v, %v", keys, err)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, f.conn.Prefix+"{retry}:") {
			t.Errorf("key %q lacks the hash tag {retry} right after the prefix", k)
		}
	}
}

func TestIDIsStableShortAndTypeable(t *testing.T) {
	a, b := ID(kindEnt, "91350582MA2XXXXX1A"), ID(kindEnt, "91350582MA2XXXXX1A")
	if a != b || len(a) != 12 || strings.ContainsAny(a, "ilou{}:") {
		t.Fatalf("ID = %q, %q; want one stable 12-character id without i l o u", a, b)
	}
	if ID("a", "bc") == ID("ab", "c") {
		t.Fatal("kind and key are not separated in the id")
	}
}

func TestNewRejectsBracesInPrefix(t *testing.T) {
	f := newFixture(t, testPolicy())
	conn := *f.conn
	conn.Prefix = "x{y}:"
	if _, err := New(&conn, testPolicy()); err == nil {
		t.Fatal("New accepted a prefix with braces")
	}
}

// TestErrorHistoryKeepsOnlyTheNewestMaxErrors: every path that records an error (a coalesced
// enqueue with a cause, a failed attempt) trims the history to Policy.MaxErrors, oldest first out.
func TestErrorHistoryKeepsOnlyTheNewestMaxErrors(t *testing.T) {
	p := testPolicy()
	p.MaxErrors = 3
	p.MaxAttempts = 50
	f := newFixture(t, p)
	ctx := context.Background()
	var id string
	for i := range 5 { // five causes while queued: coalesced into one item
		id = f.enqueue(t, kindEnt, "K1", fmt.Errorf("queued %d: %w", i, errDown))
	}
	if got := f.get(t, id).Errors; len(got) != 3 || got[0].Error != "queued 2: "+errDown.Error() {
		t.Fatalf("after 5 queued causes the history is %+v, want the newest 3 (queued 2 to 4)", got)
	}
	for i := range 4 { // four failed attempts
		f.clock.Advance(p.MaxDelay + time.Second)
		it := f.claim(t, kindEnt)
		if it == nil {
			t.Fatalf("attempt %d: nothing to claim", i)
		}
		if _, err := f.q.Fail(ctx, it, fmt.Errorf("attempt %d: %w", i, errDown)); err != nil {
			t.Fatal(err)
		}
	}
	got := f.get(t, id).Errors
	var texts []string
	for _, r := range got {
		texts = append(texts, r.Error)
	}
	want := []string{"attempt 1: " + errDown.Error(), "attempt 2: " + errDown.Error(), "attempt 3: " + errDown.Error()}
	if !slices.Equal(texts, want) {
		t.Errorf("history = %q, want the newest three, oldest first: %q", texts, want)
	}
}
