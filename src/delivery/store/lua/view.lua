-- KEYS: session, attempt, answers, paper, log
-- ARGV: internal, with_paper
if not authorized(KEYS[1], ARGV[1]) then return { 'err', 'nosession' } end
if redis.call('EXISTS', KEYS[2]) == 0 then return { 'err', 'not_found' } end
local now = now_ms()
local moved = advance(KEYS[2], KEYS[5], now)
return snapshot(KEYS[2], KEYS[3], KEYS[4], now, moved, ARGV[2])
