-- One key's account view. ARGV: 3 key, 4 keys mode, 5 default credits.
-- Reply: { now, frozen, state, credits, jobs, usage... } with state: none | provisioned | default.
local key = ARGV[3]
local now, frozen = vnow()
if redis.call('SISMEMBER', P .. 'deleted', key) == 1 then return { now, frozen, 'none' } end
local credits = redis.call('HGET', P .. 'acct', key)
local state = 'provisioned'
if not credits then
  if ARGV[4] == '1' then return { now, frozen, 'none' } end
  credits, state = ARGV[5], 'default'
end
local out = { now, frozen, state, tonumber(credits), redis.call('ZCARD', P .. 'jobidx:' .. key) }
for _, n in ipairs(usage(key, now)) do out[#out + 1] = n end
return out
