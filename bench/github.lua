-- wrk script for bench/webhooks.sh: POSTs one GitHub `issues` delivery, byte for byte, to the URL
-- given to wrk, with the headers GitHub sends.
--   wrk ... -s bench/github.lua URL -- BODY_FILE SIGNATURE
-- BODY_FILE is the exact body; SIGNATURE its `sha256=<hex HMAC-SHA256 with the webhook's secret>`
-- (computed by webhooks.sh: wrk's Lua has no HMAC). At the end it prints one `RESULT` line that
-- webhooks.sh parses (latencies in microseconds).
-- With BENCH_SUBSCRIPTIONS="id1,id2,..." in the environment, requests go round-robin to
-- /webhooks/<id> of each instead (webhooks.sh's many-subscriptions diagnostic row).

local paths = {}
for id in string.gmatch(os.getenv("BENCH_SUBSCRIPTIONS") or "", "[^,%s]+") do
  paths[#paths + 1] = "/webhooks/" .. id
end
if #paths > 0 then
  local n = 0
  function request()
    n = n + 1
    return wrk.format(nil, paths[n % #paths + 1])
  end
end

function init(args)
  local file = assert(io.open(args[1], "rb"), "cannot open the body file " .. tostring(args[1]))
  local body = file:read("*a")
  file:close()
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["User-Agent"] = "GitHub-Hookshot/5a2a3d1"
  wrk.headers["Accept"] = "*/*"
  wrk.headers["X-GitHub-Event"] = "issues"
  wrk.headers["X-GitHub-Delivery"] = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
  wrk.headers["X-GitHub-Hook-ID"] = "292430182"
  wrk.headers["X-GitHub-Hook-Installation-Target-ID"] = "79929171"
  wrk.headers["X-GitHub-Hook-Installation-Target-Type"] = "repository"
  wrk.headers["X-Hub-Signature-256"] = args[2]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "non2xx=%d connect=%d read=%d write=%d timeout=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
