-- KEYS: session, profile, state
-- ARGV: internal
-- What starting a try needs to know before the paper is drawn in Node.
if not authorized(KEYS[1], ARGV[1]) then return { 'err', 'nosession' } end
if redis.call('HEXISTS', KEYS[3], 'loaded') == 0 or redis.call('EXISTS', KEYS[2]) == 0 then
  return { 'err', 'nostate' }
end
return { 'ok', now_ms(), redis.call('HGETALL', KEYS[2]), redis.call('HGETALL', KEYS[3]) }
