package jobs

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"streetsync/connectors/httpx"
	"streetsync/connectors/quanzhou"
	"streetsync/scheduler/retry"
)

// tally counts one job run's outcomes; the pipeline's goroutines add to it concurrently. It also
// counts the run's whole platform calls by what came of them — answered (a refusal of the data
// included) or failed for now — from which the run's outcome is decided (outcome.go).
type tally struct {
	job                                            string
	pulled, pushed, unchanged, quarantined, queued atomic.Int64
	answered, failed                               atomic.Int64
	// capped counts the registrations left due because the run reached its cap, regCap.
	capped atomic.Int64
	regCap int

	mu          sync.Mutex
	drifted     map[string]struct{} // by record key: a record counts once, whichever phase saw it
	lastFailure error               // the last call that failed for now
}

func newTally(job string) *tally { return &tally{job: job, drifted: map[string]struct{}{}} }

// answer counts n calls the platform answered.
func (t *tally) answer(n int) { t.answered.Add(int64(n)) }

// verdict judges a failed platform call (judge) and counts it: a call the platform refused was
// answered; one that failed for now was not.
func (t *tally) verdict(ctx context.Context, err error) verdict {
	v := judge(ctx, err)
	switch v {
	case verdictRetry:
		t.failed.Add(1)
		t.mu.Lock()
		t.lastFailure = err
		t.mu.Unlock()
	case verdictReject:
		t.answered.Add(1)
	}
	return v
}

// pages counts a listing's requests: every one answered but the last when the listing ended
// with err (which verdict counts).
func (t *tally) pages(requests int, err error) {
	if err != nil {
		requests--
	}
	t.answer(max(requests, 0))
}

func (t *tally) drift(key string) {
	t.mu.Lock()
	t.drifted[key] = struct{}{}
	t.mu.Unlock()
}

// summary is the run's counts and its outcome; err is what the run returned.
func (t *tally) summary(d time.Duration, err error) Summary {
	t.mu.Lock()
	drifted := len(t.drifted)
	t.mu.Unlock()
	s := Summary{
		Job: t.job, Pulled: int(t.pulled.Load()), Pushed: int(t.pushed.Load()), Unchanged: int(t.unchanged.Load()),
		Drifted: drifted, Quarantined: int(t.quarantined.Load()), Queued: int(t.queued.Load()),
		DurationMs: d.Milliseconds(),
	}
	s.Outcome, s.Reason = t.outcome(&s, err)
	return s
}

// What to do about a failed platform call, decided once from the connectors' classification.
type verdict int

const (
	// verdictRetry: the platform failed for now — queue it.
	verdictRetry verdict = iota + 1
	// verdictReject: the platform refused the data for good — quarantine it for a person.
	verdictReject
	// verdictAbort: credentials, signature, clock or region refused, the ledger failed, or the
	// run was cancelled — no record can succeed; the job stops with the error.
	verdictAbort
)

func judge(ctx context.Context, err error) verdict {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return verdictAbort
	}
	var ae *httpx.APIError
	if errors.As(err, &ae) {
		switch ae.Kind {
		case httpx.KindAuth:
			return verdictAbort
		case httpx.KindPermanent:
			return verdictReject
		}
		return verdictRetry
	}
	var ie *quanzhou.ItemError
	if errors.As(err, &ie) {
		// batchSave's per-item verdict: 40901 and 50001 may succeed later, 40011–40014 never.
		if ie.Temporary() {
			return verdictRetry
		}
		return verdictReject
	}
	switch c, _ := retry.Classify(err); c {
	case retry.ClassPermanent, retry.ClassQuarantined:
		return verdictReject
	case retry.ClassTransient:
		return verdictRetry
	}
	// Not the platforms' (they are classified at the edge): the ledger or Redis failed, or a
	// bug. No retry of a record helps; the job stops and says why.
	return verdictAbort
}

// breaker stops sending after the platform has shown it is down: a maintenance window, or
// several whole calls in a row failing. The rest waits in the retry queue rather than hammering
// the platform or blocking the run.
type breaker struct {
	failures int
	open     bool
}

const breakerThreshold = 3

// record notes a whole call's outcome; it reports whether the breaker is open now.
func (b *breaker) record(err error) bool {
	switch {
	case err == nil:
		b.failures = 0
	case errors.Is(err, httpx.ErrMaintenance):
		b.open = true
	default:
		b.failures++
		if b.failures >= breakerThreshold {
			b.open = true
		}
	}
	return b.open
}

// fanOut runs work for every input produce sends, on n goroutines, and hands each result to
// consume on the calling goroutine (so consume needs no locking and owns the ledger writes).
// consume returns stop to end production early (the breaker) — inputs already sent are still
// worked and consumed — or an error, which cancels everything. fanOut returns once every
// goroutine it started has ended.
func fanOut[In, Out any](ctx context.Context, n int,
	produce func(send func(In) bool) error,
	work func(ctx context.Context, in In) Out,
	consume func(out Out) (stop bool, err error),
) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopped := make(chan struct{})
	ins := make(chan In, n)
	outs := make(chan Out, n)
	var prodErr error
	go func() {
		defer close(ins)
		prodErr = produce(func(v In) bool {
			select {
			case <-stopped:
				return false
			case <-ctx.Done():
				return false
			default:
			}
			select {
			case ins <- v:
				return true
			case <-stopped:
				return false
			case <-ctx.Done():
				return false
			}
		})
	}()
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for v := range ins {
				outs <- work(ctx, v)
			}
		}()
	}
	go func() { wg.Wait(); close(outs) }()
	var err error
	isStopped := false
	for o := range outs {
		if err != nil {
			continue // drain: every worker must be able to hand over its result
		}
		stop, cerr := consume(o)
		if cerr != nil {
			err = cerr
			cancel()
			continue
		}
		if stop && !isStopped {
			isStopped = true
			close(stopped)
		}
	}
	if err != nil {
		return err
	}
	if prodErr != nil {
		return prodErr
	}
	return ctx.Err()
}

// writeBehind performs writes on one goroutine, in order, so that reading the next page from a
// platform overlaps recording the last one in the ledger. After a write fails, the rest are
// skipped and put reports the error.
type writeBehind[T any] struct {
	ch     chan T
	done   chan struct{}
	failed atomic.Bool
	err    error // set before done is closed
}

func startWriteBehind[T any](write func(T) error) *writeBehind[T] {
	w := &writeBehind[T]{ch: make(chan T, 2), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for v := range w.ch {
			if w.err != nil {
				continue
			}
			if err := write(v); err != nil {
				w.err = err
				w.failed.Store(true)
			}
		}
	}()
	return w
}

// put hands v over; it fails when an earlier write failed (close returns that error).
func (w *writeBehind[T]) put(ctx context.Context, v T) error {
	if w.failed.Load() {
		return errWriteFailed
	}
	select {
	case w.ch <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close waits for the writes handed over and returns the first write error.
func (w *writeBehind[T]) close() error {
	close(w.ch)
	<-w.done
	return w.err
}

var errWriteFailed = errors.New("an earlier ledger write failed")
