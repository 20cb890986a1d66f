-- --keys FILE at start: remembers the list (a reset restores it) and gives each
-- listed key its starting balance unless it already has an account (a restart
-- keeps balances). ARGV: 3.. key, credits, key, credits, …
redis.call('DEL', P .. 'keysfile')
for i = 3, #ARGV, 2 do
  redis.call('HSET', P .. 'keysfile', ARGV[i], ARGV[i + 1])
  if redis.call('HEXISTS', P .. 'acct', ARGV[i]) == 0 and redis.call('SISMEMBER', P .. 'deleted', ARGV[i]) == 0 then
    create_account(ARGV[i], ARGV[i + 1])
  end
end
return 1
