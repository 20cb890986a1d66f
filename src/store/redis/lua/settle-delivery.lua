-- Settles a pending delivery (once: a settled or abandoned one stays as it is).
-- ARGV: 3 id, 4 the settlement as JSON. Reply: 1 when settled now, else 0.
local dk = P .. 'dlv:' .. ARGV[3]
local d = redis.call('HMGET', dk, 'r', 'outcome')
if not d[1] or d[2] ~= 'pending' then return 0 end
local rec = cjson.decode(d[1])
local s = cjson.decode(ARGV[4])
for _, f in ipairs({ 'outcome', 'responseStatus', 'error', 'durationMs' }) do rec[f] = s[f] end
rec = cjson.encode(rec)
redis.call('HSET', dk, 'r', rec, 'outcome', s.outcome)
lease_drop('d:' .. ARGV[3])
emit('delivery', 'outcome', rec)
return 1
