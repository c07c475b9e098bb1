-- wrk script: POST pre-signed seed payloads in rotation, each request with a unique delivery id.
-- Usage: wrk ... -s bench/signed.lua <url> -- <run id> <path> <bodies file>
-- The bodies file has one "signature<TAB>body" line per payload (bench/served.py writes it).
-- Jira signs only the body, so the delivery id header can be unique per request without re-signing.

local bodies = {}
local counter = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  run_id, path = args[1], args[2]
  for line in io.lines(args[3]) do
    local signature, body = line:match("^([^\t]*)\t(.*)$")
    table.insert(bodies, {signature, body})
  end
end

function request()
  counter = counter + 1
  local item = bodies[(counter + tid * 7919) % #bodies + 1]
  local headers = {
    ["Content-Type"] = "application/json",
    ["X-Hub-Signature"] = item[1],
    ["X-Atlassian-Webhook-Identifier"] = run_id .. "-" .. tid .. "-" .. counter,
  }
  return wrk.format("POST", path, headers, item[2])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"status_errors":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
