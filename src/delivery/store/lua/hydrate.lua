-- KEYS: profile, state
-- ARGV: one JSON object: profile ([field, value…]), state ([field, value…])
-- Rebuilds a candidate's hot state from Postgres (first use, or after Redis lost its data). The
-- profile is always refreshed; the state only when absent, so a concurrent start is never undone.
local a = cjson.decode(ARGV[1])
redis.call('DEL', KEYS[1])
if #a.profile > 0 then redis.call('HSET', KEYS[1], unpack(a.profile)) end
if redis.call('HEXISTS', KEYS[2], 'loaded') == 1 then return { 'ok', 'kept' } end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'loaded', '1', unpack(a.state))
return { 'ok', 'loaded' }
