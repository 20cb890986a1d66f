-- The claimer keeps a claimed webhook itself (fault webhook_delay holds it in
-- its process): the claim is no longer swept as abandoned. ARGV[3]: job id.
lease_drop('j:' .. ARGV[3])
return 1
