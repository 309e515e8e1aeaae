--[[
  Reserves up to ARGV[1] requests of a fixed window's count for one replica (the team rate
  limit's counter, shared by every replica): never more than ARGV[2] in the window in all.
  The counter is the one @fastify/rate-limit's Redis store keeps (INCR per request, the window
  as TTL from its first request), so both may count the same key at once (a rolling deploy).

  KEYS[1] the counter (string)
  ARGV[1] how many to reserve (>= 1)
  ARGV[2] the limit of the window
  ARGV[3] the window in ms

  Returns {count after, granted (0: the window is spent), ms left of the window}.
]]
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local grant = math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - current)
if grant > 0 then current = redis.call('INCRBY', KEYS[1], grant) else grant = 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  -- A new window (or a counter left without TTL): it starts now.
  if current == 0 then return {0, 0, tonumber(ARGV[3])} end
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  ttl = tonumber(ARGV[3])
end
return {current, grant, ttl}
