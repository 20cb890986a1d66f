-- Records a delivery attempt. Its id comes from a counter; a first delivery
-- takes over its job's claim lease, and every pending attempt holds a lease
-- until it settles. ARGV: 3 the record as JSON (no id), 4 job id, 5 outcome,
-- 6 redelivery ("1") or first ("0"), 7 lease ms. Reply: the id.
local n = redis.call('HINCRBY', P .. 'seq', 'dlv', 1)
local id = string.format('dlv_%06d', n)
local rec = '{"id":"' .. id .. '",' .. string.sub(ARGV[3], 2)
redis.call('HSET', P .. 'dlv:' .. id, 'r', rec, 'outcome', ARGV[5])
redis.call('ZADD', P .. 'dlvs', n, id)
redis.call('RPUSH', P .. 'dlvjob:' .. ARGV[4], id)
if ARGV[6] == '0' then lease_drop('j:' .. ARGV[4]) end
if ARGV[5] == 'pending' then
  redis.call('ZADD', P .. 'leases', wall_ms() + tonumber(ARGV[7]), 'd:' .. id)
end
emit('delivery', 'attempt', rec)
return id
