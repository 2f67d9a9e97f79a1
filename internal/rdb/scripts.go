package rdb

import "github.com/redis/go-redis/v9"

// Every change of more than one key happens in one of these scripts, so that several processes
// can share the state without a claim, ack, reschedule, dead-lettering or lock change ever being
// half done. Time always comes in ARGV, from the caller's clock: Redis never decides what "now"
// is — except a running lock's lease, which Redis counts in its own time so that instances whose
// clocks differ still agree on when it ends.

// ---- The retry queue ----
//
// Error texts travel JSON-encoded (a quoted JSON string) so that a script can splice them into
// an error record without decoding anything; the item's lastError field keeps that form too.

// Each redis.call costs about a microsecond on top of the command, so the hot scripts (enqueue,
// claim, ack) make as few as they can: one ZADD/ZREM per zset and batch, not per item.

// enqueueScript adds an item for each (kind, key), or coalesces into the one that exists: a
// waiting or active item records the new error and its generation goes up (an active item is
// therefore sent once more after its ack, with the record's newest state); a dead item comes back
// to life with a fresh attempt budget. Many records go in one call.
//
// KEYS[1] kinds set (item keys are built from ARGV[1], all under the same hash tag)
// ARGV[1] base, ARGV[2] now (ms), ARGV[3] deadline (ms), ARGV[4] error records kept, then per
// record six values: id, kind, record key, first attempt (ms), error as JSON string ("" = no
// cause), error class
// Returns one status per record: 1 new, 2 coalesced, 3 revived from the dead letters, -1 id collision.
var enqueueScript = redis.NewScript(`
local base, now, deadline, keep = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local out, queued, seen = {}, {}, {}
for i = 5, #ARGV, 6 do
  local id, kind, key, first, err, class = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  local ik = base .. 'item:' .. id
  local v = redis.call('HMGET', ik, 'state', 'kind', 'key', 'attempts', 'gen')
  local state, attempts, res = v[1], v[4], 0
  local f = {}
  if state and (v[2] ~= kind or v[3] ~= key) then
    res = -1
  elseif not state or state == 'dead' then
    if state then
      redis.call('ZREM', base .. 'dead:' .. kind, id)
      redis.call('HDEL', ik, 'deadAt', 'deadReason')
      res = 3
    else
      f = {'kind', kind, 'key', key, 'gen', 0}
      res = 1
    end
    for _, x in ipairs({'state', 'queued', 'attempts', 0, 'unknown', 0, 'first', now, 'deadline', deadline}) do
      f[#f + 1] = x
    end
    attempts = '0'
    local z = queued[kind]
    if not z then
      z = {}
      queued[kind] = z
    end
    z[#z + 1] = first
    z[#z + 1] = id
  else
    f = {'gen', tonumber(v[5]) + 1}
    res = 2
  end
  if res > 0 then
    if err ~= '' then
      local ek = base .. 'errs:' .. id
      local n = redis.call('RPUSH', ek, '{"at":' .. now .. ',"attempt":' .. attempts .. ',"class":"' .. class ..
        '","error":' .. err .. '}')
      if n > keep then redis.call('LTRIM', ek, -keep, -1) end
      f[#f + 1] = 'lastError'
      f[#f + 1] = err
      f[#f + 1] = 'lastClass'
      f[#f + 1] = class
    end
    redis.call('HSET', ik, unpack(f))
    if not seen[kind] then
      redis.call('SADD', KEYS[1], kind)
      seen[kind] = true
    end
  end
  out[#out + 1] = res
end
for kind, z in pairs(queued) do
  redis.call('ZADD', base .. 'queue:' .. kind, unpack(z))
end
return out
`)

// claimScript first returns to the queue every item whose lease ran out (its worker is gone; that
// counts as a failed attempt, and may make it dead), then leases up to ARGV[4] due items, each
// with a new fencing token from the queue-wide counter — tokens never repeat, even for an item
// that was finished and enqueued again.
//
// KEYS[1] queue:<kind>, KEYS[2] active:<kind>, KEYS[3] dead:<kind>, KEYS[4] fence counter
// ARGV[1] base, ARGV[2] now (ms), ARGV[3] lease expiry (ms), ARGV[4] max items,
// ARGV[5] maxAttempts, ARGV[6] lease-lost error as JSON string, ARGV[7] error records kept
// Returns {returned, died, id, token, key, attempts, first, deadline, lastError, ...}.
var claimScript = redis.NewScript(`
local now = tonumber(ARGV[2])
local returned, died = 0, 0
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 100)
for _, id in ipairs(expired) do
  local ik = ARGV[1] .. 'item:' .. id
  redis.call('ZREM', KEYS[2], id)
  if redis.call('EXISTS', ik) == 1 then
    local a = redis.call('HINCRBY', ik, 'attempts', 1)
    local ek = ARGV[1] .. 'errs:' .. id
    redis.call('RPUSH', ek, '{"at":' .. ARGV[2] .. ',"attempt":' .. a .. ',"class":"lease","error":' ..
      ARGV[6] .. '}')
    redis.call('LTRIM', ek, -tonumber(ARGV[7]), -1)
    redis.call('HSET', ik, 'lastError', ARGV[6], 'lastClass', 'lease')
    local reason = false
    if a >= tonumber(ARGV[5]) then
      reason = 'attempts'
    elseif now >= tonumber(redis.call('HGET', ik, 'deadline')) then
      reason = 'deadline'
    end
    if reason then
      redis.call('ZADD', KEYS[3], now, id)
      redis.call('HSET', ik, 'state', 'dead', 'deadAt', now, 'deadReason', reason)
      died = died + 1
    else
      redis.call('ZADD', KEYS[1], now, id)
      redis.call('HSET', ik, 'state', 'queued')
      returned = returned + 1
    end
  end
end
local out = {returned, died}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[4]))
if #ids == 0 then return out end
redis.call('ZREM', KEYS[1], unpack(ids))
local tok = redis.call('INCRBY', KEYS[4], #ids) - #ids
local z = {}
for _, id in ipairs(ids) do
  local ik = ARGV[1] .. 'item:' .. id
  local v = redis.call('HMGET', ik, 'key', 'attempts', 'first', 'deadline', 'lastError', 'gen')
  tok = tok + 1
  if v[1] then
    redis.call('HSET', ik, 'state', 'active', 'token', tok, 'cgen', v[6])
    z[#z + 1] = ARGV[3]
    z[#z + 1] = id
    out[#out + 1] = id
    out[#out + 1] = tok
    out[#out + 1] = v[1]
    out[#out + 1] = v[2]
    out[#out + 1] = v[3]
    out[#out + 1] = v[4]
    out[#out + 1] = v[5] or ''
  end
end
if #z > 0 then redis.call('ZADD', KEYS[2], unpack(z)) end
return out
`)

// ackScript finishes claimed items. An item enqueued again while it was being worked on (its
// generation moved past the claimed one) is not deleted but goes back to the queue, due now, with
// a fresh attempt budget: the newer change gets sent too.
//
// KEYS[1] fence counter (it only names the slot; item keys are built from ARGV[1])
// ARGV[1] base, ARGV[2] now (ms), ARGV[3] deadline for a re-queued item (ms), then pairs id, token
// Returns one status per pair: 1 done, 2 re-queued, 0 lease lost (stale token).
var ackScript = redis.NewScript(`
local out, done = {}, {}
for i = 4, #ARGV, 2 do
  local id, tok = ARGV[i], ARGV[i + 1]
  local ik = ARGV[1] .. 'item:' .. id
  local v = redis.call('HMGET', ik, 'state', 'token', 'kind', 'gen', 'cgen')
  if v[1] ~= 'active' or v[2] ~= tok then
    out[#out + 1] = 0
  else
    local d = done[v[3]]
    if not d then
      d = {}
      done[v[3]] = d
    end
    d[#d + 1] = id
    if tonumber(v[4]) > tonumber(v[5]) then
      redis.call('HSET', ik, 'state', 'queued', 'attempts', 0, 'unknown', 0, 'first', ARGV[2],
        'deadline', ARGV[3])
      redis.call('ZADD', ARGV[1] .. 'queue:' .. v[3], ARGV[2], id)
      out[#out + 1] = 2
    else
      redis.call('DEL', ik, ARGV[1] .. 'errs:' .. id)
      out[#out + 1] = 1
    end
  end
end
for kind, ids in pairs(done) do
  redis.call('ZREM', ARGV[1] .. 'active:' .. kind, unpack(ids))
end
return out
`)

// failScript counts a failed attempt and reschedules the item, or moves it to the dead letters
// when it is out of attempts, out of unknown-error attempts, past its deadline, or failed for
// good.
//
// KEYS[1] item, KEYS[2] error list, KEYS[3] active:<kind>, KEYS[4] queue:<kind>, KEYS[5] dead:<kind>
// ARGV[1] id, ARGV[2] token, ARGV[3] now (ms), ARGV[4] next attempt (ms), ARGV[5] class,
// ARGV[6] error as JSON string, ARGV[7] maxAttempts, ARGV[8] unknownAttempts,
// ARGV[9] "1" = dead now (permanent), ARGV[10] error records kept
// Returns {1, attempts} rescheduled, {2, attempts, reason} dead, {0} lease lost.
var failScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'state', 'token', 'deadline')
if v[1] ~= 'active' or v[2] ~= ARGV[2] then return {0} end
redis.call('ZREM', KEYS[3], ARGV[1])
local a = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
local u = 0
if ARGV[5] == 'unknown' then u = redis.call('HINCRBY', KEYS[1], 'unknown', 1) end
redis.call('RPUSH', KEYS[2], '{"at":' .. ARGV[3] .. ',"attempt":' .. a .. ',"class":"' .. ARGV[5] ..
  '","error":' .. ARGV[6] .. '}')
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[10]), -1)
redis.call('HSET', KEYS[1], 'lastError', ARGV[6], 'lastClass', ARGV[5])
local reason = false
if ARGV[9] == '1' then
  reason = 'permanent'
elseif a >= tonumber(ARGV[7]) then
  reason = 'attempts'
elseif u > 0 and u >= tonumber(ARGV[8]) then
  reason = 'unknown'
elseif tonumber(ARGV[4]) > tonumber(v[3]) then
  reason = 'deadline'
end
if reason then
  redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
  redis.call('HSET', KEYS[1], 'state', 'dead', 'deadAt', ARGV[3], 'deadReason', reason)
  return {2, a, reason}
end
redis.call('ZADD', KEYS[4], ARGV[4], ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'queued')
return {1, a}
`)

// releaseItemScript hands a claimed item back without counting an attempt (graceful stop).
//
// KEYS[1] item, KEYS[2] active:<kind>, KEYS[3] queue:<kind>
// ARGV[1] id, ARGV[2] token, ARGV[3] due (ms)
// Returns 1 released, 0 lease lost.
var releaseItemScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'state', 'token')
if v[1] ~= 'active' or v[2] ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('HSET', KEYS[1], 'state', 'queued')
return 1
`)

// extendScript renews a lease, and is the fence check: it succeeds only for the holder of the
// item's current token.
//
// KEYS[1] item, KEYS[2] active:<kind>
// ARGV[1] id, ARGV[2] token, ARGV[3] new lease expiry (ms)
// Returns 1 extended, 0 lease lost.
var extendScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'state', 'token')
if v[1] ~= 'active' or v[2] ~= ARGV[2] then return 0 end
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
`)

// statsScript counts items per kind.
//
// KEYS[1] kinds set
// ARGV[1] base, ARGV[2] now (ms)
// Returns {kind, due, scheduled, active, dead, ...}.
var statsScript = redis.NewScript(`
local out = {}
for _, kind in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local q = ARGV[1] .. 'queue:' .. kind
  out[#out + 1] = kind
  out[#out + 1] = redis.call('ZCOUNT', q, '-inf', ARGV[2])
  out[#out + 1] = redis.call('ZCOUNT', q, '(' .. ARGV[2], '+inf')
  out[#out + 1] = redis.call('ZCARD', ARGV[1] .. 'active:' .. kind)
  out[#out + 1] = redis.call('ZCARD', ARGV[1] .. 'dead:' .. kind)
end
return out
`)

// replayScript puts dead items back in the queue, due now, with a fresh attempt budget and
// deadline; their error history is kept and notes the replay.
//
// KEYS[1] kinds set (names the slot)
// ARGV[1] base, ARGV[2] now (ms), ARGV[3] deadline (ms), ARGV[4] replay note as JSON string,
// ARGV[5] error records kept, ARGV[6..] ids
// Returns one status per id: 1 replayed, 0 not a dead item.
var replayScript = redis.NewScript(`
local out = {}
for i = 6, #ARGV do
  local id = ARGV[i]
  local ik = ARGV[1] .. 'item:' .. id
  local v = redis.call('HMGET', ik, 'state', 'kind')
  if v[1] ~= 'dead' then
    out[#out + 1] = 0
  else
    redis.call('ZREM', ARGV[1] .. 'dead:' .. v[2], id)
    redis.call('HSET', ik, 'state', 'queued', 'attempts', 0, 'unknown', 0, 'deadline', ARGV[3])
    redis.call('HDEL', ik, 'deadAt', 'deadReason')
    redis.call('ZADD', ARGV[1] .. 'queue:' .. v[2], ARGV[2], id)
    local ek = ARGV[1] .. 'errs:' .. id
    redis.call('RPUSH', ek, '{"at":' .. ARGV[2] .. ',"attempt":0,"class":"replay","error":' .. ARGV[4] .. '}')
    redis.call('LTRIM', ek, -tonumber(ARGV[5]), -1)
    out[#out + 1] = 1
  end
end
return out
`)

// dropScript deletes items that are not being worked on.
//
// KEYS[1] kinds set (names the slot)
// ARGV[1] base, ARGV[2..] ids
// Returns one status per id: 1 dropped, 0 not found, -1 active (a worker holds it).
var dropScript = redis.NewScript(`
local out = {}
for i = 2, #ARGV do
  local id = ARGV[i]
  local ik = ARGV[1] .. 'item:' .. id
  local v = redis.call('HMGET', ik, 'state', 'kind')
  if not v[1] then
    out[#out + 1] = 0
  elseif v[1] == 'active' then
    out[#out + 1] = -1
  else
    redis.call('ZREM', ARGV[1] .. 'queue:' .. v[2], id)
    redis.call('ZREM', ARGV[1] .. 'dead:' .. v[2], id)
    redis.call('DEL', ik, ARGV[1] .. 'errs:' .. id)
    out[#out + 1] = 1
  end
end
return out
`)

// purgeScript deletes dead items older than the retention.
//
// KEYS[1] kinds set
// ARGV[1] base, ARGV[2] cutoff (ms), ARGV[3] max items per kind
// Returns the number deleted.
var purgeScript = redis.NewScript(`
local n = 0
for _, kind in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local dk = ARGV[1] .. 'dead:' .. kind
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', dk, '-inf', ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))) do
    redis.call('DEL', ARGV[1] .. 'item:' .. id, ARGV[1] .. 'errs:' .. id)
    redis.call('ZREM', dk, id)
    n = n + 1
  end
end
return n
`)

// ---- The scheduler's running locks and tick markers ----
//
// A job's running lock is a hash that says who holds it — token, host, process id, since when,
// instance, and the host's boot id — with a TTL: the lease, renewed by its holder every third of
// it.

// tickScript takes a tick: the first instance to reach it marks the slot as its own; then the
// job's running lock decides whether the run starts or the tick is skipped (never queued).
//
// KEYS[1] running lock, KEYS[2] slot marker
// ARGV[1] lock TTL (ms), ARGV[2] slot marker TTL (ms), ARGV[3] instance, ARGV[4…] the holder's
// fields and values (token, host, pid, since, instance, boot)
// Returns 0 the slot was taken by another instance, 1 the job is running, 2 acquired.
var tickScript = redis.NewScript(`
if redis.call('SET', KEYS[2], ARGV[3], 'NX', 'PX', ARGV[2]) == false then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 2
`)

// lockScript takes the running lock for a manual run (no tick to mark).
//
// KEYS[1] running lock
// ARGV[1] lock TTL (ms), ARGV[2…] the holder's fields and values
// Returns 1 acquired, 0 the job is running.
var lockScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`)

// holderScript reads who holds the lock and how long its lease has left.
//
// KEYS[1] running lock
// Returns {PTTL, field, value, …}: PTTL -2 when the lock is free; no fields when the lock is not
// a hash (written by another version of streetsync).
var holderScript = redis.NewScript(`
local out = {redis.call('PTTL', KEYS[1])}
if redis.call('TYPE', KEYS[1]).ok == 'hash' then
  for _, v in ipairs(redis.call('HGETALL', KEYS[1])) do out[#out + 1] = v end
end
return out
`)

// takeoverScript replaces a holder whose process is gone, if it still holds the lock.
//
// KEYS[1] running lock
// ARGV[1] the gone holder's token, ARGV[2] lock TTL (ms), ARGV[3…] the new holder's fields and
// values
// Returns 1 taken over, 0 the lock changed hands meanwhile.
var takeoverScript = redis.NewScript(`
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' or redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`)

// renewLockScript extends the lease if the caller still holds the lock.
//
// KEYS[1] running lock; ARGV[1] token, ARGV[2] TTL (ms)
// Returns 1 renewed, 0 not the holder.
var renewLockScript = redis.NewScript(`
if redis.call('TYPE', KEYS[1]).ok == 'hash' and redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// releaseLockScript deletes the lock if the caller holds it: only the holder ever releases it.
//
// KEYS[1] running lock; ARGV[1] token
// Returns 1 released, 0 not the holder.
var releaseLockScript = redis.NewScript(`
if redis.call('TYPE', KEYS[1]).ok == 'hash' and redis.call('HGET', KEYS[1], 'token') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`)
