-- KEYS: attempt, questions, answers, paper, log, state
-- ARGV: attempt id, attempt field count, fields…, answer field count, answers…, question meta pairs…
-- Puts an attempt in progress back into Redis from its last Postgres checkpoint, unless it is there.
if redis.call('EXISTS', KEYS[1]) == 1 then return { 'ok', 'present' } end
local p = 2
local na = tonumber(ARGV[p]); p = p + 1
redis.call('HSET', KEYS[1], unpack(ARGV, p, p + na * 2 - 1)); p = p + na * 2
local nans = tonumber(ARGV[p]); p = p + 1
if nans > 0 then redis.call('HSET', KEYS[3], unpack(ARGV, p, p + nans * 2 - 1)) end
p = p + nans * 2
redis.call('SET', KEYS[4], ARGV[p]); p = p + 1
if p <= #ARGV then redis.call('HSET', KEYS[2], unpack(ARGV, p)) end
redis.call('RPUSH', KEYS[5], redis.call('TIME')[1] * 1000 .. '|restored')
return { 'ok', 'restored' }
