// Package retry is streetsync's retry queue in Redis: records whose push or pull failed wait
// here, with backoff, until they go through, or end in the dead letters for a person to replay or
// drop (`streetsync queue …`). The retry policy is decided here and nowhere else; the items are
// kept by a Broker — internal/rdb, which owns every key under "<prefix>{retry}:" and every Lua
// script that changes them.
//
// # Items
//
// An item is (job kind, record key) — at most one per pair, with a stable short ID (ID). It holds
// the key, not a snapshot: a retry always sends the record's current state from the ledger, so a
// record that changed again while waiting is sent once, up to date. Enqueueing a record that has
// an item records the new error in its history and adds nothing; if a worker holds the item at
// that moment, the item is sent once more after the worker's ack.
//
// # Failures
//
// Handlers return nil or an error; Classify sorts errors into transient (backoff from BaseDelay
// doubling to MaxDelay, with jitter; a platform's longer Retry-After wins), quarantined (the
// handler quarantined the record; the item is finished), permanent (dead at once) and unknown
// (UnknownAttempts tries, then dead). It looks for the methods Quarantined(), Permanent(),
// Temporary(), Timeout() and RetryAfter() on the wrapped chain, so connector errors plug in
// without importing this package. Every item also has a deadline; after MaxAttempts failed
// attempts, or past the deadline, it is dead. Dead items keep their whole error history and are
// purged after DeadRetention.
//
// # Crash safety
//
// Claiming an item leases it; a live worker renews the lease, and an item whose worker died goes
// back to the queue when its lease runs out (counted as a failed attempt). Every claim carries a
// fencing token from a queue-wide counter: Ack, Fail and CheckFence succeed only for the current
// token, so a worker that stalled past its lease learns ErrLeaseLost and must record nothing.
// Claim, ack, reschedule and dead-lettering are each one Lua script. Time always comes from the
// queue's Clock, passed to the scripts; Redis never decides it. With AOF persistence, a Redis
// restart loses nothing; the worker reloads scripts and carries on.
//
// # Use
//
//	q, err := retry.New(conn, policy, retry.WithLogger(log), retry.WithObserver(m)) // conn: *rdb.Conn
//	id, err := q.Enqueue(ctx, "quanzhou.enterprise.push", uscc, err)    // from a sync job
//	go q.Run(ctx, retry.Worker{Kind: "quanzhou.enterprise.push", Handler: h, Limiter: lim})
//	stats, err := q.Drain(ctx, 60*time.Second, workers...)              // queue drain
//	q.Stats / q.List / q.Get / q.RetryDead / q.RetryAllDead / q.Drop   // queue stats|list|retry|drop
//
// A handler reads the record by it.Key, makes the platform write, calls it.CheckFence(ctx) and
// only then records the write in the ledger.
package retry
