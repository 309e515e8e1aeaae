-- Admits one Neon request under the shared budget, or says how long to wait.
-- Sliding-window logs (sorted sets of admission times) for the account minute and the
-- route second are checked and written in one script, so that concurrent workers cannot
-- both take the last slot. Time comes from Redis, so every process shares one clock.
-- KEYS: minute log, route log, pause key, shrink key.
-- ARGV: perMinute, perRouteSecond, minuteWindowMs, secondWindowMs, member.
-- Returns 0 when admitted, else the milliseconds to wait before trying again.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local paused = redis.call('PTTL', KEYS[3])
if paused > 0 then return paused end
local factor = tonumber(redis.call('GET', KEYS[4]) or '1')
local perMinute = math.max(1, math.floor(tonumber(ARGV[1]) * factor))
local perSecond = math.max(1, math.floor(tonumber(ARGV[2]) * factor))
local minuteWindow = tonumber(ARGV[3])
local secondWindow = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - minuteWindow)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - secondWindow)
local wait = 0
local inMinute = redis.call('ZCARD', KEYS[1])
if inMinute >= perMinute then
  local oldest = redis.call('ZRANGE', KEYS[1], inMinute - perMinute, inMinute - perMinute, 'WITHSCORES')
  wait = math.max(wait, tonumber(oldest[2]) + minuteWindow - now + 1)
end
local inSecond = redis.call('ZCARD', KEYS[2])
if inSecond >= perSecond then
  local oldest = redis.call('ZRANGE', KEYS[2], inSecond - perSecond, inSecond - perSecond, 'WITHSCORES')
  wait = math.max(wait, tonumber(oldest[2]) + secondWindow - now + 1)
end
if wait > 0 then return wait end
redis.call('ZADD', KEYS[1], now, ARGV[5])
redis.call('ZADD', KEYS[2], now, ARGV[5])
redis.call('PEXPIRE', KEYS[1], minuteWindow + 1000)
redis.call('PEXPIRE', KEYS[2], secondWindow + 1000)
return 0
