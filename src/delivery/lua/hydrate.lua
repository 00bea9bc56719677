-- KEYS: profile, state
-- ARGV: profile field count, profile fields and values…, then state fields and values…
-- Rebuilds a candidate's hot state from Postgres (first use, or after Redis lost its data). The
-- profile is always refreshed; the state only when absent, so a concurrent start is never undone.
local np = tonumber(ARGV[1])
redis.call('DEL', KEYS[1])
if np > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 2, 1 + np * 2)) end
if redis.call('HEXISTS', KEYS[2], 'loaded') == 1 then return { 'ok', 'kept' } end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], 'loaded', '1', unpack(ARGV, 2 + np * 2))
return { 'ok', 'loaded' }
