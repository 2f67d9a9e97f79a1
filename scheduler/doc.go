// Package scheduler runs streetsync's jobs on their cron schedules (robfig/cron v3 specs with a
// seconds field, in schedule.timezone) so that, with several instances sharing one Redis, each
// tick runs once. It owns the keys "<prefix>sched:{<job>}:…" (locks, slot markers, run history)
// and "<prefix>cursor:<job>" (Cursors).
//
// # One run per tick
//
// A tick is named by its planned time, computed from the schedule — not by the clock of the
// instance that wakes up — so instances whose clocks differ by seconds name it alike. The first
// instance to reach a tick marks its slot (a key with a TTL); the others see the mark and do
// nothing. The job's running lock (token-owned, renewed while the job runs, released only by
// its owner) then decides: a tick that finds the job still running is skipped and recorded as
// skipped, never queued behind it.
//
// # Catch-up, history, stop
//
// At Start, a job whose last successful run is older than its latest tick (the daemon was down
// at 01:30, or the job never ran) runs that tick once, now. Every run is recorded — the last 100
// per job: trigger, planned slot, start, end, outcome (ok|failed|skipped), counts, error,
// instance — for the console and /metrics. Stop lets running jobs finish until its ctx ends,
// then cancels them; their locks are released as they return.
//
// Time that decides behaviour (when a tick is due, which slot it is, whether one was missed)
// comes from an injected clock.Clock; lock TTLs are counted by Redis.
//
// # Use
//
//	s, err := scheduler.New(conn, scheduler.WithLocation(cfg.Schedule.Location()), scheduler.WithLogger(log),
//		scheduler.WithObserver(m))
//	err = s.AddConfigured(cfg.Schedule, map[string]scheduler.Job{"enterprises": enterprisesJob, …})
//	err = s.Start(ctx)
//	…
//	err = s.Stop(shutdownCtx)                       // on SIGTERM
//	run, err := s.RunNow(ctx, "enterprises")         // streetsync sync enterprises
//	runs, err := s.History(ctx, "enterprises", 20)   // console
package scheduler
