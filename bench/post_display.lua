wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer demo-publishable-token"
wrk.body = '{"leadUuid":"f914eb07-a64f-51d8-b882-ff508a8c5c81","rateTableUuid":"952a1184-d369-5958-9a0f-bec903e11c48","offerUuid":"3426f971-1aa5-5cb0-91a9-cf2edcfa5dfa"}'
