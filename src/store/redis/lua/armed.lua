-- Every arming, in arming order: { id, scenario, key, remaining, phase, params, id, … }.
local out = {}
for _, id in ipairs(redis.call('ZRANGE', P .. 'armed', 0, -1)) do
  local a = redis.call('HMGET', P .. 'arm:' .. id, 'scenario', 'key', 'remaining', 'phase', 'params')
  if a[1] then
    out[#out + 1] = id
    for i = 1, 5 do out[#out + 1] = a[i] end
  end
end
return out
