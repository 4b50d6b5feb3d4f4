-- Appended to every workload script by run.sh: prints one machine-readable
-- line with the request count, duration, latency percentiles (us), errors.
function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
	    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d " ..
	    "errors=%d non2xx=%d\n",
	    summary.requests, summary.duration,
	    latency:percentile(50), latency:percentile(99),
	    e.connect + e.read + e.write + e.timeout, e.status))
end
