-- Jobs newest first (ids break ties, descending), all or one key's.
-- ARGV: 3 key or "", 4 offset, 5 count (-1: all). Reply: { now, frozen, total, d, t0, se, nf, ... }.
local now, frozen = vnow()
local idx = ARGV[3] == '' and (P .. 'jobs') or (P .. 'jobidx:' .. ARGV[3])
local total = redis.call('ZCARD', idx)
local offset, count = tonumber(ARGV[4]), tonumber(ARGV[5])
local stop = count < 0 and -1 or offset + count - 1
local out = { now, frozen, total }
if count ~= 0 then
  for _, id in ipairs(redis.call('ZREVRANGE', idx, offset, stop)) do
    local r = job_reply(id)
    for i = 1, 4 do out[#out + 1] = r[i] end
  end
end
return out
