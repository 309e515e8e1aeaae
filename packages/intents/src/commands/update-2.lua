--[[
  Changes an unfinished intent. With a fence, only while the BullMQ job lock still holds
  the caller's token: a worker whose job moved on (its lock expired and another worker took
  the job) can no longer write.

  KEYS[1] intent record
  KEYS[2] the job's lock key (any key when ARGV[1] is '')
  ARGV[1] the job lock token ('' : no fence)
  ARGV[2] the intent-events channel (PUBLISH of the intent id after the change; followers
          such as long-polls and SSE streams re-read the record; nothing is kept)
  ARGV[3] intent id
  ARGV[4..] field, value, ...

  Returns 1 changed, 0 missing, -1 already finished, -2 fence lost.
]]
--- @include "unfinished-intent"
local guard = unfinishedIntent(KEYS[1], KEYS[2], ARGV[1])
if guard ~= 1 then return guard end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
