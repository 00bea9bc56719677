-- KEYS: session, attempt, answers, paper, log
-- ARGV: internal, with_paper, section id
-- Submitting the current section ends it now and starts the next with its full time. Submitting a
-- section that has already ended changes nothing (idempotent) and answers the attempt as it is.
if not authorized(KEYS[1], ARGV[1]) then return { 'err', 'nosession' } end
if redis.call('EXISTS', KEYS[2]) == 0 then return { 'err', 'not_found' } end
local now = now_ms()
local moved = advance(KEYS[2], KEYS[5], now)
local a = redis.call('HMGET', KEYS[2], 'st', 'cur', 'n')
local st, cur, n = a[1], tonumber(a[2]), tonumber(a[3])
local k = nil
for i = 0, n - 1 do
  if redis.call('HGET', KEYS[2], 'sid' .. i) == ARGV[3] then k = i end
end
if k == nil then return { 'err', 'not_found' } end
if st == 'in_progress' and k > cur then return { 'err', 'section_not_started' } end
if st == 'in_progress' and k == cur then
  moved = true
  redis.call('HSET', KEYS[2], 'h' .. k, 'submit', 'x' .. k, now)
  redis.call('RPUSH', KEYS[5], now .. ' submit ' .. k)
  if k + 1 < n then
    local d = tonumber(redis.call('HGET', KEYS[2], 'd' .. (k + 1)))
    redis.call('HSET', KEYS[2], 'cur', k + 1, 's' .. (k + 1), now, 'e' .. (k + 1), now + d)
    redis.call('RPUSH', KEYS[5], now .. ' section ' .. (k + 1))
  else
    redis.call('HSET', KEYS[2], 'st', 'closed', 'closedAt', now)
    redis.call('RPUSH', KEYS[5], now .. ' closed')
  end
end
return snapshot(KEYS[2], KEYS[3], KEYS[4], now, moved, ARGV[2])
