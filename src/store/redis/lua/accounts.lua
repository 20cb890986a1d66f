-- Every account, in the order they were created: { now, frozen, key, credits, jobs, usage..., key, ... }.
local now, frozen = vnow()
local out = { now, frozen }
for _, key in ipairs(redis.call('ZRANGE', P .. 'acctord', 0, -1)) do
  local credits = redis.call('HGET', P .. 'acct', key)
  if credits then
    out[#out + 1] = key
    out[#out + 1] = tonumber(credits)
    out[#out + 1] = redis.call('ZCARD', P .. 'jobidx:' .. key)
    for _, n in ipairs(usage(key, now)) do out[#out + 1] = n end
  end
end
return out
