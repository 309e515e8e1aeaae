--[[
  Moves the next attempt time of a pending delivery, when its chain is the caller's (a
  replay of a delivery still being retried brings its next attempt forward).

  KEYS[1] delivery record

  ARGV[1] the job id, JSON-encoded
  ARGV[2] nextAttemptAt (JSON)
  ARGV[3] updatedAt (JSON)

  Returns 1 moved, 0 missing or not pending, -3 another chain.
]]
if redis.call('HGET', KEYS[1], 'status') ~= '"pending"' then return 0 end
local current = redis.call('HGET', KEYS[1], 'jobId')
if current and current ~= ARGV[1] then return -3 end
redis.call('HSET', KEYS[1], 'nextAttemptAt', ARGV[2], 'updatedAt', ARGV[3])
return 1
