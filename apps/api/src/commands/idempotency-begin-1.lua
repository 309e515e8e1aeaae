--[[
  Claims an idempotency key: "set if absent, else return what is there".
  KEYS[1] the idempotency record
  ARGV[1] the in-flight value to write
  ARGV[2] its lease in ms
  Returns the current value, or false when this call claimed the key.
]]
local current = redis.call('GET', KEYS[1])
if current then return current end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
