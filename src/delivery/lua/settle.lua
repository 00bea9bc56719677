-- KEYS: state, attempt, questions, answers, paper, log
-- ARGV: attempt id, exam, passed (1/0), result json, grace ms, keep seconds
-- Records the outcome of a closed attempt and frees the candidate to start another.
local st = redis.call('HGET', KEYS[2], 'st')
if st == 'settled' then return { 'ok', 'already' } end
if st ~= 'closed' then return { 'err', 'attempt_not_finished' } end
local n = tonumber(redis.call('HGET', KEYS[2], 'n'))
local last = redis.call('HMGET', KEYS[2], 'h' .. (n - 1), 'closedAt')
local now = now_ms()
local until_ms = tonumber(last[2]) + tonumber(ARGV[5])
-- A time-out is final only once the grace for answers in flight has passed.
if last[1] == 'time' and now < until_ms then return { 'err', 'grace', until_ms - now } end
redis.call('HSET', KEYS[2], 'st', 'settled', 'result', ARGV[4], 'settledAt', now)
redis.call('RPUSH', KEYS[6], now .. '|settled|' .. ARGV[3])
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'passed:' .. ARGV[2], '1') end
if redis.call('HGET', KEYS[1], 'active') == ARGV[1] then redis.call('HDEL', KEYS[1], 'active') end
local keep = tonumber(ARGV[6])
for i = 2, 6 do redis.call('EXPIRE', KEYS[i], keep) end
return { 'ok', 'settled' }
