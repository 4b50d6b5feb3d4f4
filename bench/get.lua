-- wrk workload: GET poll of one resource_id; the URL given to wrk names it.
wrk.method = "GET"
