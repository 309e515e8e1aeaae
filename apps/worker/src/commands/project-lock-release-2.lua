-- Releases a project's lock when `token` holds it, and forgets the intent as a waiter.
-- KEYS: lock, waiters. ARGV: token, intentId.
-- Returns { released (0/1), the longest waiter or false }; a waiter is named only on a
-- release, so that a stale run (whose token was replaced) wakes nobody.
local released = 0
if redis.call('GET', KEYS[1]) == ARGV[1] then released = redis.call('DEL', KEYS[1]) end
redis.call('ZREM', KEYS[2], ARGV[2])
if released == 0 then return { 0, false } end
local next = redis.call('ZRANGE', KEYS[2], 0, 0)
return { 1, next[1] or false }
