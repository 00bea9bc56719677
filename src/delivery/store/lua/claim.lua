-- KEYS: dirty, claimed (one checkpoint bucket; both share its hash tag)
-- ARGV: visibility ms, max
-- Claims up to `max` marked tries for one worker's checkpoint. Claims older than the visibility
-- (their worker died before it acknowledged them) go back to the dirty set first, so a mark is
-- only ever dropped once a checkpoint that started after it has been written.
local now = now_ms()
local stale = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[1]), 'LIMIT', 0, 1000)
for _, m in ipairs(stale) do redis.call('ZADD', KEYS[1], 'NX', now, m) end
if #stale > 0 then redis.call('ZREM', KEYS[2], unpack(stale)) end
local items = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
if #items == 0 then return {} end
redis.call('ZREM', KEYS[1], unpack(items))
local args = {}
for _, m in ipairs(items) do
  args[#args + 1] = now
  args[#args + 1] = m
end
redis.call('ZADD', KEYS[2], unpack(args))
return items
