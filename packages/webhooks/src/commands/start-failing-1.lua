--[[
  Starts a subscription's run of failures, if none is running, on an existing subscription.

  KEYS[1] subscription

  ARGV[1] failingSince (JSON)

  Returns 1 started, 0 already running or missing.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSETNX', KEYS[1], 'failingSince', ARGV[1])
