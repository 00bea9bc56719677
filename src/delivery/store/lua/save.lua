-- KEYS: session, attempt, questions, answers, log
-- ARGV: internal, grace_ms, bucket capacity, ms per token, then pairs of question id and chosen
--       letters ("" clears)
-- Answers equal to what is stored are acknowledged without a write (a client's resends cost no
-- memory). Changes spend tokens of a per-try bucket (fields tk, tt), so one client cannot grow the
-- try's log and record without bound: a request costs max(1, changes) tokens.
if not authorized(KEYS[1], ARGV[1]) then return { 'err', 'nosession' } end
if redis.call('EXISTS', KEYS[2]) == 0 then return { 'err', 'not_found' } end
local now = now_ms()
local moved = advance(KEYS[2], KEYS[5], now)
local grace = tonumber(ARGV[2])
local a = redis.call('HMGET', KEYS[2], 'st', 'cur')
local st, cur = a[1], tonumber(a[2])

-- Validate everything first: a request is applied whole or not at all.
local writes = {}
local accepted = 0
for i = 5, #ARGV, 2 do
  local qid, letters = ARGV[i], ARGV[i + 1]
  local meta = redis.call('HGET', KEYS[3], qid)
  if not meta then return { 'err', 'question_not_in_section', qid } end
  -- meta = "<section index>|<s|m|t>|<bank keys in display order>"
  local sec, typ, order = string.match(meta, '^(%d+)|(%a)|(%u+)$')
  sec = tonumber(sec)
  if sec > cur then return { 'err', 'question_not_in_section', qid } end
  if st ~= 'in_progress' or sec < cur then
    -- The section has ended; an answer sent before a time-out may still arrive within the grace.
    local h = redis.call('HMGET', KEYS[2], 'h' .. sec, 'x' .. sec)
    if st == 'settled' or h[1] ~= 'time' or now > tonumber(h[2]) + grace then
      return { 'err', 'section_closed', qid }
    end
  end
  if #letters > 1 and typ ~= 'm' then return { 'err', 'invalid_choice', qid } end
  local picked, seen = {}, {}
  for j = 1, #letters do
    local l = string.sub(letters, j, j)
    local pos
    if typ == 't' then pos = string.find(order, l, 1, true) else pos = string.byte(l) - 64 end
    if not pos or pos < 1 or pos > #order or seen[l] then return { 'err', 'invalid_choice', qid } end
    seen[l] = true
    picked[#picked + 1] = string.sub(order, pos, pos)
  end
  table.sort(picked)
  local keys = table.concat(picked)
  accepted = accepted + 1
  if (redis.call('HGET', KEYS[4], qid) or '') ~= keys then
    writes[#writes + 1] = qid
    writes[#writes + 1] = keys
  end
end

local capacity, per_token = tonumber(ARGV[3]), tonumber(ARGV[4])
local b = redis.call('HMGET', KEYS[2], 'tk', 'tt')
local tokens = tonumber(b[1] or capacity)
if b[2] then tokens = math.min(capacity, tokens + (now - tonumber(b[2])) / per_token) end
local cost = math.max(1, #writes / 2)
if tokens < cost then return { 'err', 'rate_limited', math.ceil((cost - tokens) * per_token) } end
redis.call('HSET', KEYS[2], 'tk', tokens - cost, 'tt', now)

for i = 1, #writes, 2 do
  if writes[i + 1] == '' then
    redis.call('HDEL', KEYS[4], writes[i])
  else
    redis.call('HSET', KEYS[4], writes[i], writes[i + 1])
  end
  redis.call('RPUSH', KEYS[5], now .. ' answer ' .. writes[i] .. ' ' .. writes[i + 1])
end
return { 'ok', now, moved and 1 or 0, accepted }
