-- The shared virtual clock. ARGV[3]: get | advance | freeze | resume; ARGV[4]: ms to advance.
-- The offset is from Redis' TIME, so every replica reads the same now.
local action = ARGV[3]
local now, frozen = vnow()
if action == 'get' then return { now, frozen } end
if action == 'advance' then
  local ms = tonumber(ARGV[4])
  if frozen == 1 then redis.call('HSET', KEYS[1], 'frozen', now + ms)
  else redis.call('HINCRBY', KEYS[1], 'offset', ms) end
elseif action == 'freeze' then
  if frozen == 0 then redis.call('HSET', KEYS[1], 'frozen', now) end
elseif action == 'resume' then
  if frozen == 1 then
    redis.call('HSET', KEYS[1], 'offset', now - wall_ms())
    redis.call('HDEL', KEYS[1], 'frozen')
  end
else
  return redis.error_reply('clock: unknown action ' .. action)
end
now, frozen = vnow()
local data = '{"now_ms":' .. now .. ',"frozen":' .. (frozen == 1 and 'true' or 'false')
if action == 'advance' then data = data .. ',"advanced_ms":' .. ARGV[4] end
emit('clock', action, data .. '}')
return { now, frozen }
