package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// A job's running lock is a hash that says who holds it — token, host, process id, since when,
// instance, and the host's boot id — with a TTL: the lease, renewed by its holder every third of
// it. The TTL is kept by Redis in its own time, not by any instance's clock, so instances whose
// clocks differ still agree on when a lease ends.
//
// A run that finds the lock held looks at the holder. On the same host, a holder whose process
// is gone (killed, crashed, the host rebooted) is taken over at once; a holder elsewhere is
// waited for until its lease ends, and a manual run is refused with who holds it and when the
// lease ends (LockedError).

// acquireScript takes a tick: the first instance to reach it marks the slot as its own; then the
// job's running lock decides whether the run starts or the tick is skipped (never queued).
//
// KEYS[1] running lock, KEYS[2] slot marker
// ARGV[1] lock TTL (ms), ARGV[2] slot marker TTL (ms), ARGV[3] instance, ARGV[4…] the holder's
// fields and values (token, host, pid, since, instance, boot)
// Returns 0 the slot was taken by another instance, 1 the job is running, 2 acquired.
var acquireScript = redis.NewScript(`
if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[2]) == false then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 2
`)

// lockScript takes the running lock for a manual run (no tick to mark).
//
// KEYS[1] running lock
// ARGV[1] lock TTL (ms), ARGV[2…] the holder's fields and values
// Returns 1 acquired, 0 the job is running.
var lockScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`)

// holderScript reads who holds the lock and how long its lease has left.
//
// KEYS[1] running lock
// Returns {PTTL, field, value, …}: PTTL -2 when the lock is free; no fields when the lock is not
// a hash (written by another version of streetsync).
var holderScript = redis.NewScript(`
local out = {redis.call('PTTL', KEYS[1])}
if redis.call('TYPE', KEYS[1]).ok == 'hash' then
  for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out + 1] = v end
end
return out
`)

// takeoverScript replaces a holder whose process is gone, if it still holds the lock.
//
// KEYS[1] running lock
// ARGV[1] the gone holder's token, ARGV[2] lock TTL (ms), ARGV[3…] the new holder's fields and
// values
// Returns 1 taken over, 0 the lock changed hands meanwhile.
var takeoverScript = redis.NewScript(`
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' or redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`)

// renewScript extends the lease if the caller still holds the lock.
//
// KEYS[1] running lock; ARGV[1] token, ARGV[2] TTL (ms)
// Returns 1 renewed, 0 not the holder.
var renewScript = redis.NewScript(`
if redis.call('TYPE', KEYS[1]).ok == 'hash' and redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// releaseScript deletes the lock if the caller holds it: only the holder ever releases it.
//
// KEYS[1] running lock; ARGV[1] token
// Returns 1 released, 0 not the holder.
var releaseScript = redis.NewScript(`
if redis.call('TYPE', KEYS[1]).ok == 'hash' and redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)

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

// holderFields are the lock hash's fields for token held by this process from now on. The start
// is the operating system's wall time, not the scheduler's clock: it is compared with process
// start times (holder.go), and shown to people as the time the run began.
func (s *Scheduler) holderFields(token string) []any {
	return []any{"token", token, "host", s.self.host, "pid", s.self.pid, "since", time.Now().UnixMilli(),
		"instance", s.instance, "boot", s.self.boot}
}

// holder reads who holds job's lock; false when it is free.
func (s *Scheduler) holder(ctx context.Context, job string) (Holder, bool, error) {
	vals, err := holderScript.Run(ctx, s.rdb, []string{s.keys.lock(job)}).Slice()
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
		h.LeaseEnds = s.clock.Now().Add(time.Duration(pttl) * time.Millisecond)
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

// takeOver takes job's lock for token from a holder whose process is gone from this host. It
// reports whether it did; a holder that is alive, elsewhere or unknown is left alone.
func (s *Scheduler) takeOver(ctx context.Context, job, token string, h Holder) (bool, error) {
	if !s.self.outlived(h) {
		return false, nil
	}
	args := append([]any{h.token, s.lockTTL.Milliseconds()}, s.holderFields(token)...)
	n, err := takeoverScript.Run(ctx, s.rdb, []string{s.keys.lock(job)}, args...).Int()
	if err != nil {
		return false, fmt.Errorf("scheduler: take over the lock of %s: %w", job, err)
	}
	if n == 1 {
		s.log.Warn("took over the job lock of a process that is gone", zap.String("job", job),
			zap.String("host", h.Host), zap.Int("pid", h.PID), zap.Time("since", h.Since))
	}
	return n == 1, nil
}

// lockManual takes job's lock for a manual run: free, or held by a process gone from this host.
// When a live holder has it, it returns that holder.
func (s *Scheduler) lockManual(ctx context.Context, job, token string) (bool, Holder, error) {
	for range 3 {
		args := append([]any{s.lockTTL.Milliseconds()}, s.holderFields(token)...)
		got, err := lockScript.Run(ctx, s.rdb, []string{s.keys.lock(job)}, args...).Int()
		if err != nil {
			return false, Holder{}, fmt.Errorf("scheduler: lock %s: %w", job, err)
		}
		if got == 1 {
			return true, Holder{}, nil
		}
		h, held, err := s.holder(ctx, job)
		if err != nil {
			return false, Holder{}, err
		}
		if !held {
			continue // released meanwhile: try again
		}
		ok, err := s.takeOver(ctx, job, token, h)
		if err != nil || ok {
			return ok, Holder{}, err
		}
		return false, h, nil
	}
	return false, Holder{}, fmt.Errorf("scheduler: lock %s keeps changing hands", job)
}

// LockedError is a run refused because the job is running (on this host or another). It
// matches ErrJobRunning.
type LockedError struct {
	Job    string
	Holder Holder
	// LeaseLeft is how long the lock lasts unless its holder renews it (zero: unknown).
	LeaseLeft time.Duration
}

func (e *LockedError) Error() string {
	h := e.Holder
	if h.Host == "" {
		return fmt.Sprintf("scheduler: job %s is already running (lease ends in %s)", e.Job, e.LeaseLeft.Round(time.Second))
	}
	return fmt.Sprintf("scheduler: job %s is already running on %s (pid %d, since %s; lease ends in %s)", e.Job, h.Host,
		h.PID, h.Since.Format(time.RFC3339), e.LeaseLeft.Round(time.Second))
}

// Is makes errors.Is(err, ErrJobRunning) hold.
func (e *LockedError) Is(target error) bool { return target == ErrJobRunning }

// Message is the refusal in Chinese, with title as the job's name for people (企业信息同步) and
// times in loc: 企业信息同步正由 host-a（进程 4711，08:30:02 起）运行，租约 23 秒后到期.
func (e *LockedError) Message(title string, loc *time.Location) string {
	if loc == nil {
		loc = time.Local
	}
	secs := int((e.LeaseLeft + time.Second - 1) / time.Second)
	if e.Holder.Host == "" {
		return fmt.Sprintf(msgLockedUnknown, title, secs)
	}
	return fmt.Sprintf(msgLocked, title, e.Holder.Host, e.Holder.PID, e.Holder.Since.In(loc).Format("15:04:05"), secs)
}
