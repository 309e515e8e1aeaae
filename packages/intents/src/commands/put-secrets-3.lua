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
if ARGV[1] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[1] then return -2 end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local s = redis.call('HGET', KEYS[1], 'status')
if s == '"succeeded"' or s == '"failed"' or s == '"cancelled"' then return -1 end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('HSET', KEYS[1], 'hasSecrets', 'true')
return 1
