-- KEYS: session, state, attempt, questions, paper, log
-- ARGV: internal, exam, max_attempts, expected_used, opens_at, closes_at, online, attempt id,
--       paper json, cycle id, n, then n × (section id, duration ms),
--       m, then m × (seen field, item ids to add), then pairs of question id and meta
-- Counts the try and stores its paper atomically: of many simultaneous starts, one wins.
if not authorized(KEYS[1], ARGV[1]) then return { 'err', 'nosession' } end
if redis.call('HEXISTS', KEYS[2], 'loaded') == 0 then return { 'err', 'nostate' } end
local exam = ARGV[2]
local now = now_ms()
if redis.call('HGET', KEYS[2], 'passed:' .. exam) == '1' then return { 'err', 'already_passed' } end
local active = redis.call('HGET', KEYS[2], 'active')
if active then return { 'err', 'attempt_in_progress', active } end
local used = tonumber(redis.call('HGET', KEYS[2], 'used:' .. exam) or '0')
if used >= tonumber(ARGV[3]) then return { 'err', 'attempt_cap_reached' } end
if now < tonumber(ARGV[5]) or now >= tonumber(ARGV[6]) then return { 'err', 'window_closed' } end
if ARGV[7] ~= '1' then return { 'err', 'specialty_not_online' } end
-- The paper was drawn against what the candidate had seen at `expected_used` tries.
if used ~= tonumber(ARGV[4]) then return { 'err', 'retry' } end

local aid = ARGV[8]
local n = tonumber(ARGV[11])
local fields = { 'st', 'in_progress', 'n', n, 'cur', 0, 'num', used + 1, 'exam', exam, 'cycle', ARGV[10], 'created', now }
local p = 12
for i = 0, n - 1 do
  local d = tonumber(ARGV[p + 1])
  fields[#fields + 1] = 'sid' .. i; fields[#fields + 1] = ARGV[p]
  fields[#fields + 1] = 'd' .. i; fields[#fields + 1] = d
  if i == 0 then
    fields[#fields + 1] = 's0'; fields[#fields + 1] = now
    fields[#fields + 1] = 'e0'; fields[#fields + 1] = now + d
  end
  p = p + 2
end
redis.call('HSET', KEYS[3], unpack(fields))
local m = tonumber(ARGV[p]); p = p + 1
for i = 1, m do
  local old = redis.call('HGET', KEYS[2], ARGV[p])
  redis.call('HSET', KEYS[2], ARGV[p], old and (old .. ',' .. ARGV[p + 1]) or ARGV[p + 1])
  p = p + 2
end
redis.call('HSET', KEYS[4], unpack(ARGV, p))
redis.call('SET', KEYS[5], ARGV[9])
redis.call('RPUSH', KEYS[6], now .. '|start|' .. (used + 1))
redis.call('HSET', KEYS[2], 'used:' .. exam, used + 1, 'active', aid)
return { 'ok', now, used + 1 }
