-- Releases a post-back lock when `token` still holds it (a holder whose lock expired and was
-- taken by another must not release the other's).
-- KEYS: lock. ARGV: token. Returns 1 when released, else 0.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
