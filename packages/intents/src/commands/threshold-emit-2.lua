--[[
  Announces that a team crossed a budget threshold, once: the "already announced" mark and
  the outbox entry that announces it are written together or not at all. A second call for
  the same team, period and threshold (another worker, a retried tick, a restart after a
  crash) finds the mark and writes nothing.

  KEYS[1] the team's marks of the period (hash: threshold -> when announced)
  KEYS[2] outbox (stream)

  ARGV[1] when the marks expire (Unix seconds: the period's end plus a margin)
  ARGV[2] the threshold (the hash field)
  ARGV[3] when announced (ISO 8601)
  ARGV[4..] the event's field, value, ...

  Returns the new outbox entry's id, or false (nil) when the threshold was already announced.
]]
if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3]) == 0 then return false end
redis.call('EXPIREAT', KEYS[1], tonumber(ARGV[1]))
return redis.call('XADD', KEYS[2], '*', unpack(ARGV, 4))
