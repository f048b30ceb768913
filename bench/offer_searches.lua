-- POST /offerSearches: a new lead each time (no uuid, so leadsim issues
-- one), with the body Engine's offer carousel sends.
local n = 0
local kinds = {'"EarnedWageAccess","CashAdvance"', '"UnsecuredPersonalLoan"', '"CashRewards","BankingAccount"'}
request = function()
  n = n + 1
  local body = string.format(
    '{"deviceId":"77449c35-820c-4132-9615-5c67656ce754","sessionInformation":{"ipAddress":"","userAgent":"Mozilla/5.0"},"productTypes":[%s],"clientTags":{"os":[""],"isMobile":["false"],"app":["apps/dynamic-offers"],"subid":["s%d"]},"personalInformation":{"state":"TX"}}',
    kinds[n % 3 + 1], n % 100)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Authorization"] = "Bearer demo-publishable-token", ["Api-Version"] = "2026-02-25"}, body)
end
