--[[
  Finishes an intent once, and writes its event to the outbox in the same step: the
  terminal status and the event that announces it exist together or not at all.

  KEYS[1] intent record
  KEYS[2] team active set
  KEYS[3] sealed secrets
  KEYS[4] active index of the deployment
  KEYS[5] outbox (stream)
  KEYS[6] the job's lock key (any key when ARGV[3] is '')

  ARGV[1] retention in seconds (the record and its secrets expire after it)
  ARGV[2] intent id
  ARGV[3] the job lock token ('' : no fence)
  ARGV[4] team id
  ARGV[5] kind
  ARGV[6] terminal status
  ARGV[7] finished-at (ISO 8601)
  ARGV[8] the intent-events channel (PUBLISH of the id: followers such as long-polls re-read it)
  ARGV[9..] field, value, ...

  Returns 1 finished, 0 missing, -1 already finished, -2 fence lost.
]]
--- @include "unfinished-intent"
local guard = unfinishedIntent(KEYS[1], KEYS[6], ARGV[3])
if guard ~= 1 then return guard end
redis.call('HSET', KEYS[1], unpack(ARGV, 9))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[1]))
redis.call('EXPIRE', KEYS[3], tonumber(ARGV[1]))
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[2] .. ':' .. ARGV[4])
redis.call('XADD', KEYS[5], '*', 'type', 'intent.finished', 'intentId', ARGV[2], 'teamId', ARGV[4],
  'kind', ARGV[5], 'status', ARGV[6], 'at', ARGV[7])
redis.call('PUBLISH', ARGV[8], ARGV[2])
return 1
