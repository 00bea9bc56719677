-- Reserves one login attempt on a failure counter (KEYS[1]) before the password is checked, so that
-- a parallel burst cannot pass the limit: it counts until the attempt turns out right (then the
-- caller clears or releases it) and stays counted when it turns out wrong.
-- ARGV: limit, window (s). Reply: {1, count, ttl} reserved, or {0, count, ttl} refused (nothing kept).
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  -- A counter without an expiry would lock forever; give it the window.
  redis.call('EXPIRE', KEYS[1], ARGV[2])
  ttl = tonumber(ARGV[2])
end
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return {0, n - 1, ttl}
end
return {1, n, ttl}
