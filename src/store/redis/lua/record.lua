-- Journal entries, oldest first: each on the event stream (its id is the
-- entry's id) and in the capped journal list. ARGV: 3 journal size, 4.. the
-- request events as JSON.
local journal = P .. 'journal'
for i = 4, #ARGV do
  local id = redis.call('XADD', P .. 'events', 'MAXLEN', '~', EVENTS_MAX, '*', 'e', ARGV[i])
  redis.call('LPUSH', journal, id .. ' ' .. ARGV[i])
end
redis.call('LTRIM', journal, 0, tonumber(ARGV[3]) - 1)
return 1
