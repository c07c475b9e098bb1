-- wrk script: POST pre-signed seed payloads, each body once, each request with a unique delivery id.
-- Usage: wrk ... -s bench/signed.lua <url> -- <run id> <path> <bodies file> <first body> <threads>
-- The bodies file has one "signature<TAB>body" line per payload (bench/served.py writes it). The
-- service answers a body it has seen as a duplicate, so thread t of n sends bodies first+t-1,
-- first+t-1+n, ...; `done` prints the most requests a thread sent, from which
-- bench/served.py finds the first body the next run may use. Past the last body the
-- bodies repeat (and the event count of bench/served.py shows duplicates).

local bodies = {}
counter = 0  -- a global, so that `done` can read each thread's count
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  run_id, path, first, nthreads = args[1], args[2], tonumber(args[4]), tonumber(args[5])
  for line in io.lines(args[3]) do
    local signature, body = line:match("^([^\t]*)\t(.*)$")
    table.insert(bodies, {signature, body})
  end
end

function request()
  counter = counter + 1
  local item = bodies[(first + tid - 1 + (counter - 1) * nthreads) % #bodies + 1]
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-Hub-Signature"] = item[1],
    ["X-Atlassian-Webhook-Identifier"] = run_id .. "-" .. tid .. "-" .. counter,
  }
  return wrk.format("POST", path, headers, item[2])
end

function done(summary, latency, requests)
  local e = summary.errors
  local most = 0
  for _, thread in ipairs(threads) do
    most = math.max(most, thread:get("counter"))
  end
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"status_errors":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"most_per_thread":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, most))
end

