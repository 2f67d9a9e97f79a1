package retry

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"go.uber.org/zap"

	"streetsync/internal/rdb"
	"streetsync/scheduler/clock"
)

// Handler sends one item's record again: it reads the record's current state from the ledger
// (by it.Key), makes the platform write, calls it.CheckFence before recording the write as done,
// and returns nil on success or an error that Classify understands. It must honour ctx: ctx ends
// when the worker stops (after its grace period) or when the claim is lost (context.Cause is
// then ErrLeaseLost).
type Handler func(ctx context.Context, it *Item) error

// Limiter paces the platform calls; *rate.Limiter of golang.org/x/time/rate satisfies it, so the
// workers can share the platform client's own limiter.
type Limiter interface {
	Wait(ctx context.Context) error
}

// Worker says how to work one job kind.
type Worker struct {
	Kind        string
	Handler     Handler
	Concurrency int           // items handled at once (0: the policy's Workers)
	Limiter     Limiter       // optional; waited on before each item is handled
	StopGrace   time.Duration // after Run's ctx ends, how long items in hand may finish (0: 10s)
	// Prefetch is how many items may be claimed ahead of the handlers (0: 32), so that claims
	// stay batched when handlers are fast. They are leased and renewed like the items being
	// handled, and handed back unhandled when the worker stops.
	Prefetch int
}

const defaultPrefetch = 32

const defaultStopGrace = 10 * time.Second

// Run works items of w.Kind until ctx ends, then stops gracefully: it claims nothing more, lets
// the items in hand finish for up to w.StopGrace, then cancels their handlers and hands what is
// left back to the queue (without counting an attempt). It returns once every goroutine it
// started has ended. A live worker renews its leases; a lost lease cancels that item's handler.
func (q *Queue) Run(ctx context.Context, w Worker) error {
	r, err := q.newRunner(w)
	if err != nil {
		return err
	}
	r.run(ctx)
	return nil
}

type runner struct {
	q     *Queue
	w     Worker
	log   *zap.Logger
	sem   chan struct{} // one token per item in hand: being handled or claimed ahead
	ready chan *flight  // claimed, waiting for a handler goroutine
	acks  chan ackReq

	flights sync.Map // fencing token → *flight: every item in hand, for lease renewal
	added   signal   // an item came in hand (wakes the renewer)

	stopping      context.Context // Run's ctx: once it ends, items claimed ahead go back unhandled
	handlerCtx    context.Context // parent of every handler's ctx; cancelled when the grace ends
	cancelHandler context.CancelFunc
	bg            context.Context // for the last acks and releases after Run's ctx ended
}

type flight struct {
	it     *Item
	ctx    context.Context // the handler's; its cause is ErrLeaseLost when the claim was lost
	cancel context.CancelCauseFunc
}

type ackReq struct {
	f     *flight
	event string // EventAcked or EventQuarantined
}

func (q *Queue) newRunner(w Worker) (*runner, error) {
	if err := validKind(w.Kind); err != nil {
		return nil, err
	}
	if w.Handler == nil {
		return nil, fmt.Errorf("retry: worker for %s has no handler", w.Kind)
	}
	if w.Concurrency <= 0 {
		w.Concurrency = q.policy.Workers
	}
	if w.StopGrace <= 0 {
		w.StopGrace = defaultStopGrace
	}
	if w.Prefetch <= 0 {
		w.Prefetch = defaultPrefetch
	}
	inHand := w.Concurrency + w.Prefetch
	return &runner{
		q:     q,
		w:     w,
		log:   q.log.With(zap.String("kind", w.Kind)),
		sem:   make(chan struct{}, inHand),
		ready: make(chan *flight, inHand),
		acks:  make(chan ackReq, inHand),
	}, nil
}

// run is Run.
func (r *runner) run(ctx context.Context) {
	r.stopping = ctx
	r.bg = context.WithoutCancel(ctx)
	r.handlerCtx, r.cancelHandler = context.WithCancel(r.bg)
	defer r.cancelHandler()

	var helpers, handlers sync.WaitGroup
	renewStop := make(chan struct{})
	helpers.Add(2)
	go func() { defer helpers.Done(); r.acker() }()
	go func() { defer helpers.Done(); r.renewer(renewStop) }()
	handlers.Add(r.w.Concurrency)
	for range r.w.Concurrency {
		go func() { defer handlers.Done(); r.handleLoop() }()
	}

	r.fetch(ctx)
	close(r.ready)

	// Graceful stop: let the items being handled finish, until the grace period ends.
	finished := make(chan struct{})
	go func() { handlers.Wait(); close(finished) }()
	grace := r.q.clock.TimerAt(r.q.clock.Now().Add(r.w.StopGrace))
	select {
	case <-finished:
	case <-grace.C():
		r.log.Warn("stop grace period over: cancelling the items still in hand")
		r.cancelHandler()
		<-finished
	}
	grace.Stop()
	close(r.acks)
	close(renewStop)
	helpers.Wait()
}

// fetch claims items while ctx lasts, as many at a time as there are free places in hand.
func (r *runner) fetch(ctx context.Context) {
	backoff := 50 * time.Millisecond
	for {
		wake := r.q.wake.C()
		select {
		case r.sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		n := 1
	more:
		for n < cap(r.sem) {
			select {
			case r.sem <- struct{}{}:
				n++
			default:
				break more
			}
		}
		// Not ctx: a claim cut off by the stop could take items nobody would then handle.
		cctx, cancel := context.WithTimeout(r.bg, 10*time.Second)
		items, err := r.q.ClaimN(cctx, r.w.Kind, n, 0)
		cancel()
		for range n - len(items) {
			<-r.sem
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			r.log.Warn("claiming items failed; trying again", zap.Error(err), zap.Duration("in", backoff))
			if clock.Sleep(ctx, r.q.clock, backoff) != nil {
				return
			}
			backoff = min(2*backoff, 5*time.Second)
			continue
		}
		backoff = 50 * time.Millisecond
		for _, it := range items {
			ictx, cancel := context.WithCancelCause(r.handlerCtx)
			f := &flight{it: it, ctx: ictx, cancel: cancel}
			r.flights.Store(it.Token, f)
			r.ready <- f // never blocks: ready holds as many as sem
		}
		if len(items) > 0 {
			r.added.fire()
		}
		if len(items) == n {
			continue // maybe more are due
		}
		r.q.maybePurge(ctx)
		if !r.sleep(ctx, wake) {
			return
		}
	}
}

// sleep waits until the next item may be due — the earliest waiting item or lease expiry of this
// kind, at most one poll interval away — or something is enqueued here; false when ctx ended.
func (r *runner) sleep(ctx context.Context, wake <-chan struct{}) bool {
	now := r.q.clock.Now()
	until := now.Add(r.q.poll)
	if next, ok := r.q.nextDue(ctx, r.w.Kind); ok && next.Before(until) {
		until = next
	}
	t := r.q.clock.TimerAt(until)
	defer t.Stop()
	select {
	case <-t.C():
	case <-wake:
	case <-ctx.Done():
		return false
	}
	return true
}

// nextDue is when the earliest waiting item of kind is due or the earliest lease runs out.
func (q *Queue) nextDue(ctx context.Context, kind string) (time.Time, bool) {
	return q.b.NextDue(ctx, kind)
}

// handleLoop is one of the Concurrency goroutines that handle items. A successful item is
// handed to the acker and the goroutine goes on with the next one while the ack travels.
func (r *runner) handleLoop() {
	for f := range r.ready {
		if r.stopping.Err() != nil {
			// Claimed ahead but not started when the worker stopped: back to the queue.
			r.release(f.it)
			r.done(f)
			continue
		}
		if !r.finish(f, r.handle(f.ctx, f.it)) {
			r.done(f)
		}
	}
}

// done lets go of an item in hand.
func (r *runner) done(f *flight) {
	f.cancel(nil)
	r.flights.Delete(f.it.Token)
	<-r.sem
}

func (r *runner) handle(ctx context.Context, it *Item) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("handler panicked", zap.String("id", it.ID), zap.Any("panic", p), zap.ByteString("stack", debug.Stack()))
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	if r.w.Limiter != nil {
		if err := r.w.Limiter.Wait(ctx); err != nil {
			return err
		}
	}
	return r.w.Handler(ctx, it)
}

// finish acks, fails or hands back an item after its handler returned. It reports whether the
// item went to the acker, which then lets go of it.
func (r *runner) finish(f *flight, err error) (acking bool) {
	it := f.it
	switch {
	case errors.Is(context.Cause(f.ctx), ErrLeaseLost):
		// Another worker has the item now; it is theirs to finish.
		r.log.Warn("lease lost while handling an item", zap.String("id", it.ID))
		return false
	case err == nil:
		r.acks <- ackReq{f: f, event: EventAcked}
		return true
	case r.handlerCtx.Err() != nil && f.ctx.Err() != nil:
		// Stopped by the end of the grace period: back to the queue, no attempt counted.
		r.release(it)
		return false
	}
	if c, _ := Classify(err); c == ClassQuarantined {
		r.acks <- ackReq{f: f, event: EventQuarantined}
		return true
	}
	ctx, cancel := context.WithTimeout(r.bg, 5*time.Second)
	defer cancel()
	if _, ferr := r.q.Fail(ctx, it, err); ferr != nil && !errors.Is(ferr, ErrLeaseLost) {
		r.log.Warn("recording a failed attempt failed; the item returns when its lease runs out", zap.String("id", it.ID), zap.Error(ferr))
	}
	return false
}

// release hands an item back to the queue, unhandled.
func (r *runner) release(it *Item) {
	ctx, cancel := context.WithTimeout(r.bg, 5*time.Second)
	defer cancel()
	if err := r.q.Release(ctx, it); err != nil {
		r.log.Warn("handing an item back failed; it returns when its lease runs out", zap.String("id", it.ID), zap.Error(err))
	}
}

// acker group-commits acks — everything that finished meanwhile, in one round trip — until the
// acks channel is closed.
func (r *runner) acker() {
	const maxBatch = 256
	batch := make([]ackReq, 0, maxBatch)
	for req := range r.acks {
		batch = append(batch[:0], req)
	gather:
		for len(batch) < maxBatch {
			select {
			case more, ok := <-r.acks:
				if !ok {
					break gather
				}
				batch = append(batch, more)
			default:
				break gather
			}
		}
		items := make([]*Item, len(batch))
		for i, b := range batch {
			items[i] = b.f.it
		}
		var st []int
		var err error
		for try := range 3 {
			ctx, cancel := context.WithTimeout(r.bg, 5*time.Second)
			st, err = r.q.ackBatch(ctx, items)
			cancel()
			if err == nil || try == 2 {
				break
			}
			_ = clock.Sleep(r.bg, r.q.clock, time.Duration(100<<try)*time.Millisecond)
		}
		for i, b := range batch {
			if err == nil {
				err := r.q.afterAck(b.f.it, st[i], b.event)
				if err != nil {
					r.log.Warn("ack refused: the claim was taken over", zap.String("id", b.f.it.ID))
				}
			}
			r.done(b.f)
		}
		if err != nil {
			r.log.Warn("acking items failed; they will be handled again when their leases run out", zap.Int("items", len(batch)), zap.Error(err))
		}
	}
}

// renewer extends the leases of the items in hand every third of a lease; an item whose claim
// was taken over gets its handler cancelled with ErrLeaseLost.
func (r *runner) renewer(stop <-chan struct{}) {
	every := r.q.policy.Lease / 3
	var next time.Time // the next renewal; zero while nothing is in hand
	for {
		added := r.added.C()
		empty := true
		r.flights.Range(func(any, any) bool { empty = false; return false })
		if empty {
			next = time.Time{}
			select {
			case <-added:
				continue
			case <-stop:
				return
			}
		}
		if next.IsZero() {
			next = r.firstRenewal(every)
		}
		t := r.q.clock.TimerAt(next)
		select {
		case <-t.C():
		case <-stop:
			t.Stop()
			return
		}
		r.renewAll()
		// A fixed cadence: a renewal that ran late does not push the next one back.
		next = next.Add(every)
	}
}

// firstRenewal is a third of a lease after the earliest claim in hand: the cadence follows the
// claims, not the moment this goroutine happened to notice them.
func (r *runner) firstRenewal(every time.Duration) time.Time {
	var first time.Time
	r.flights.Range(func(_, v any) bool {
		if claimed := v.(*flight).it.LeaseUntil.Add(-r.q.policy.Lease); first.IsZero() || claimed.Before(first) {
			first = claimed
		}
		return true
	})
	return first.Add(every)
}

func (r *runner) renewAll() {
	var fs []*flight
	r.flights.Range(func(_, v any) bool { fs = append(fs, v.(*flight)); return true })
	if len(fs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(r.bg, 5*time.Second)
	defer cancel()
	refs := make([]rdb.ItemRef, len(fs))
	for i, f := range fs {
		refs[i] = f.it.ref()
	}
	held, err := r.q.b.Extend(ctx, r.q.clock.Now().Add(r.q.policy.Lease), refs...)
	if err != nil {
		r.log.Warn("renewing leases failed; trying again", zap.Error(err))
		return
	}
	for i, ok := range held {
		if !ok {
			r.q.obs.QueueEvent(fs[i].it.Kind, EventLeaseLost)
			fs[i].cancel(ErrLeaseLost)
		}
	}
}
