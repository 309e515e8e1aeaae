--[[
  Stores a new intent: its record, the team's index and active set, the deployment's
  active index, and (with an Idempotency-Key) the key's stored answer, or (with a dedupe
  key) the key naming the intent, all at once, so a crash can never leave a record without
  its answer or key, or an answer or key without its record.

  KEYS[1] intent record (hash)
  KEYS[2] team index (zset, lexical by id)
  KEYS[3] team active set
  KEYS[4] active index of the deployment (zset, scores 0, members "<intentId>:<teamId>": creation order)
  KEYS[5] idempotency record (string); the intent key again when ARGV[5] is ''
  KEYS[6] dedupe key (string: the id of the intent it made); the intent key again when ARGV[8] is '0'

  ARGV[1] max active intents of the team (0: no cap)
  ARGV[2] intent id
  ARGV[3] prune the team index below this id ('' : no pruning)
  ARGV[4] the intent's active-index member
  ARGV[5] our in-flight idempotency value ('' : no key, or a claim: see ARGV[9])
  ARGV[6] the idempotency record to store (the answer)
  ARGV[7] its TTL in ms
  ARGV[8] TTL in ms of the dedupe key ('0': no dedupe key)
  ARGV[9] '1': claim the idempotency key here (the API's Idempotency-Key): a key that holds
          anything (an answer, another request's in-flight claim) is returned as it is and
          nothing is written; a free key gets the answer with the intent. '0': no claim.
  ARGV[10..] field, value, ...

  Returns 1 created, 0 cap reached, -1 exists, -2 idempotency lease lost, or (a string) the
  id of the intent the dedupe key already made (nothing written; checked before the cap,
  so a repeat is answered even when the team is at its cap), or {'held', <value>}: the
  claimed key's current value (nothing written; checked before the cap, as a replay is).
]]
if ARGV[8] ~= '0' then
  local existing = redis.call('GET', KEYS[6])
  if existing then return existing end
end
local claim = ARGV[9] == '1'
if claim then
  local held = redis.call('GET', KEYS[5])
  if held then return {'held', held} end
elseif ARGV[5] ~= '' and redis.call('GET', KEYS[5]) ~= ARGV[5] then
  return -2
end
if tonumber(ARGV[1]) > 0 and redis.call('SCARD', KEYS[3]) >= tonumber(ARGV[1]) then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
redis.call('HSET', KEYS[1], unpack(ARGV, 10))
redis.call('ZADD', KEYS[2], 0, ARGV[2])
redis.call('SADD', KEYS[3], ARGV[2])
redis.call('ZADD', KEYS[4], 0, ARGV[4])
if claim or ARGV[5] ~= '' then redis.call('SET', KEYS[5], ARGV[6], 'PX', ARGV[7]) end
if ARGV[8] ~= '0' then redis.call('SET', KEYS[6], ARGV[2], 'PX', ARGV[8]) end
if ARGV[3] ~= '' then redis.call('ZREMRANGEBYLEX', KEYS[2], '-', '(' .. ARGV[3]) end
return 1
