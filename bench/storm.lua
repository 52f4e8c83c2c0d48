-- bench/storm.lua: the login storm's requests, each to the next of the
-- accounts storm-1 .. storm-N@bench.guichet.test (BENCH_STORM_ACCOUNTS,
-- made by bench/run.sh with the demo resident's password), so that the
-- slow lane's share per account (at most 4 sign-ins waiting or running)
-- does not turn the storm into 429s: what it measures is the hashing.
local n = tonumber(os.getenv("BENCH_STORM_ACCOUNTS")) or 16
local pw = os.getenv("BENCH_PASSWORD")
local bodies = {}
for i = 1, n do
	bodies[i] = "grant_type=password&username=storm-" .. i ..
	    "%40bench.guichet.test&password=" .. pw
end
local next_one = 0

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"

function init(args)
	-- Threads start at different accounts.
	next_one = math.random(n) - 1
end

function request()
	next_one = next_one % n + 1
	return wrk.format(nil, nil, nil, bodies[next_one])
end
