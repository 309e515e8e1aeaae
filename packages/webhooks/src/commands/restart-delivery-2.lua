--[[
  Starts a new retry chain for a delivery: back to pending with a new job id, but only if
  the delivery's chain is still the one the caller looked at (compare-and-set on the job
  id). Of two replays racing, one starts a chain and the other learns which chain won, so a
  delivery never has two chains.

  KEYS[1] delivery record
  KEYS[2] the subscription's delivery index (its TTL is renewed)

  ARGV[1] the job id the caller saw, JSON-encoded (the delivery id when the record has none)
  ARGV[2] retention in seconds
  ARGV[3] nextAttemptAt (JSON)
  ARGV[4] updatedAt (JSON)
  ARGV[5] '1' when it is a replay by hand (counted in `replays`), else '0'
  ARGV[6] delivery id

  Returns {1, new job id} restarted, {0} missing, {-3, current job id} another chain won.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
local current = redis.call('HGET', KEYS[1], 'jobId') or cjson.encode(ARGV[6])
if current ~= ARGV[1] then return {-3, cjson.decode(current)} end
local jobId = ARGV[6] .. '-' .. redis.call('HINCRBY', KEYS[1], 'chain', 1)
redis.call('HSET', KEYS[1], 'status', '"pending"', 'jobId', cjson.encode(jobId), 'nextAttemptAt', ARGV[3], 'updatedAt', ARGV[4])
if ARGV[5] == '1' then redis.call('HINCRBY', KEYS[1], 'replays', 1) end
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[2]))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[2]))
return {1, jobId}
