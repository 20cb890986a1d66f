-- 401 or not, creating nothing. ARGV[3]: key, ARGV[4]: "1" under --keys FILE.
if refused(ARGV[3], ARGV[4]) then return 0 end
return 1
