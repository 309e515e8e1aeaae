--[[
  Compare-and-set of a string holding a sealed value (or a JSON record with one inside):
  replaces it only if it still holds exactly what the re-seal job read, keeping its TTL, so a
  value changed meanwhile (a new secret, a rotated one) is never overwritten with an old one.

  KEYS[1] the key
  ARGV[1] the value read
  ARGV[2] the re-sealed value

  Returns 1 replaced, 0 changed or gone meanwhile (left alone).
]]
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
