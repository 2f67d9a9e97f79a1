package alerts

import "github.com/redis/go-redis/v9"

// Every multi-key change of the {alerts} family is one of these scripts (keys.go lists the keys).

// observeScript records that an alert fires in this evaluation.
//
//	KEYS[1] state hash, KEYS[2] history, KEYS[3] open set, KEYS[4] all zset
//	ARGV[1] public key, ARGV[2] fingerprint, ARGV[3] alert JSON, ARGV[4] community, ARGV[5] rule,
//	ARGV[6] severity, ARGV[7] ID hash, ARGV[8] now (ms), ARGV[9] "fired" event,
//	ARGV[10] "changed" event, ARGV[11] history cap, ARGV[12] hash of the alert JSON
//
// Returns {outcome, episode, version, since}: outcome is "fired" (new, or firing again after it
// resolved: a new episode, acknowledgement and escalation gone), "changed" (another fingerprint:
// a new version, which is not acknowledged) or "same".
var observeScript = redis.NewScript(`
local st = redis.call('HMGET', KEYS[1], 'status', 'ep', 'ver', 'fp', 'since')
local ep = tonumber(st[2]) or 0
local ver = tonumber(st[3]) or 0
local since = st[5]
local outcome = 'same'
if st[1] ~= 'firing' then
  ep = ep + 1
  ver = 1
  since = ARGV[8]
  outcome = 'fired'
  redis.call('HDEL', KEYS[1], 'resolvedAt', 'escAt')
  redis.call('PERSIST', KEYS[1])
  redis.call('PERSIST', KEYS[2])
  redis.call('LPUSH', KEYS[2], ARGV[9])
elseif st[4] ~= ARGV[2] then
  ver = ver + 1
  outcome = 'changed'
  redis.call('LPUSH', KEYS[2], ARGV[10])
end
if outcome ~= 'same' then
  redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[11]) - 1)
end
if not since then since = ARGV[8] end
redis.call('HSET', KEYS[1], 'status', 'firing', 'ep', ep, 'ver', ver, 'fp', ARGV[2], 'since', since,
  'pub', ARGV[1], 'alert', ARGV[3], 'comm', ARGV[4], 'rule', ARGV[5], 'sev', ARGV[6], 'idh', ARGV[7],
  'seen', ARGV[8], 'ah', ARGV[12])
redis.call('SADD', KEYS[3], ARGV[1])
if outcome ~= 'same' then
  redis.call('ZADD', KEYS[4], ARGV[8], ARGV[1])
end
return {outcome, ep, ver, since}
`)

// resolveScript marks a firing alert resolved, unless it is no longer the episode the caller saw.
//
//	KEYS[1] state, KEYS[2] history, KEYS[3] all zset
//	ARGV[1] episode as read, ARGV[2] now (ms), ARGV[3] "resolved" event, ARGV[4] history cap,
//	ARGV[5] public key
//
// Returns 1 when resolved, 0 otherwise.
var resolveScript = redis.NewScript(`
local st = redis.call('HMGET', KEYS[1], 'status', 'ep')
if st[1] ~= 'firing' or st[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'status', 'resolved', 'resolvedAt', ARGV[2])
redis.call('LPUSH', KEYS[2], ARGV[3])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[4]) - 1)
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[5])
return 1
`)

// escalateScript marks the escalation of a firing episode, once.
//
//	KEYS[1] state, KEYS[2] history
//	ARGV[1] episode as read, ARGV[2] now (ms), ARGV[3] "escalated" event, ARGV[4] history cap
//
// Returns 1 when it escalated now, 0 when it had already, or is not that firing episode.
var escalateScript = redis.NewScript(`
local st = redis.call('HMGET', KEYS[1], 'status', 'ep', 'escAt')
if st[1] ~= 'firing' or st[2] ~= ARGV[1] or st[3] then return 0 end
redis.call('HSET', KEYS[1], 'escAt', ARGV[2])
redis.call('LPUSH', KEYS[2], ARGV[3])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[4]) - 1)
return 1
`)

// claimScript takes one delivery of one alert to one channel: a compare-and-set of the channel's
// stamp, valid only while the alert is still in the status, episode and version the caller
// decided on. Of two instances deciding the same delivery, one wins.
//
//	KEYS[1] state
//	ARGV[1] stamp field, ARGV[2] stamp as read ("" when absent), ARGV[3] claimed stamp,
//	ARGV[4] status, ARGV[5] episode, ARGV[6] version, as read
//
// Returns the alert JSON (what to send) when claimed, 0 otherwise.
var claimScript = redis.NewScript(`
local st = redis.call('HMGET', KEYS[1], 'status', 'ep', 'ver', ARGV[1], 'alert')
if st[1] ~= ARGV[4] or st[2] ~= ARGV[5] or st[3] ~= ARGV[6] or (st[4] or '') ~= ARGV[2] then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return st[5] or ''
`)

// finishScript records the outcome of a claimed delivery, if the claim still stands.
//
//	KEYS[1] state, KEYS[2] history
//	ARGV[1] stamp field, ARGV[2] claimed stamp, ARGV[3] final stamp, ARGV[4] event,
//	ARGV[5] history cap
//
// Returns 1 when recorded.
var finishScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('LPUSH', KEYS[2], ARGV[4])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[5]) - 1)
return 1
`)

// ackScript acknowledges the current version of a firing alert.
//
//	KEYS[1] state, KEYS[2] history
//	ARGV[1] by, ARGV[2] note, ARGV[3] now (ms), ARGV[4] "acknowledged" event, ARGV[5] history cap
//
// Returns 1 when acknowledged, 0 when the alert is not firing, -1 when there is no such alert.
var ackScript = redis.NewScript(`
local st = redis.call('HMGET', KEYS[1], 'status', 'ep', 'ver')
if not st[1] then return -1 end
if st[1] ~= 'firing' then return 0 end
redis.call('HSET', KEYS[1], 'ackRev', st[2] .. ':' .. st[3], 'ackBy', ARGV[1], 'ackNote', ARGV[2],
  'ackAt', ARGV[3])
redis.call('LPUSH', KEYS[2], ARGV[4])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[5]) - 1)
return 1
`)

// finalizeScript closes a resolved episode whose notices are all out: the alert leaves the open
// set, and its state and history expire after the retention.
//
//	KEYS[1] state, KEYS[2] history, KEYS[3] open set
//	ARGV[1] public key, ARGV[2] episode as read, ARGV[3] retention (ms)
//
// Returns 1 when closed.
var finalizeScript = redis.NewScript(`
local st = redis.call('HMGET', KEYS[1], 'status', 'ep')
if st[1] ~= 'resolved' or st[2] ~= ARGV[2] then return 0 end
redis.call('SREM', KEYS[3], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`)

// historyScript appends one event to an alert's history (silences), if the alert exists.
//
//	KEYS[1] state, KEYS[2] history
//	ARGV[1] event, ARGV[2] history cap
var historyScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('LPUSH', KEYS[2], ARGV[1])
redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
return 1
`)

// extendLockScript renews the check run's lock if the caller still owns it.
//
//	KEYS[1] lock; ARGV[1] token, ARGV[2] TTL (ms)
var extendLockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`)

// releaseLockScript deletes the lock if the caller still owns it.
//
//	KEYS[1] lock; ARGV[1] token
var releaseLockScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`)

// pipelined are the scripts run inside pipelines (EVALSHA only): loaded before each phase.
var pipelined = []*redis.Script{observeScript, resolveScript, escalateScript, claimScript, finishScript, finalizeScript}
