-- bench/request.lua: the method and body of the benchmarked request, from
-- the environment set by bench/run.sh (BENCH_METHOD, BENCH_BODY).  The
-- request is built once (no request() function), so it costs wrk nothing
-- per request.
local m = os.getenv("BENCH_METHOD")
if m and m ~= "" then
	wrk.method = m
end
local b = os.getenv("BENCH_BODY")
if b and b ~= "" then
	wrk.body = b
	if not wrk.headers["Content-Type"] then
		wrk.headers["Content-Type"] = "application/json"
	end
end
