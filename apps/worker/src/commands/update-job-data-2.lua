--[[
  Saves a job's data (the intent's checkpoint) only while the job's lock still holds the
  caller's token, like BullMQ's own scripts check a job's lock before changing it (its
  `updateData` does not): a worker that lost its job cannot overwrite the new owner's
  checkpoint.

  KEYS[1] the job hash (`<bull prefix>:intents:<job id>`)
  KEYS[2] the job's lock key
  ARGV[1] the lock token
  ARGV[2] the data (JSON)

  Returns 1 saved, 0 job missing, -2 lock not ours.
]]
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -2 end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'data', ARGV[2])
return 1
