-- POST /api/v1/lead_analytics, spreading events over 1,000 leads and 5
-- recordings so searches see realistic per-lead histories.
local n = 0
request = function()
  n = n + 1
  local body = string.format(
    '{"customer_id":"bench","lead_id":"lead-%d","user_id":"u1","tool_signature":"vfp","recording_id":"r%d","event_type":"view","event_id":"e%d","message":"m","javascript_local_time":"t","version_info":{"key":"value"}}',
    n % 1000, n % 5, n)
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
