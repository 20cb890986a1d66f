-- A shared counter. ARGV: 3 name, 4 field, 5 by.
redis.call('SADD', P .. 'ctrs', ARGV[3])
return redis.call('HINCRBY', P .. 'ctr:' .. ARGV[3], ARGV[4], ARGV[5])
