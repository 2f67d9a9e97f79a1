// Package scheduler runs streetsync's jobs on their cron schedules (robfig/cron v3 specs with a
// seconds field, in schedule.timezone) so that, with several instances sharing one Redis, each
// tick runs once, in dependency order when several are due together, and each run leaves an
// honest record. Its Redis state — tick markers, running locks, the Redis-loss marker — is kept by
// internal/rdb, which owns those keys and scripts and the lock type; the scheduler sees it
// through a small interface (lockStore). The run history is not in Redis: the scheduler declares
// what it needs of it (History, MarkerStore) and the wiring gives it the ledger, so that a loss of
// Redis data neither re-runs every job nor forgets what ran.
//
// # One run per tick
//
// A tick is named by its planned time, computed from the schedule — not by the clock of the
// instance that wakes up — so instances whose clocks differ by seconds name it alike. The first
// instance to reach a tick marks its slot (a key with a TTL); the others see the mark and do
// nothing. The job's running lock then decides: a tick that finds the job still running is
// skipped and recorded as skipped, never queued behind it.
//
// # Locks that name their holder
//
// A running lock records host, process id, start and instance, and lives for a lease
// (schedule.lockTTL, default 30s) that its holder renews. A lock left by a process gone from this
// host (SIGKILL, OOM, a reboot) is taken over at once; one held elsewhere is waited for until its
// lease ends, and RunNow refuses with a *LockedError that names the holder (lock.go; the lock
// itself is internal/rdb's).
//
// # Catch-up in order, outcomes, status
//
// At Start, the jobs whose last successful run is older than their latest tick (the daemon was
// down at 01:30, or the job never ran) run that missed tick once, now, one after another in the
// run order (WithOrder: enterprises → certificates → alarms → employments → alerts); a tick due
// meanwhile behind a job still catching up waits in that chain (chain.go). Every run is recorded
// with its outcome — success, partial, platform_unavailable, failed (the job's own verdict,
// Result) or skipped — and a Chinese reason. Status tells per job what became of its latest
// tick (ran, ran late, did not run), the next one, the last run and the last success
// (status.go). With WithRedisMarks, a started scheduler notices that Redis lost its data
// (marker.go). Stop lets running jobs finish until its ctx ends, then cancels them; their locks
// are released as they return.
//
// Time that decides behaviour (when a tick is due, which slot it is, whether one was missed or
// late, the marker checks) comes from an injected clock.Clock; lock leases are counted by Redis.
//
// # Use
//
//	s, err := scheduler.New(conn, history, scheduler.WithLocation(cfg.Schedule.Location()), scheduler.WithLogger(log), // conn: *rdb.Conn
//		scheduler.WithOrder("enterprises", "certificates", "alarms", "employments", "alerts"),
//		scheduler.WithLockTTL(cfg.Schedule.LockTTL.D()), scheduler.WithRedisMarks(marks), scheduler.WithObserver(m))
//	err = s.AddConfigured(specs, map[string]scheduler.Job{"enterprises": enterprisesJob, …})
//	err = s.Start(ctx)
//	…
//	err = s.Stop(shutdownCtx)                                         // on SIGTERM
//	run, err := s.RunNow(ctx, "enterprises", scheduler.RunOptions{})  // streetsync sync enterprises
//	status, err := s.Status(ctx)                                      // console, GET /api/jobs/status
package scheduler
