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
//	                                            time, or "catchup:<unix>"), with a TTL
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

// slotName names a tick by its planned time, the same on every instance whatever its clock.
func slotName(slot time.Time, trigger Trigger) string {
	s := strconv.FormatInt(slot.Unix(), 10)
	if trigger == TriggerCatchUp {
		return "catchup:" + s
	}
	return s
}
