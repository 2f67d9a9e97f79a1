package scheduler

import "github.com/redis/go-redis/v9"

// The lock's TTL is kept by Redis in its own time, not by any instance's clock: instances whose
// clocks differ by seconds still agree on who holds it.

// acquireScript takes a tick: the first instance to reach it marks the slot as its own; then the
// job's running lock decides whether the run starts or the tick is skipped (never queued).
//
// KEYS[1] running lock, KEYS[2] slot marker
// ARGV[1] token, ARGV[2] lock TTL (ms), ARGV[3] slot marker TTL (ms), ARGV[4] instance
// Returns 0 the slot was taken by another instance, 1 the job is running (skip), 2 acquired.
var acquireScript = redis.NewScript(`
if redis.call('SET', KEYS[2], ARGV[4], 'NX', 'PX', ARGV[3]) == false then return 0 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) == false then return 1 end
return 2
`)

// renewScript extends the lock if the caller still owns it.
//
// KEYS[1] running lock; ARGV[1] token, ARGV[2] TTL (ms)
// Returns 1 renewed, 0 not the owner.
var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`)

// releaseScript deletes the lock if the caller owns it: only the owner ever releases it.
//
// KEYS[1] running lock; ARGV[1] token
// Returns 1 released, 0 not the owner.
var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)
