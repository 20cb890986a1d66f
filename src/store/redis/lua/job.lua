-- One job as stored (any key), with the virtual now. ARGV[3]: job id.
local now, frozen = vnow()
local r = job_reply(ARGV[3])
if not r[1] then return { 'none', now, frozen } end
return { 'ok', now, frozen, r[1], r[2], r[3], r[4] }
