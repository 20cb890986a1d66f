-- Sets a balance, creating (or restoring a deleted) key. ARGV: 3 key, 4 credits.
local key, credits = ARGV[3], tonumber(ARGV[4])
local now, frozen = vnow()
redis.call('SREM', P .. 'deleted', key)
create_account(key, credits)
emit('account', 'set', '{"key":' .. jstr(key) .. ',"credits":' .. credits .. '}')
local out = { now, frozen, 'provisioned', credits, redis.call('ZCARD', P .. 'jobidx:' .. key) }
for _, n in ipairs(usage(key, now)) do out[#out + 1] = n end
return out
