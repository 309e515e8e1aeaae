--[[
  Releases a schedule's tick lease if the caller still holds it (its token): a tick that
  outlived its lease never frees the lease another tick took since.

  KEYS[1] the lease (string: the holder's token)
  ARGV[1] the caller's token

  Returns 1 released, 0 not held by the caller.
]]
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
