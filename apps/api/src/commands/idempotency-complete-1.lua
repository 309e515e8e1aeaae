--[[
  Replaces our in-flight claim with the stored answer, only while the claim is still ours.
  KEYS[1] the idempotency record
  ARGV[1] our in-flight value
  ARGV[2] the completed record
  ARGV[3] its TTL in ms
  Returns 1 stored, 0 the claim was no longer ours.
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
