-- Forgets a key's state and refuses it (401) until it is set again. ARGV[3]: key.
local key = ARGV[3]
forget_key(key)
redis.call('SADD', P .. 'deleted', key)
emit('account', 'deleted', '{"key":' .. jstr(key) .. ',"credits":null}')
return 1
