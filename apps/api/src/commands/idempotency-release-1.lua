--[[
  Deletes our in-flight claim (the request failed: a retry is handled anew), only while it is ours.
  KEYS[1] the idempotency record
  ARGV[1] our in-flight value
  Returns 1 deleted, 0 the claim was no longer ours.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
