-- Gives back one reservation of limit-reserve.lua (an attempt that was not a wrong guess). A counter
-- that expired meanwhile is left alone: DECR would make one without an expiry.
if redis.call('EXISTS', KEYS[1]) == 1 then
  if redis.call('DECR', KEYS[1]) <= 0 then redis.call('DEL', KEYS[1]) end
end
return 0
