package scheduler

import (
	"strconv"
	"time"

	"streetsync/internal/redisconn"
)

// keys builds the scheduler's Redis keys. Each job's keys share the hash tag {<job>}, so that the
// lock scripts, which touch a job's lock and its slot marker together, stay in one Redis Cluster
// slot. The run history is not here: it lives in the ledger (History), so that a loss of Redis
// data neither re-runs every job nor forgets what ran.
//
//	<prefix>sched:{<job>}:lock          hash    the running lock: the owner's token, host, pid,
//	                                            start and instance, with a TTL (the lease)
//	<prefix>sched:{<job>}:slot:<slot>   string  which instance took a tick (slot = planned unix
//	                                            time; "catchup:<unix>" for a catch-up's second
//	                                            attempt at a tick whose taker failed), with a TTL
//	<prefix>sched:marker                string  the daemons' marker: written at the first start,
//	                                            checked every minute; gone means Redis lost its data
//	<prefix>cursor:<job>                string  the job's cursor (Cursors)
type keys struct{ conn *redisconn.Conn }

func (k keys) base(job string) string       { return k.conn.Key("sched", "{"+job+"}") + ":" }
func (k keys) lock(job string) string       { return k.base(job) + "lock" }
func (k keys) slot(job, slot string) string { return k.base(job) + "slot:" + slot }
func (k keys) marker() string               { return k.conn.Key("sched", "marker") }
func (k keys) cursor(job string) string     { return k.conn.Key("cursor", job) }

// slotName names a tick by its planned time, the same on every instance whatever its clock. A
// tick's scheduled run and its catch-up share the name; retry names the one further attempt a
// catch-up may make when the tick's taker ended without success.
func slotName(slot time.Time, retry bool) string {
	s := strconv.FormatInt(slot.Unix(), 10)
	if retry {
		return "catchup:" + s
	}
	return s
}
