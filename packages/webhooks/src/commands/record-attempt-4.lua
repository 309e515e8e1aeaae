--[[
  Logs one attempt of a delivery and, while the caller still owns the delivery, sets its
  status. The attempt is logged in any case (the receiver did get the request); the status
  changes only when the BullMQ job lock still holds the caller's token and the caller's job
  is the delivery's current retry chain, so a dispatcher that lost its job, or a chain that a
  replay replaced, cannot move the delivery backwards.

  KEYS[1] delivery record
  KEYS[2] its attempts (list, newest last)
  KEYS[3] the subscription's delivery index (its TTL is renewed)
  KEYS[4] the job's lock key (any key when ARGV[1] is '')

  ARGV[1] the job lock token ('' : no lock fence)
  ARGV[2] the job id, JSON-encoded as the record stores it
  ARGV[3] retention in seconds
  ARGV[4] most attempts kept per delivery (older ones are trimmed)
  ARGV[5] the attempt (JSON)
  ARGV[6] number n of fields to delete
  ARGV[7..6+n] fields to delete
  ARGV[7+n..] field, value, ...

  Returns 1 recorded, 0 missing, -2 lock lost, -3 superseded by another chain.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local retention = tonumber(ARGV[3])
redis.call('RPUSH', KEYS[2], ARGV[5])
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1)
redis.call('EXPIRE', KEYS[2], retention)
redis.call('EXPIRE', KEYS[1], retention)
redis.call('EXPIRE', KEYS[3], retention)
if ARGV[1] ~= '' and redis.call('GET', KEYS[4]) ~= ARGV[1] then return -2 end
local current = redis.call('HGET', KEYS[1], 'jobId')
if current and current ~= ARGV[2] then return -3 end
local deletes = tonumber(ARGV[6])
if deletes > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, 7, 6 + deletes)) end
redis.call('HSET', KEYS[1], unpack(ARGV, 7 + deletes))
return 1
