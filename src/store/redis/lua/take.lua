-- One arming used up outside the submit path. ARGV: 3 key, 4 phase, 5.. applicable names.
local applicable = {}
for i = 5, #ARGV do applicable[ARGV[i]] = true end
local t = take_armed(ARGV[3], ARGV[4], applicable)
if not t then return {} end
return t
