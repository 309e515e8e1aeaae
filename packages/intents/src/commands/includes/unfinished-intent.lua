--[[
  Shared guard of the scripts that change an intent: `fenceKey`/`fenceToken` are the job's
  lock key and this run's token ('' : no fence), `intentKey` the record.
  Returns -2 (fence lost), 0 (missing) or -1 (already finished) from the script; falls
  through when the write may go ahead.
]]
local function unfinishedIntent(intentKey, fenceKey, fenceToken)
  if fenceToken ~= '' and redis.call('GET', fenceKey) ~= fenceToken then return -2 end
  if redis.call('EXISTS', intentKey) == 0 then return 0 end
  local s = redis.call('HGET', intentKey, 'status')
  if s == '"succeeded"' or s == '"failed"' or s == '"cancelled"' then return -1 end
  return 1
end
