--[[
  Stores a new source and indexes it under its team, refused at the team's cap.

  KEYS[1] the source's key
  KEYS[2] the team's index of sources (a set of ids)
  ARGV[1] the source record (JSON)
  ARGV[2] the source id
  ARGV[3] the team's cap

  Returns 1, or 0 when the team has as many sources as it may.
]]
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return 1
