-- Takes a project's lock for one run of an intent, or records the intent as a waiter.
-- KEYS: lock, waiters. ARGV: token, intentId, ttlMs, nowMs, previousToken ('' = none).
-- The lock's value is the holder's fencing token (`<intentId>:<random>`, new for every run).
-- It is taken when it is free, already held by `token` (renewed: re-entrant within a run),
-- or held by `previousToken`: the token the intent's last checkpoint names, i.e. an earlier
-- run of this intent. That run is replaced (its token no longer extends, releases or
-- passes a check), so if it still lives it is fenced out. A token of this intent that the
-- checkpoint does not name is a run that may still be working: it is waited for like any
-- other holder (until it releases, or its lock expires).
-- Returns { 1 } when `token` holds the lock afterwards, else { -(ms until it may be free), holder token }.
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] or (ARGV[5] ~= '' and current == ARGV[5]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  redis.call('ZREM', KEYS[2], ARGV[2])
  return { 1 }
end
local ttl = math.max(1, redis.call('PTTL', KEYS[1]))
redis.call('ZADD', KEYS[2], 'NX', ARGV[4], ARGV[2])
-- Waiters outlive the lock they wait for; each refused attempt renews this bound.
redis.call('PEXPIRE', KEYS[2], ttl + tonumber(ARGV[3]) * 2)
return { -ttl, current }
