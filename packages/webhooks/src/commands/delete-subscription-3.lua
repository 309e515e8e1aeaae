--[[
  Deletes a subscription with its delivery log. The subscription and its team index entry go
  at once; its deliveries (records and attempts) go in batches, so that one call stays short
  however long the log is. The caller repeats until nothing remains; a caller that dies
  in between leaves only keys that expire (the index and the records have TTLs).

  KEYS[1] subscription
  KEYS[2] the team's subscription index
  KEYS[3] the subscription's delivery index

  ARGV[1] subscription id
  ARGV[2] prefix of delivery keys (<prefix>webhook:dlv:)
  ARGV[3] deliveries deleted per call

  Returns the number of deliveries still to delete.
]]
redis.call('UNLINK', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local ids = redis.call('ZRANGE', KEYS[3], 0, tonumber(ARGV[3]) - 1)
for _, id in ipairs(ids) do
  redis.call('UNLINK', ARGV[2] .. id, ARGV[2] .. id .. ':attempts')
end
if #ids > 0 then redis.call('ZREM', KEYS[3], unpack(ids)) end
return redis.call('ZCARD', KEYS[3])
