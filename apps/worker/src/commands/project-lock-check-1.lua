-- Whether `token` holds a project's lock. KEYS: lock. ARGV: token.
-- Returns the lock's remaining TTL in ms (at least 1) when it does, else 0.
if redis.call('GET', KEYS[1]) == ARGV[1] then return math.max(1, redis.call('PTTL', KEYS[1])) end
return 0
