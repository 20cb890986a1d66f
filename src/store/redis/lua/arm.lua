-- Arms a scenario or fault. ARGV: 3 scenario, 4 key or "" (every key), 5 count, 6 phase, 7 params JSON or "null".
local id = 'arm_' .. redis.call('HINCRBY', P .. 'seq', 'arm', 1)
local n = tonumber(string.sub(id, 5))
redis.call('HSET', P .. 'arm:' .. id, 'scenario', ARGV[3], 'key', ARGV[4], 'remaining', ARGV[5], 'phase', ARGV[6], 'params', ARGV[7])
redis.call('ZADD', P .. 'armed', n, id)
emit('scenario', 'armed', arm_data(id, ARGV[3], ARGV[4], ARGV[5], ARGV[6]))
return id
