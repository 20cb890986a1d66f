-- A whole submit, atomically, in the order of MemoryStore.submit:
-- authorize, armed scenario, before-charge scenarios, rate check, account
-- (created on first charge), credits, submission_error, charge, job, rate
-- record, due entries. ARGV[3]: the command as JSON, with one planned job per
-- scenario the submit may end with (JS plans jobs; times relative to submit).
-- Reply: { status, now, frozen, scenario, extra }.
local c = cjson.decode(ARGV[3])
local now, frozen = vnow()
local key = c.key
if refused(key, c.keysMode) then return { 'unauthorized', now, frozen, '' } end

local scenario = c.scenario
if scenario == NULL then
  local taken = take_armed(key, 'submit', set_of(c.armable))
  scenario = taken and taken[2] or ''
end
if BEFORE_CHARGE[scenario] then return { 'early', now, frozen, scenario } end

local rk
if c.limit > 0 then
  rk = rate_trim(c.bucket, key, now)
  if redis.call('ZCARD', rk) >= c.limit then
    local oldest = redis.call('ZRANGE', rk, 0, 0, 'WITHSCORES')[2]
    return { 'rate', now, frozen, scenario, tonumber(oldest) }
  end
end

local acct = P .. 'acct'
local credits = redis.call('HGET', acct, key)
if not credits then
  if redis.call('HLEN', acct) >= c.maxKeys then return { 'keylimit', now, frozen, scenario } end
  credits = c.credits
  create_account(key, credits)
  emit('account', 'created', '{"key":' .. jstr(key) .. ',"credits":' .. credits .. '}')
end
credits = tonumber(credits)
if credits < c.cost then return { 'credits', now, frozen, scenario, credits } end
-- Charged and refunded in one step: the balance never shows the charge.
if scenario == REFUNDED then return { 'submission', now, frozen, scenario } end

local plan = c.plans[scenario]
if not plan then return redis.error_reply('submit: no planned job for scenario "' .. scenario .. '"') end
credits = redis.call('HINCRBY', acct, key, -c.cost)

local id = c.id
local fin, exp = now + plan.fin, now + plan.exp
local ev = cjson.decode(plan.ev)
for _, f in ipairs({ 'created_ms', 'processing_ms', 'finished_ms', 'expires_ms' }) do ev[f] = ev[f] + now end
ev = cjson.encode(ev)
redis.call('HSET', P .. 'job:' .. id, 'd', plan.d, 't0', now, 'key', key, 'model', c.model, 'exp', exp, 'fin', fin,
  'wh', c.webhook, 'out', plan.out, 'se', plan.se, 'nf', 0, 'ev', ev)
redis.call('ZADD', P .. 'jobs', now, id)
redis.call('ZADD', P .. 'jobidx:' .. key, now, id)
if rk then rate_record(c.bucket, key, now) else redis.call('SADD', P .. 'users', key) end
if c.webhook ~= '' then redis.call('ZADD', P .. 'due', fin, 't:' .. id) end
redis.call('ZADD', P .. 'due', exp, 'x:' .. id)
emit('account', 'charged', '{"key":' .. jstr(key) .. ',"credits":' .. credits .. ',"delta":' .. (-c.cost) .. '}')
emit('job', 'created', ev)
return { 'ok', now, frozen, scenario, credits }
