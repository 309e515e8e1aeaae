--[[
  Changes fields of an existing subscription (never creates one: a patch racing a delete
  must not bring it back), deleting some fields in the same step.

  KEYS[1] subscription

  ARGV[1] number n of fields to delete
  ARGV[2..1+n] fields to delete
  ARGV[2+n..] field, value, ...

  Returns 1 changed, 0 missing.
]]
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local deletes = tonumber(ARGV[1])
if deletes > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, 2, 1 + deletes)) end
if #ARGV > 1 + deletes then redis.call('HSET', KEYS[1], unpack(ARGV, 2 + deletes)) end
return 1
