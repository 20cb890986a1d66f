-- Deliveries whose replica died before they settled: recorded `abandoned`,
-- never retried (the docs promise one attempt). A lease is past when Redis'
-- TIME passes it. Reply: how many.
local wall = wall_ms()
local n = 0
for _, m in ipairs(redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', wall, 'LIMIT', 0, 100)) do
  local info = redis.call('HGET', P .. 'lease', m)
  lease_drop(m)
  local kind, id = string.sub(m, 1, 1), string.sub(m, 3)
  if kind == 'd' then
    local dk = P .. 'dlv:' .. id
    local d = redis.call('HMGET', dk, 'r', 'outcome')
    if d[1] and d[2] == 'pending' then
      local rec = cjson.decode(d[1])
      rec.outcome = 'abandoned'
      rec.error = 'replica ' .. rec.replica .. ' sent this and stopped before it settled; not retried (one attempt, as documented)'
      rec = cjson.encode(rec)
      redis.call('HSET', dk, 'r', rec, 'outcome', 'abandoned')
      emit('delivery', 'outcome', rec)
      n = n + 1
    end
  elseif info and redis.call('EXISTS', P .. 'job:' .. id) == 1 then
    local l = cjson.decode(info)
    local seq = redis.call('HINCRBY', P .. 'seq', 'dlv', 1)
    local did = string.format('dlv_%06d', seq)
    local rec = cjson.encode({ id = did, jobId = id, key = l.key, url = l.url, event = l.event, redeliveryOf = NULL, tamper = NULL,
      requestHeaders = {}, requestBody = '', startedAt = l.claimedAt, outcome = 'abandoned', responseStatus = NULL, durationMs = NULL, replica = l.replica,
      error = 'replica ' .. l.replica .. ' claimed this webhook and stopped before sending it; not retried (one attempt, as documented)' })
    redis.call('HSET', P .. 'dlv:' .. did, 'r', rec, 'outcome', 'abandoned')
    redis.call('ZADD', P .. 'dlvs', seq, did)
    redis.call('RPUSH', P .. 'dlvjob:' .. id, did)
    emit('delivery', 'attempt', rec)
    n = n + 1
  end
end
return n
