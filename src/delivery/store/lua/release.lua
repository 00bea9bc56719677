-- KEYS: state
-- ARGV: attempt id
-- Frees the candidate's `active` slot when it names an attempt that exists nowhere any more.
if redis.call('HGET', KEYS[1], 'active') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'active')
  return { 'ok', 'released' }
end
return { 'ok', 'kept' }
