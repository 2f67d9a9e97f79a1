package rdb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// A job's running lock says who holds it — token, host, process id, since when, instance, and
// the host's boot id — and lives for a lease that its holder renews every third of it. The lease
// is a TTL kept by Redis in its own time, not by any instance's clock, so instances whose clocks
// differ still agree on when it ends.
//
// A run that finds the lock held looks at the holder. On the same host, a holder whose process
// is gone (killed, crashed, the host rebooted) is taken over at once; a holder elsewhere is
// waited for until its lease ends (holder.go).

// Locks are the running locks and tick markers of the scheduler's jobs, held by this process.
type Locks struct {
	conn     *Conn
	ttl      time.Duration
	instance string
	now      func() time.Time
	log      *zap.Logger
	self     identity
}

// LockOptions configure Locks.
type LockOptions struct {
	// TTL is the lease: how long a lock outlives its holder's last renewal.
	TTL time.Duration
	// Instance names this process in the locks and slot markers it writes.
	Instance string
	// Now is the clock a holder's lease end is told by (default: the wall clock).
	Now func() time.Time
	Log *zap.Logger
}

// NewLocks returns the locks kept in conn's Redis for this process.
func NewLocks(conn *Conn, o LockOptions) (*Locks, error) {
	if conn == nil || conn.client == nil {
		return nil, errors.New("locks: no redis connection")
	}
	if o.TTL < 30*time.Millisecond {
		return nil, fmt.Errorf("locks: lock TTL %s: want at least 30ms", o.TTL)
	}
	l := &Locks{conn: conn, ttl: o.TTL, instance: o.Instance, now: o.Now, log: o.Log, self: thisProcess()}
	if l.now == nil {
		l.now = time.Now
	}
	if l.log == nil {
		l.log = zap.NewNop()
	}
	if l.instance == "" {
		l.instance = l.self.Name()
	}
	return l, nil
}

// Name is this process as a lock names it by default: host:pid.
func (id identity) Name() string { return fmt.Sprintf("%s:%d", id.host, id.pid) }

// ThisProcess is this process's default instance name, host:pid.
func ThisProcess() string { return thisProcess().Name() }

// Holder is who holds a job's running lock.
type Holder struct {
	Host     string    `json:"host"`
	PID      int       `json:"pid"`
	Since    time.Time `json:"since"`
	Instance string    `json:"instance"`
	// LeaseEnds is when the lock expires unless its holder renews it.
	LeaseEnds time.Time `json:"leaseEnds"`
	boot      string
	token     string
}

// TickClaim is what became of an attempt to take a tick.
type TickClaim int

// Outcomes of ClaimTick.
const (
	TickTaken   TickClaim = iota // another instance took the tick
	TickRunning                  // the tick is ours, but the job is running (its lock is held)
	TickOurs                     // the tick and the job's lock are ours: run it
)

// holderFields are the lock hash's fields for token held by this process from now on. The start
// is the operating system's wall time, not the injected clock: it is compared with process
// start times (holder.go), and shown to people as the time the run began.
func (l *Locks) holderFields(token string) []any {
	return []any{"token", token, "host", l.self.host, "pid", l.self.pid, "since", time.Now().UnixMilli(),
		"instance", l.instance, "boot", l.self.boot}
}

// ClaimTick takes job's tick named slot and the job's lock in one step. The slot marker lives for
// slotTTL, so that any instance, however late its clock, sees that the tick was taken.
func (l *Locks) ClaimTick(ctx context.Context, job, slot string, slotTTL time.Duration, token string) (TickClaim, error) {
	k := l.conn.Keys()
	args := append([]any{l.ttl.Milliseconds(), slotTTL.Milliseconds(), l.instance}, l.holderFields(token)...)
	n, err := tickScript.Run(ctx, l.conn.client, []string{k.Lock(job), k.Slot(job, slot)}, args...).Int()
	if err != nil {
		return TickTaken, err
	}
	return TickClaim(n), nil
}

// MarkSlot marks job's tick slot as this instance's for ttl without taking the lock (a tick that
// a newer one replaced); false when another instance marked it first.
func (l *Locks) MarkSlot(ctx context.Context, job, slot string, ttl time.Duration) (bool, error) {
	return l.conn.client.SetNX(ctx, l.conn.Keys().Slot(job, slot), l.instance, ttl).Result()
}

// Holder reads who holds job's lock; false when it is free.
func (l *Locks) Holder(ctx context.Context, job string) (Holder, bool, error) {
	vals, err := holderScript.Run(ctx, l.conn.client, []string{l.conn.Keys().Lock(job)}).Slice()
	if err != nil {
		return Holder{}, false, fmt.Errorf("scheduler: lock of %s: %w", job, err)
	}
	if len(vals) == 0 {
		return Holder{}, false, errors.New("scheduler: lock holder: empty answer")
	}
	pttl, _ := vals[0].(int64)
	if pttl == -2 {
		return Holder{}, false, nil
	}
	h := Holder{}
	if pttl > 0 {
		h.LeaseEnds = l.now().Add(time.Duration(pttl) * time.Millisecond)
	}
	for i := 1; i+1 < len(vals); i += 2 {
		k, _ := vals[i].(string)
		v, _ := vals[i+1].(string)
		switch k {
		case "token":
			h.token = v
		case "host":
			h.Host = v
		case "pid":
			h.PID, _ = strconv.Atoi(v)
		case "since":
			if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
				h.Since = time.UnixMilli(ms)
			}
		case "instance":
			h.Instance = v
		case "boot":
			h.boot = v
		}
	}
	return h, true, nil
}

// Gone reports whether h's process is known to be gone from this host (see identity.outlived).
func (l *Locks) Gone(h Holder) bool { return l.self.outlived(h) }

// takeOver takes job's lock for token from a holder whose process is gone from this host. It
// reports whether it did; a holder that is alive, elsewhere or unknown is left alone.
func (l *Locks) takeOver(ctx context.Context, job, token string, h Holder) (bool, error) {
	if !l.self.outlived(h) {
		return false, nil
	}
	args := append([]any{h.token, l.ttl.Milliseconds()}, l.holderFields(token)...)
	n, err := takeoverScript.Run(ctx, l.conn.client, []string{l.conn.Keys().Lock(job)}, args...).Int()
	if err != nil {
		return false, fmt.Errorf("scheduler: take over the lock of %s: %w", job, err)
	}
	if n == 1 {
		l.log.Warn("took over the job lock of a process that is gone", zap.String("job", job),
			zap.String("host", h.Host), zap.Int("pid", h.PID), zap.Time("since", h.Since))
	}
	return n == 1, nil
}

// Acquire takes job's lock for token outside a tick (a manual run, or a tick whose job was
// running): free, or held by a process gone from this host. When a live holder has it, it
// returns that holder.
func (l *Locks) Acquire(ctx context.Context, job, token string) (bool, Holder, error) {
	for range 3 {
		args := append([]any{l.ttl.Milliseconds()}, l.holderFields(token)...)
		got, err := lockScript.Run(ctx, l.conn.client, []string{l.conn.Keys().Lock(job)}, args...).Int()
		if err != nil {
			return false, Holder{}, fmt.Errorf("scheduler: lock %s: %w", job, err)
		}
		if got == 1 {
			return true, Holder{}, nil
		}
		h, held, err := l.Holder(ctx, job)
		if err != nil {
			return false, Holder{}, err
		}
		if !held {
			continue // released meanwhile: try again
		}
		ok, err := l.takeOver(ctx, job, token, h)
		if err != nil || ok {
			return ok, Holder{}, err
		}
		return false, h, nil
	}
	return false, Holder{}, fmt.Errorf("scheduler: lock %s keeps changing hands", job)
}

// Keep renews job's lease while its holder works, every third of the lease in real time (Redis
// counts the TTL in its own time). If another holder owns the lock now, lost is called once and
// renewal stops. The returned stop ends the renewal and waits for it.
func (l *Locks) Keep(job, token string, lost func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(l.ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			ctx, c := context.WithTimeout(context.Background(), l.ttl/3)
			n, err := renewLockScript.Run(ctx, l.conn.client, []string{l.conn.Keys().Lock(job)}, token, l.ttl.Milliseconds()).Int()
			c()
			switch {
			case err != nil:
				l.log.Warn("renewing the job lock failed; trying again", zap.String("job", job), zap.Error(err))
			case n == 0:
				l.log.Error("job lock lost to another instance: cancelling the run", zap.String("job", job))
				lost()
				return
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// Release deletes job's lock if token holds it: only the holder ever releases it.
func (l *Locks) Release(ctx context.Context, job, token string) error {
	return releaseLockScript.Run(ctx, l.conn.client, []string{l.conn.Keys().Lock(job)}, token).Err()
}

// Marker is the daemons' Redis-loss marker ("" when there is none).
func (l *Locks) Marker(ctx context.Context) (string, error) {
	v, err := l.conn.client.Get(ctx, l.conn.Keys().Marker()).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, err
}

// SetMarker writes the Redis-loss marker unless one exists; it reports whether it did.
func (l *Locks) SetMarker(ctx context.Context, marker string) (bool, error) {
	return l.conn.client.SetNX(ctx, l.conn.Keys().Marker(), marker, 0).Result()
}
