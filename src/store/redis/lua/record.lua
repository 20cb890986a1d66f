-- A journal entry: on the event stream (its id is the entry's id) and in the
-- capped journal list. ARGV: 3 the request event as JSON, 4 journal size.
local id = redis.call('XADD', P .. 'events', 'MAXLEN', '~', EVENTS_MAX, '*', 'e', ARGV[3])
redis.call('LPUSH', P .. 'journal', id .. ' ' .. ARGV[3])
redis.call('LTRIM', P .. 'journal', 0, tonumber(ARGV[4]) - 1)
return id
