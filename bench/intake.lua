-- Intake API deliveries under load: every request posts a support ticket as JSON with the
-- project's secret key; each carries its own external id (a new issue), unless INTAKE_REPEAT
-- is set, when every request repeats that one id (one issue, then 200s).
--
--   INTAKE_SECRET=sk_… INTAKE_PREFIX=run1 wrk -t2 -c32 -d10s --latency -s bench/intake.lua \
--     http://127.0.0.1:8000/api/intake/WEB/
--
-- `python -m bench --only intake` sets everything up itself (bench/intake_bench.py).
-- Prints "intake: N 201, N 200, N 4xx, N 5xx" at the end.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local secret = os.getenv("INTAKE_SECRET")
  if not secret or secret == "" then
    error("set INTAKE_SECRET (the project's secret intake key)")
  end
  prefix = os.getenv("INTAKE_PREFIX") or "bench"
  repeat_id = os.getenv("INTAKE_REPEAT") or ""
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. secret
  sent = 0
  created, repeated, client_errors, server_errors = 0, 0, 0, 0
end

function request()
  sent = sent + 1
  local external = repeat_id
  if external == "" then
    external = string.format("%s-%d-%d", prefix, id, sent)
  end
  local body = string.format(
    '{"title": "Checkout button does nothing on Safari (ticket %s)", '
      .. '"description": "Reported through the help desk.", "source": "support_ticket", '
      .. '"requester": {"email": "customer%d@bench.example", "name": "Bench customer"}, '
      .. '"words": "I click Pay and nothing happens.", "external_id": "%s", '
      .. '"external_url": "https://support.example.com/tickets/%s"}',
    external, sent % 500, external, external
  )
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  elseif status == 200 then
    repeated = repeated + 1
  elseif status >= 500 then
    server_errors = server_errors + 1
  else
    client_errors = client_errors + 1
  end
end

function done(summary, latency, requests)
  local totals = {0, 0, 0, 0}
  for _, thread in ipairs(threads) do
    totals[1] = totals[1] + thread:get("created")
    totals[2] = totals[2] + thread:get("repeated")
    totals[3] = totals[3] + thread:get("client_errors")
    totals[4] = totals[4] + thread:get("server_errors")
  end
  io.write(string.format("intake: %d 201, %d 200, %d 4xx, %d 5xx\n",
    totals[1], totals[2], totals[3], totals[4]))
end
