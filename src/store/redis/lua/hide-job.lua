-- Fault poll_not_found: the next N polls of a job answer 404. ARGV[3]: id, ARGV[4]: count.
local jk = P .. 'job:' .. ARGV[3]
if redis.call('EXISTS', jk) == 1 then redis.call('HSET', jk, 'nf', ARGV[4]) end
return 1
