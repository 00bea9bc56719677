-- KEYS: attempt, questions, answers, paper, log
-- ARGV: one JSON object: attempt (hash fields as [field, value…]), answers ([id, keys…]), paper
--       (packed), metas ([id, meta…])
-- Puts an attempt in progress back into Redis from its last Postgres checkpoint, unless it is there.
if redis.call('EXISTS', KEYS[1]) == 1 then return { 'ok', 'present' } end
local a = cjson.decode(ARGV[1])
redis.call('HSET', KEYS[1], unpack(a.attempt))
if #a.answers > 0 then redis.call('HSET', KEYS[3], unpack(a.answers)) end
redis.call('SET', KEYS[4], a.paper)
redis.call('HSET', KEYS[2], unpack(a.metas))
redis.call('RPUSH', KEYS[5], now_ms() .. ' restored')
return { 'ok', 'restored' }
