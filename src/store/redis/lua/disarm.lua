-- Disarms one arming (ARGV[3] = id), every arming of a key (ARGV[4]), or everything; returns how many.
local by_id, by_key = ARGV[3], ARGV[4]
local n = 0
for _, id in ipairs(redis.call('ZRANGE', P .. 'armed', 0, -1)) do
  local a = redis.call('HMGET', P .. 'arm:' .. id, 'scenario', 'key', 'phase')
  local gone
  if by_id ~= '' then gone = id == by_id elseif by_key ~= '' then gone = a[2] == by_key else gone = true end
  if gone then
    redis.call('DEL', P .. 'arm:' .. id)
    redis.call('ZREM', P .. 'armed', id)
    emit('scenario', 'disarmed', arm_data(id, a[1], a[2], 0, a[3]))
    n = n + 1
  end
end
return n
