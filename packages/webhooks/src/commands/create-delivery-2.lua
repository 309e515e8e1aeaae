--[[
  Stores a new delivery and indexes it under its subscription, then prunes the index: the
  record, its index entry and the pruning happen together, so the log never outgrows its bound.

  KEYS[1] delivery record (hash)
  KEYS[2] the subscription's delivery index (sorted set, all scores 0, ordered by id = event time)

  ARGV[1] prefix of delivery keys (<prefix>webhook:dlv:), to delete pruned deliveries
  ARGV[2] retention in seconds (the record and the index expire after it; every write renews it)
  ARGV[3] most deliveries kept per subscription (the oldest beyond it are deleted)
  ARGV[4] delivery id
  ARGV[5..] field, value, ...

  Returns 1 created, 0 existed already (the event was published before).
]]
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local retention = tonumber(ARGV[2])
-- The index first: a script stops at a failing command without undoing earlier ones, so a
-- failure here leaves nothing behind, and a record never exists without its index entry.
redis.call('ZADD', KEYS[2], 0, ARGV[4])
redis.call('EXPIRE', KEYS[2], retention)
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('EXPIRE', KEYS[1], retention)

-- Count bound: the oldest entries beyond the cap go, with their records and attempts.
local excess = redis.call('ZCARD', KEYS[2]) - tonumber(ARGV[3])
if excess > 0 then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, excess - 1)) do
    redis.call('UNLINK', ARGV[1] .. id, ARGV[1] .. id .. ':attempts')
  end
  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, excess - 1)
end

-- Age bound: entries whose record has expired are dropped, oldest first, a few per write
-- (records expire by last change, so the first one still alive ends the sweep).
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, 19)) do
  if redis.call('EXISTS', ARGV[1] .. id) == 1 then break end
  redis.call('ZREM', KEYS[2], id)
end
return 1
