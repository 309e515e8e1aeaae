--[[
  Stores the sealed secrets of an unfinished intent and marks the record `hasSecrets`. The
  secrets live exactly as long as their record: no TTL while it runs, the record's
  retention once it finishes (finish-6 expires both).

  KEYS[1] intent record
  KEYS[2] sealed secrets
  KEYS[3] the job's lock key (any key when ARGV[1] is '')
  ARGV[1] the job lock token ('' : no fence)
  ARGV[2] the sealed value

  Returns 1 stored, 0 missing, -1 already finished, -2 fence lost.
]]
--- @include "unfinished-intent"
local guard = unfinishedIntent(KEYS[1], KEYS[3], ARGV[1])
if guard ~= 1 then return guard end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'hasSecrets', 'true')
return 1
