package rdb

// Every key streetsync keeps in Redis, by family. Each family shares one hash tag, so that the
// keys a script touches together — declared in KEYS or built in the script from a base passed in
// ARGV — live in one Redis Cluster slot: the same scripts run on a single server, a cluster or a
// cluster-aware proxy.
//
// The retry queue (queue.go), tag {retry}:
//
//	<prefix>{retry}:item:<id>     hash   kind, key, state, attempts, unknown, first, deadline, token, cgen,
//	                                     lastError, lastClass, gen, deadAt, deadReason
//	<prefix>{retry}:errs:<id>     list   the item's error history, one JSON record each, oldest first
//	<prefix>{retry}:queue:<kind>  zset   waiting items → next attempt (unix ms); due when ≤ now
//	<prefix>{retry}:active:<kind> zset   claimed items → lease expiry (unix ms)
//	<prefix>{retry}:dead:<kind>   zset   dead letters → dead since (unix ms)
//	<prefix>{retry}:kinds         set    every kind ever enqueued
//	<prefix>{retry}:fence         string the fencing-token counter (INCR per claim)
//
// The scheduler (lock.go), tag {<job>} per job, since its scripts touch one job's lock and slot
// marker together:
//
//	<prefix>sched:{<job>}:lock          hash    the running lock: the owner's token, host, pid,
//	                                            since, instance and boot id, with a TTL (the lease)
//	<prefix>sched:{<job>}:slot:<slot>   string  which instance took a tick (slot = planned unix
//	                                            time; "catchup:<unix>" for a catch-up's second
//	                                            attempt at a tick whose taker failed), with a TTL
//	<prefix>sched:marker                string  the daemons' marker: written at the first start,
//	                                            checked every minute; gone means Redis lost its data
//
// The jobs' watermarks (cursor.go), one key each:
//
//	<prefix>cursor:<job>                string  the job's cursor
//
// The run history and the alert state are not in Redis: they live in the ledger, so that a loss
// of Redis data neither re-runs every job nor forgets what ran or what was alerted.
type Keys struct{ prefix string }

// Keys are the key builders under c's prefix (tests name keys with them too, to seed or inspect
// what another instance would have written).
func (c *Conn) Keys() Keys { return Keys{prefix: c.Prefix} }

func (k Keys) retryBase() string            { return k.prefix + "{retry}:" }
func (k Keys) Item(id string) string        { return k.retryBase() + "item:" + id }
func (k Keys) Errs(id string) string        { return k.retryBase() + "errs:" + id }
func (k Keys) Queue(kind string) string     { return k.retryBase() + "queue:" + kind }
func (k Keys) Active(kind string) string    { return k.retryBase() + "active:" + kind }
func (k Keys) Dead(kind string) string      { return k.retryBase() + "dead:" + kind }
func (k Keys) Kinds() string                { return k.retryBase() + "kinds" }
func (k Keys) Fence() string                { return k.retryBase() + "fence" }
func (k Keys) schedBase(job string) string  { return k.prefix + "sched:{" + job + "}:" }
func (k Keys) Lock(job string) string       { return k.schedBase(job) + "lock" }
func (k Keys) Slot(job, slot string) string { return k.schedBase(job) + "slot:" + slot }
func (k Keys) Marker() string               { return k.prefix + "sched:marker" }
func (k Keys) Cursor(job string) string     { return k.prefix + "cursor:" + job }
