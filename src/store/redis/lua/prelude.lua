-- Shared by every script: prepended when the scripts are loaded, after a header
-- that JS renders from the domain tables (BUCKETS, WINDOW_MS, BEFORE_CHARGE,
-- REFUNDED, EVENTS_MAX), so each fact keeps one source.
-- KEYS[1] is the clock; ARGV[1] the namespace prefix ("ns:"); ARGV[2] the replica.
-- Keys other than the clock are derived from the prefix: one Redis, not a Cluster.
local P = ARGV[1]
local REPLICA = cjson.encode(ARGV[2])
local NULL = cjson.null

-- Virtual now: the frozen instant, or Redis' TIME plus the stored offset.
-- Time stands still within one script, and Redis 7 replicates effects, so TIME is safe.
local function wall_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function vnow()
  local c = redis.call('HMGET', KEYS[1], 'offset', 'frozen')
  if c[2] then return tonumber(c[2]), 1 end
  return wall_ms() + (tonumber(c[1]) or 0), 0
end

local function jstr(s)
  if s == nil or s == false or s == NULL then return 'null' end
  return cjson.encode(s)
end

-- One event on the capped stream every replica reads; `data` is JSON text.
local function emit(kind, action, data)
  redis.call('XADD', P .. 'events', 'MAXLEN', '~', EVENTS_MAX, '*', 'e',
    '{"kind":"' .. kind .. '","action":"' .. action .. '","replica":' .. REPLICA .. ',"data":' .. data .. '}')
end

local function arm_data(id, scenario, key, remaining, phase)
  return '{"id":' .. jstr(id) .. ',"scenario":' .. jstr(scenario) .. ',"key":' .. (key == '' and 'null' or jstr(key)) ..
    ',"remaining":' .. remaining .. ',"phase":' .. jstr(phase) .. '}'
end

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

-- Uses up one request's worth of the first arming that applies (pickArmed:
-- the key's own first, then one for every key), in arming order.
local function take_armed(key, phase, applicable)
  local ids = redis.call('ZRANGE', P .. 'armed', 0, -1)
  local chosen, global
  for _, id in ipairs(ids) do
    local a = redis.call('HMGET', P .. 'arm:' .. id, 'scenario', 'key', 'phase')
    if a[1] and a[3] == phase and applicable[a[1]] then
      if a[2] == key then chosen = id break end
      if a[2] == '' and not global then global = id end
    end
  end
  chosen = chosen or global
  if not chosen then return nil end
  local hk = P .. 'arm:' .. chosen
  local remaining = redis.call('HINCRBY', hk, 'remaining', -1)
  local a = redis.call('HMGET', hk, 'scenario', 'key', 'phase', 'params')
  if remaining <= 0 then
    redis.call('DEL', hk)
    redis.call('ZREM', P .. 'armed', chosen)
  end
  emit('scenario', 'consumed', arm_data(chosen, a[1], a[2], remaining, a[3]))
  return { chosen, a[1], a[2], remaining, a[3], a[4] }
end

local function rate_key(bucket, key) return P .. 'rl:' .. bucket .. ':' .. key end

-- Accepted requests of a key in a bucket over the sliding window (exact log).
local function rate_trim(bucket, key, now)
  local k = rate_key(bucket, key)
  redis.call('ZREMRANGEBYSCORE', k, '-inf', now - WINDOW_MS)
  return k
end

local function rate_record(bucket, key, now)
  local k = rate_key(bucket, key)
  redis.call('ZADD', k, now, now .. ':' .. redis.call('HINCRBY', P .. 'seq', 'rl', 1))
  redis.call('SADD', P .. 'users', key)
end

local function usage(key, now)
  local out = {}
  for i, b in ipairs(BUCKETS) do out[i] = redis.call('ZCOUNT', rate_key(b, key), '(' .. (now - WINDOW_MS), '+inf') end
  return out
end

local function lease_drop(member)
  redis.call('ZREM', P .. 'leases', member)
  redis.call('HDEL', P .. 'lease', member)
end

local function remove_deliveries(job_id)
  local list = P .. 'dlvjob:' .. job_id
  for _, d in ipairs(redis.call('LRANGE', list, 0, -1)) do
    redis.call('DEL', P .. 'dlv:' .. d)
    redis.call('ZREM', P .. 'dlvs', d)
    lease_drop('d:' .. d)
  end
  redis.call('DEL', list)
end

-- A job and everything that hangs off it: index entries, due entries, deliveries, its claim lease.
local function remove_job(id, key)
  redis.call('DEL', P .. 'job:' .. id)
  redis.call('ZREM', P .. 'jobs', id)
  if key then redis.call('ZREM', P .. 'jobidx:' .. key, id) end
  redis.call('ZREM', P .. 'due', 't:' .. id, 'x:' .. id)
  remove_deliveries(id)
  lease_drop('j:' .. id)
end

-- Every job of a key, its armings (no events, as the memory store), its rate windows and account.
local function forget_key(key)
  local idx = P .. 'jobidx:' .. key
  for _, id in ipairs(redis.call('ZRANGE', idx, 0, -1)) do remove_job(id, nil) end
  redis.call('DEL', idx)
  for _, id in ipairs(redis.call('ZRANGE', P .. 'armed', 0, -1)) do
    if redis.call('HGET', P .. 'arm:' .. id, 'key') == key then
      redis.call('DEL', P .. 'arm:' .. id)
      redis.call('ZREM', P .. 'armed', id)
    end
  end
  for _, b in ipairs(BUCKETS) do redis.call('DEL', rate_key(b, key)) end
  redis.call('SREM', P .. 'users', key)
  redis.call('HDEL', P .. 'acct', key)
  redis.call('ZREM', P .. 'acctord', key)
  redis.call('SREM', P .. 'deleted', key)
end

local function create_account(key, credits)
  redis.call('HSET', P .. 'acct', key, credits)
  redis.call('ZADD', P .. 'acctord', 'NX', redis.call('HINCRBY', P .. 'seq', 'acct', 1), key)
end

-- --keys FILE: a listed key gets its starting balance back (reset), unless it has one.
local function reseed(key)
  local start = redis.call('HGET', P .. 'keysfile', key)
  if start then create_account(key, start) end
end

-- 401 for a deleted key, or one without an account under --keys FILE.
local function refused(key, keys_mode)
  if redis.call('SISMEMBER', P .. 'deleted', key) == 1 then return true end
  return keys_mode == '1' and redis.call('HEXISTS', P .. 'acct', key) == 0
end

-- The fields a job is rebuilt from in JS: relative data, t0 (virtual ms at submit), counters.
local JOB_FIELDS = { 'd', 't0', 'se', 'nf' }
local function job_reply(id)
  return redis.call('HMGET', P .. 'job:' .. id, unpack(JOB_FIELDS))
end
