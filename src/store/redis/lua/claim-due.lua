-- Expires what is due and claims due webhooks for this replica, in time order.
-- Removing an entry from the due set is the claim: exactly one replica gets it.
-- A claimed webhook holds a lease (wall-clock ms, from TIME) until its delivery
-- is recorded; a replica that dies first leaves it to sweep.lua ("abandoned").
-- ARGV: 3 most webhooks to claim, 4 lease ms. Reply: { now, frozen, id, at, d, t0, se, nf, … }.
local limit, lease_ms = tonumber(ARGV[3]), tonumber(ARGV[4])
local now, frozen = vnow()
local out = { now, frozen }
local claimed, budget = 0, 1000
local wall = wall_ms()
while claimed < limit and budget > 0 do
  local due = redis.call('ZRANGEBYSCORE', P .. 'due', '-inf', now, 'WITHSCORES', 'LIMIT', 0, 100)
  if #due == 0 then break end
  for i = 1, #due, 2 do
    local member, at = due[i], tonumber(due[i + 1])
    redis.call('ZREM', P .. 'due', member)
    budget = budget - 1
    local kind, id = string.sub(member, 1, 1), string.sub(member, 3)
    local jk = P .. 'job:' .. id
    local j = redis.call('HMGET', jk, 'key', 'wh', 'out', 'ev')
    if j[1] then
      if kind == 't' then
        local lm = 'j:' .. id
        redis.call('ZADD', P .. 'leases', wall + lease_ms, lm)
        redis.call('HSET', P .. 'lease', lm, cjson.encode({ jobId = id, key = j[1], url = j[2], at = at, claimedAt = now,
          event = j[3] == 'failed' and 'job.failed' or 'job.completed', replica = ARGV[2] }))
        emit('job', 'terminal', j[4])
        local r = job_reply(id)
        out[#out + 1] = id
        out[#out + 1] = at
        for k = 1, 4 do out[#out + 1] = r[k] end
        claimed = claimed + 1
      else
        remove_job(id, j[1])
        emit('job', 'expired', j[4])
      end
    end
    if claimed >= limit or budget <= 0 then break end
  end
end
return out
