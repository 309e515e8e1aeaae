--[[
  Compare-and-set of one hash field holding a sealed value: replaces it only if it still holds
  exactly what the re-seal job read (the hash's TTL, if any, is untouched by HSET).

  KEYS[1] the hash
  ARGV[1] the field
  ARGV[2] the value read
  ARGV[3] the re-sealed value

  Returns 1 replaced, 0 changed or gone meanwhile (left alone).
]]
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1
