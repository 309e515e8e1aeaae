-- Neon answered 429: pause every worker (never shortening a longer pause already set)
-- and shrink the limits for a while.
-- KEYS: pause key, shrink key. ARGV: pauseMs, shrinkFactor, shrinkForMs.
local current = redis.call('PTTL', KEYS[1])
if current < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
return 1
