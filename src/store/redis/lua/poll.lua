-- A poll, in the order of MemoryStore.poll: authorize, find (own key, live,
-- same model), hidden (fault poll_not_found), the header's rate_limited,
-- rate check and record, the header's status_error, the job's status_error.
-- ARGV: 3 key, 4 job id, 5 model id, 6 header scenario or "", 7 poll limit (0: off), 8 keys mode.
local key, id = ARGV[3], ARGV[4]
local now, frozen = vnow()
if refused(key, ARGV[8]) then return { 'unauthorized', now, frozen } end
local jk = P .. 'job:' .. id
local j = redis.call('HMGET', jk, 'key', 'model', 'exp', 'nf', 'se', 'ev')
if not j[1] or j[1] ~= key or now >= tonumber(j[3]) or j[2] ~= ARGV[5] then return { 'notfound', now, frozen } end
if tonumber(j[4]) > 0 then
  redis.call('HINCRBY', jk, 'nf', -1)
  emit('job', 'updated', j[6])
  return { 'hidden', now, frozen }
end
if ARGV[6] == 'rate_limited' then return { 'rate_limited', now, frozen } end
local limit = tonumber(ARGV[7])
if limit > 0 then
  local rk = rate_trim('poll', key, now)
  if redis.call('ZCARD', rk) >= limit then
    return { 'rate', now, frozen, tonumber(redis.call('ZRANGE', rk, 0, 0, 'WITHSCORES')[2]) }
  end
  rate_record('poll', key, now)
end
if ARGV[6] == 'status_error' then return { 'status', now, frozen } end
if tonumber(j[5]) > 0 then
  redis.call('HINCRBY', jk, 'se', -1)
  emit('job', 'updated', j[6])
  return { 'status', now, frozen }
end
local r = job_reply(id)
return { 'ok', now, frozen, r[1], r[2], r[3], r[4] }
