-- KEYS: state, attempt, questions, answers, paper, log
-- ARGV: one JSON object: attemptId, exam, passed (boolean), result (JSON text), graceMs, keepSec
-- Records the outcome of a closed attempt and frees the candidate to start another.
local st = redis.call('HGET', KEYS[2], 'st')
if st == 'settled' then return { 'ok', 'already' } end
if st ~= 'closed' then return { 'err', 'attempt_not_finished' } end
local a = cjson.decode(ARGV[1])
local n = tonumber(redis.call('HGET', KEYS[2], 'n'))
local last = redis.call('HMGET', KEYS[2], 'h' .. (n - 1), 'closedAt')
local now = now_ms()
local until_ms = tonumber(last[2]) + a.graceMs
-- A time-out is final only once the grace for answers in flight has passed.
if last[1] == 'time' and now < until_ms then return { 'err', 'grace', until_ms - now } end
redis.call('HSET', KEYS[2], 'st', 'settled', 'result', a.result, 'settledAt', now)
redis.call('RPUSH', KEYS[6], now .. ' settled ' .. (a.passed and '1' or '0'))
if a.passed then redis.call('HSET', KEYS[1], 'passed:' .. a.exam, '1') end
if redis.call('HGET', KEYS[1], 'active') == a.attemptId then redis.call('HDEL', KEYS[1], 'active') end
for i = 2, 6 do redis.call('EXPIRE', KEYS[i], a.keepSec) end
return { 'ok', 'settled' }
