package scheduler

import (
	"strconv"
	"time"

	"streetsync/internal/redisconn"
)

// keys builds the scheduler's Redis keys. Each job's keys share the hash tag {sched:<job>}, so the
// lock script and the history transaction stay in one Redis Cluster slot.
//
//	<prefix>sched:{<job>}:lock          string  the running lock: the owner's token, with a TTL
//	<prefix>sched:{<job>}:slot:<slot>   string  which instance took a tick (slot = planned unix
//	                                            time; "catchup:<unix>" for a catch-up's second
//	                                            attempt at a tick whose taker failed), with a TTL
//	<prefix>sched:{<job>}:history       list    the last runs, newest first (JSON Run)
//	<prefix>sched:{<job>}:lastok        string  the last successful run (JSON Run)
//	<prefix>cursor:<job>                string  the job's cursor (Cursors)
type keys struct{ conn *redisconn.Conn }

func (k keys) base(job string) string       { return k.conn.Key("sched", "{"+job+"}") + ":" }
func (k keys) lock(job string) string       { return k.base(job) + "lock" }
func (k keys) history(job string) string    { return k.base(job) + "history" }
func (k keys) lastOK(job string) string     { return k.base(job) + "lastok" }
func (k keys) cursor(job string) string     { return k.conn.Key("cursor", job) }
func (k keys) slot(job, slot string) string { return k.base(job) + "slot:" + slot }

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
