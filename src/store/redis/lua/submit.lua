-- A whole submit, atomically, in the order of MemoryStore.submit:
-- authorize, armed scenario, before-charge scenarios, rate check, --max-keys
-- for a new key, credits, submission_error, account (a new key's, kept only
-- now), charge, job, rate record, due entries. JS plans one job per scenario the submit may end with
-- (times relative to submit). ARGV: 3 key, 4 bucket, 5 cost, 6 the request's
-- scenario or "", 7 rate limit (0: off), 8 default credits, 9 --max-keys,
-- 10 keys mode, 11 armable scenarios (comma-separated), 12 job id,
-- 13 webhook URL or "", 14 model id, 15 chaos's fallback scenario or "" (used
-- when neither the request nor an arming names one), then 7 per plan:
-- scenario, data, event, finished, expires, outcome, status errors.
-- Reply: { status, now, frozen, scenario, extra }.
local key, bucket, cost, limit = ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[7])
local now, frozen = vnow()
if refused(key, ARGV[10]) then return { 'unauthorized', now, frozen, '' } end

local scenario = ARGV[6]
if scenario == '' and ARGV[11] ~= '' then
  local applicable = {}
  for name in string.gmatch(ARGV[11], '[^,]+') do applicable[name] = true end
  local taken = take_armed(key, 'submit', applicable)
  if taken then scenario = taken[2] end
end
if scenario == '' then scenario = ARGV[15] end
if BEFORE_CHARGE[scenario] then return { 'early', now, frozen, scenario } end

local rk
if limit > 0 then
  rk = rate_trim(bucket, key, now)
  if redis.call('ZCARD', rk) >= limit then
    local oldest = redis.call('ZRANGE', rk, 0, 0, 'WITHSCORES')[2]
    return { 'rate', now, frozen, scenario, tonumber(oldest) }
  end
end

-- A new key starts with the default balance, kept only once the charge succeeds:
-- a refused charge (402, a refund) creates no account and takes no place under --max-keys.
local acct = P .. 'acct'
local credits = redis.call('HGET', acct, key)
local created = not credits
if created then
  if redis.call('HLEN', acct) >= tonumber(ARGV[9]) then return { 'keylimit', now, frozen, scenario } end
  credits = ARGV[8]
end
credits = tonumber(credits)
if credits < cost then return { 'credits', now, frozen, scenario, credits } end
-- Charged and refunded in one step: the balance never shows the charge.
if scenario == REFUNDED then return { 'submission', now, frozen, scenario } end

local p
for i = 16, #ARGV, 7 do
  if ARGV[i] == scenario then p = i break end
end
if not p then return redis.error_reply('submit: no planned job for scenario "' .. scenario .. '"') end
if created then
  create_account(key, credits)
  emit('account', 'created', '{"key":' .. jstr(key) .. ',"credits":' .. credits .. '}')
end
credits = redis.call('HINCRBY', acct, key, -cost)

local id, webhook = ARGV[12], ARGV[13]
local fin, exp = now + tonumber(ARGV[p + 3]), now + tonumber(ARGV[p + 4])
local ev = cjson.decode(ARGV[p + 2])
for _, f in ipairs({ 'created_ms', 'processing_ms', 'finished_ms', 'expires_ms' }) do ev[f] = ev[f] + now end
ev = cjson.encode(ev)
redis.call('HSET', P .. 'job:' .. id, 'd', ARGV[p + 1], 't0', now, 'key', key, 'model', ARGV[14], 'exp', exp, 'fin', fin,
  'wh', webhook, 'out', ARGV[p + 5], 'se', ARGV[p + 6], 'nf', 0, 'ev', ev)
redis.call('ZADD', P .. 'jobs', now, id)
redis.call('ZADD', P .. 'jobidx:' .. key, now, id)
if rk then rate_record(bucket, key, now) else redis.call('SADD', P .. 'users', key) end
if webhook ~= '' then redis.call('ZADD', P .. 'due', fin, 't:' .. id) end
redis.call('ZADD', P .. 'due', exp, 'x:' .. id)
emit('account', 'charged', '{"key":' .. jstr(key) .. ',"credits":' .. credits .. ',"delta":' .. (-cost) .. '}')
emit('job', 'created', ev)
return { 'ok', now, frozen, scenario, credits }
