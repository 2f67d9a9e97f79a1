package retry

import "streetsync/internal/redisconn"

// keys builds every Redis key of the queue. All of them carry the hash tag "{retry}", so every
// key a script touches — declared in KEYS or built in the script from ARGV[1], the base — lives
// in one Redis Cluster slot: the queue runs unchanged on a single server, a cluster or a
// cluster-aware proxy.
//
//	<prefix>{retry}:item:<id>     hash   kind, key, state, attempts, unknown, first, deadline, token, cgen,
//	                                     lastError, lastClass, gen, deadAt, deadReason
//	<prefix>{retry}:errs:<id>     list   the item's error history, one JSON record each, oldest first
//	<prefix>{retry}:queue:<kind>  zset   waiting items → next attempt (unix ms); due when ≤ now
//	<prefix>{retry}:active:<kind> zset   claimed items → lease expiry (unix ms)
//	<prefix>{retry}:dead:<kind>   zset   dead letters → dead since (unix ms)
//	<prefix>{retry}:kinds         set    every kind ever enqueued
//	<prefix>{retry}:fence         string the fencing-token counter (INCR per claim)
type keys struct{ base string }

func newKeys(conn *redisconn.Conn) keys { return keys{base: conn.Key("{retry}") + ":"} }

func (k keys) item(id string) string     { return k.base + "item:" + id }
func (k keys) errs(id string) string     { return k.base + "errs:" + id }
func (k keys) queue(kind string) string  { return k.base + "queue:" + kind }
func (k keys) active(kind string) string { return k.base + "active:" + kind }
func (k keys) dead(kind string) string   { return k.base + "dead:" + kind }
func (k keys) kinds() string             { return k.base + "kinds" }
func (k keys) fence() string             { return k.base + "fence" }
