-- Everything (ARGV[3] = ""), or one key's state. The clock, the id counters and
-- the event stream stay, as in the memory store.
local key = ARGV[3]
if key ~= '' then
  forget_key(key)
  reseed(key)
  emit('reset', 'reset', '{"key":' .. jstr(key) .. '}')
  return 1
end
for _, id in ipairs(redis.call('ZRANGE', P .. 'jobs', 0, -1)) do
  redis.call('DEL', P .. 'job:' .. id, P .. 'dlvjob:' .. id)
end
for _, d in ipairs(redis.call('ZRANGE', P .. 'dlvs', 0, -1)) do redis.call('DEL', P .. 'dlv:' .. d) end
for _, u in ipairs(redis.call('SMEMBERS', P .. 'users')) do
  redis.call('DEL', P .. 'jobidx:' .. u)
  for _, b in ipairs(BUCKETS) do redis.call('DEL', rate_key(b, u)) end
end
for _, id in ipairs(redis.call('ZRANGE', P .. 'armed', 0, -1)) do redis.call('DEL', P .. 'arm:' .. id) end
for _, name in ipairs(redis.call('SMEMBERS', P .. 'ctrs')) do redis.call('DEL', P .. 'ctr:' .. name) end
redis.call('DEL', P .. 'jobs', P .. 'dlvs', P .. 'due', P .. 'leases', P .. 'lease', P .. 'users', P .. 'armed',
  P .. 'journal', P .. 'ctrs', P .. 'acct', P .. 'acctord', P .. 'deleted')
for _, k in ipairs(redis.call('HKEYS', P .. 'keysfile')) do reseed(k) end
emit('reset', 'reset', '{"key":null}')
return 1
