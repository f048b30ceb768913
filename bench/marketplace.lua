-- POST /leads/rateTables: a new lead each time (no uuid, so leadsim issues
-- one), amounts and credit varying as a lead form's traffic would.
local n = 0
local ratings = {"excellent", "good", "fair", "poor"}
request = function()
  n = n + 1
  local body = string.format(
    '{"productTypes":["loan","savings"],"personalInformation":{"firstName":"Bench","email":"b%d@example.com","state":"TX","zipcode":"73301","dateOfBirth":"1990-01-02","ssn":"123-45-6780"},"loanInformation":{"purpose":"debt_consolidation","loanAmount":%d},"creditInformation":{"providedCreditRating":"%s"},"financialInformation":{"annualIncome":%d},"clientTags":{"subid":["s%d"]}}',
    n, 2000 + (n % 40) * 1000, ratings[n % 4 + 1], 30000 + (n % 10) * 10000, n % 100)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json", ["Authorization"] = "Bearer demo-publishable-token"}, body)
end
