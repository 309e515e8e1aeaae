--[[
  Checks or releases a lock only while it holds the caller's token (its fencing token): a
  holder whose lock expired and was taken by another must neither free the other's lock nor
  pass a check on it. The one script behind every token-fenced lock of the worker: project
  locks (with waiters), schedule leases and post-back locks (without).

  KEYS[1] the lock (a string: the holder's token)
  KEYS[2] its waiters (a sorted set of waiter ids, longest waiting first), or KEYS[1] again
          for a lock nobody waits for; both share the lock's hash tag
  ARGV[1] the caller's token
  ARGV[2] 'check' (leave the lock as it is) or 'release' (delete it)
  ARGV[3] release with waiters: the caller's waiter id, forgotten whether it held the lock or not

  Returns { held, next }. held: 0 when the token does not hold the lock, else on a check the
  lock's remaining TTL in ms (at least 1), on a release 1. next: on a release with waiters,
  the longest waiter left, named only when the lock was released (so that a stale run, whose
  token was replaced, wakes nobody); else false.
]]
local held = redis.call('GET', KEYS[1]) == ARGV[1]
if ARGV[2] == 'check' then
  if not held then return { 0, false } end
  return { math.max(1, redis.call('PTTL', KEYS[1])), false }
end
if held then redis.call('DEL', KEYS[1]) end
if KEYS[2] == KEYS[1] then return { held and 1 or 0, false } end
redis.call('ZREM', KEYS[2], ARGV[3])
if not held then return { 0, false } end
local next = redis.call('ZRANGE', KEYS[2], 0, 0)
return { 1, next[1] or false }
