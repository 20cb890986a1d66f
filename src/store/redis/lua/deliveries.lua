-- Delivery records, oldest first: one job's (ARGV[3]) or all (ARGV[3] = "").
local ids
if ARGV[3] ~= '' then ids = redis.call('LRANGE', P .. 'dlvjob:' .. ARGV[3], 0, -1)
else ids = redis.call('ZRANGE', P .. 'dlvs', 0, -1) end
local out = {}
for _, id in ipairs(ids) do
  local r = redis.call('HGET', P .. 'dlv:' .. id, 'r')
  if r then out[#out + 1] = r end
end
return out
