-- KEYS: attempt, answers, log
-- ARGV: log entries Postgres already holds (absolute position), whole (1: read everything)
-- What a checkpoint writes: the log entries after that position, plus the attempt hash when one of
-- them is not an answer (a section moved, a submit, the close). Everything (attempt hash and all
-- answers) when asked, or when the two disagree on the log (Redis lost data and was put back).
-- The attempt hash's `lb` is the absolute position of the log's first entry (0 unless restored).
if redis.call('EXISTS', KEYS[1]) == 0 then return { 'gone' } end
-- A settled try's whole record is written by its `finished` job.
if redis.call('HGET', KEYS[1], 'st') == 'settled' then return { 'gone' } end
local base = tonumber(redis.call('HGET', KEYS[1], 'lb') or '0')
local to = base + redis.call('LLEN', KEYS[3])
local from = tonumber(ARGV[1])
if ARGV[2] == '1' or from < base or from > to then
  return { 'whole', to, redis.call('HGETALL', KEYS[1]), redis.call('HGETALL', KEYS[2]) }
end
local entries = redis.call('LRANGE', KEYS[3], from - base, -1)
for _, e in ipairs(entries) do
  if not string.find(e, '^%d+ answer ') then
    return { 'delta', to, entries, redis.call('HGETALL', KEYS[1]) }
  end
end
return { 'delta', to, entries, false }
