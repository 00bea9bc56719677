-- Shared by every attempt script (prepended when the scripts are loaded). The layout is version 2
-- (codecs.ts decodes it). The attempt hash holds:
--   v  layout version    st  in_progress | closed | settled    n  number of sections    cur  current section
--   sid<i> section id   d<i> duration ms   s<i> started at   e<i> deadline   x<i> ended at
--   h<i> how the section ended: submit | time
--   lb  position of the log's first entry in the try's whole history (0 unless put back from Postgres)
-- Log entries are "<ms> <kind> …" separated by spaces (ids contain no whitespace).
-- Times are milliseconds of the Redis server clock (TIME): one clock for every API process.

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function authorized(session_key, internal)
  return internal == '1' or redis.call('EXISTS', session_key) == 1
end

-- Closes every section whose deadline has passed, starting the next one at that deadline with its
-- full time (sections run back to back). Returns true when the attempt moved.
local function advance(akey, lkey, now)
  local f = redis.call('HMGET', akey, 'st', 'cur', 'n')
  if f[1] ~= 'in_progress' then return false end
  local cur, n = tonumber(f[2]), tonumber(f[3])
  local moved = false
  while true do
    local e = tonumber(redis.call('HGET', akey, 'e' .. cur))
    if now < e then break end
    moved = true
    redis.call('HSET', akey, 'h' .. cur, 'time', 'x' .. cur, e)
    redis.call('RPUSH', lkey, e .. ' timeout ' .. cur)
    if cur + 1 >= n then
      redis.call('HSET', akey, 'st', 'closed', 'closedAt', e)
      redis.call('RPUSH', lkey, e .. ' closed')
      break
    end
    cur = cur + 1
    local d = tonumber(redis.call('HGET', akey, 'd' .. cur))
    redis.call('HSET', akey, 'cur', cur, 's' .. cur, e, 'e' .. cur, e + d)
    redis.call('RPUSH', lkey, e .. ' section ' .. cur)
  end
  return moved
end

-- The attempt as the API renders it: its hash, its answers, and the paper when asked for.
local function snapshot(akey, anskey, pkey, now, moved, with_paper)
  local paper = false
  if with_paper == '1' then paper = redis.call('GET', pkey) end
  return { 'ok', now, moved and 1 or 0, redis.call('HGETALL', akey), redis.call('HGETALL', anskey), paper }
end
