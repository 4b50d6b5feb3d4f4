-- wrk workload: PUT create with a Flyte-shaped body that bench/bodies.py
-- wrote; run.sh puts its path in place of @BODY@.
wrk.method = "PUT"
local f = assert(io.open("@BODY@", "rb"))
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
