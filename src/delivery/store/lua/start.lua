-- KEYS: session, state, attempt, questions, paper, log
-- ARGV: internal, then one JSON object (attempts.ts StartArgs): exam, maxAttempts, expectedUsed,
--       opensAt, closesAt, online, attemptId, cycleId, paper (packed), sections [[id, ms]…],
--       seen [[bank, "id id …"]…], metas [id, meta, id, meta…]
-- Counts the try and stores its paper atomically: of many simultaneous starts, one wins.
if not authorized(KEYS[1], ARGV[1]) then return { 'err', 'nosession' } end
if redis.call('HEXISTS', KEYS[2], 'loaded') == 0 then return { 'err', 'nostate' } end
local a = cjson.decode(ARGV[2])
local exam = a.exam
local now = now_ms()
if redis.call('HGET', KEYS[2], 'passed:' .. exam) == '1' then return { 'err', 'already_passed' } end
local active = redis.call('HGET', KEYS[2], 'active')
if active then return { 'err', 'attempt_in_progress', active } end
local used = tonumber(redis.call('HGET', KEYS[2], 'used:' .. exam) or '0')
if used >= a.maxAttempts then return { 'err', 'attempt_cap_reached' } end
if now < a.opensAt or now >= a.closesAt then return { 'err', 'window_closed' } end
if not a.online then return { 'err', 'specialty_not_online' } end
-- The paper was drawn against what the candidate had seen at `expectedUsed` tries.
if used ~= a.expectedUsed then return { 'err', 'retry' } end

local fields = { 'v', '2', 'st', 'in_progress', 'n', #a.sections, 'cur', 0, 'num', used + 1, 'exam', exam,
  'cycle', a.cycleId, 'created', now, 'lb', 0 }
for i, s in ipairs(a.sections) do
  local k = i - 1
  fields[#fields + 1] = 'sid' .. k; fields[#fields + 1] = s[1]
  fields[#fields + 1] = 'd' .. k; fields[#fields + 1] = s[2]
  if k == 0 then
    fields[#fields + 1] = 's0'; fields[#fields + 1] = now
    fields[#fields + 1] = 'e0'; fields[#fields + 1] = now + s[2]
  end
end
redis.call('HSET', KEYS[3], unpack(fields))
for _, s in ipairs(a.seen) do
  local field = 'seen:' .. s[1]
  local old = redis.call('HGET', KEYS[2], field)
  redis.call('HSET', KEYS[2], field, old and (old .. ' ' .. s[2]) or s[2])
end
redis.call('HSET', KEYS[4], unpack(a.metas))
redis.call('SET', KEYS[5], a.paper)
redis.call('RPUSH', KEYS[6], now .. ' start ' .. (used + 1))
redis.call('HSET', KEYS[2], 'used:' .. exam, used + 1, 'active', a.attemptId)
return { 'ok', now, used + 1 }
