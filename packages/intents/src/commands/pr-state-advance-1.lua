--[[
  Advances the desired state of one pull request's preview, newest event wins.

  KEYS[1] the pull request's state hash
  ARGV[1] state: "open" | "closed"
  ARGV[2] the pull request's updated_at (ms since the epoch)
  ARGV[3] head sha
  ARGV[4] TTL in ms

  Returns "applied", or "stale" when the stored state is newer (a later updated_at, or the
  same one already closed: a close wins a tie, so a late "opened" never revives a preview).
]]
local current = redis.call('HMGET', KEYS[1], 'state', 'updatedAt')
local updatedAt = tonumber(ARGV[2])
if current[2] then
  local known = tonumber(current[2])
  if known > updatedAt then return 'stale' end
  if known == updatedAt and current[1] == 'closed' and ARGV[1] == 'open' then return 'stale' end
end
redis.call('HSET', KEYS[1], 'state', ARGV[1], 'updatedAt', ARGV[2], 'headSha', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 'applied'
