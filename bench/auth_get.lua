wrk.headers["Authorization"] = "Bearer demo-confidential-token"
