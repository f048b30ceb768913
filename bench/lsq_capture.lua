-- POST LeadManagement.svc/Lead.Capture of 500 people in turn: each is
-- created once, then matched by email and updated, with a "Lead Capture"
-- activity every time. Spread over four accounts without a rate limit
-- (bench/routes.sh makes them each round, and writes the round's prefix
-- over bench-lsq-%d), since an account keeps at most 16 MiB of writes.
local n = 0
request = function()
  n = n + 1
  local person = n % 500 + 1
  local path = string.format("/v2/LeadManagement.svc/Lead.Capture?accessKey=bench-lsq-%d&secretKey=bench-lsq-secret", n % 4 + 1)
  local body = string.format('[{"Attribute":"FirstName","Value":"Bench"},{"Attribute":"LastName","Value":"Lead %d"},{"Attribute":"EmailAddress","Value":"bench-%d@example.com"},{"Attribute":"Phone","Value":"41555%05d"},{"Attribute":"Source","Value":"Webinar"}]', person, person, person)
  return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end
