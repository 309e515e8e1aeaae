-- Renews a project's lock for `ttlMs` while `token` holds it; with `previousToken`, also takes
-- it over from that earlier run of the same intent (see project-lock-acquire-2.lua), without
-- taking a free lock. KEYS: lock. ARGV: token, ttlMs, previousToken ('' = none).
-- Returns 1 when `token` holds the lock afterwards, else 0 (expired, or another token holds it).
local current = redis.call('GET', KEYS[1])
if current ~= false and (current == ARGV[1] or (ARGV[3] ~= '' and current == ARGV[3])) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
