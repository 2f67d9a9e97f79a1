package scheduler

import (
	"fmt"
	"time"
)

// A job's running lock (internal/rdb's Locks) says who holds it and lives for a lease that its
// holder renews. A run that finds it held looks at the holder: on the same host, a holder whose
// process is gone is taken over at once; a holder elsewhere is waited for until its lease ends,
// and a manual run is refused with who holds it and when the lease ends (LockedError).

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
