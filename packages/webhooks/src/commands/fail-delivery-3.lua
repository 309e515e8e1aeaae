--[[
  Ends a pending delivery as failed without an attempt (its subscription is gone or
  disabled, its intent expired, or its job failed outside the processor). Fenced like
  record-attempt: only the delivery's current chain, and only while the lock is the caller's.

  KEYS[1] delivery record
  KEYS[2] the subscription's delivery index (its TTL is renewed)
  KEYS[3] the job's lock key (any key when ARGV[1] is '')

  ARGV[1] the job lock token ('' : no lock fence, e.g. after the job failed)
  ARGV[2] the job id, JSON-encoded
  ARGV[3] retention in seconds
  ARGV[4] updatedAt (JSON)

  Returns 1 failed, 0 missing, -1 not pending, -2 lock lost, -3 superseded by another chain.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'status') ~= '"pending"' then return -1 end
if ARGV[1] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[1] then return -2 end
local current = redis.call('HGET', KEYS[1], 'jobId')
if current and current ~= ARGV[2] then return -3 end
redis.call('HSET', KEYS[1], 'status', '"failed"', 'updatedAt', ARGV[4])
redis.call('HDEL', KEYS[1], 'nextAttemptAt')
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[3]))
return 1
