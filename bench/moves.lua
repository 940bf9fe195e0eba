-- Card moves under load: each request moves one card to the other of two columns ("Move to…"
-- from a board without JavaScript: a form post answered with a redirect), so that moves in
-- both directions, and of the same card, run at once on every worker.
--
--   MOVE_COOKIE='sessionid=…; csrftoken=…' MOVE_CSRF=… MOVE_STATUSES=12,13 MOVE_ISSUES=1,2,3 \
--     wrk -t2 -c32 -d60s --latency -s bench/moves.lua http://127.0.0.1:8000/projects/WEB/board/move/
--
-- MOVE_CSRF is the csrftoken cookie's value (any 32 letters and digits will do);
-- `python -m bench --only throughput` sets everything up itself (bench/throughput.py).
-- Prints "moves: N 2xx/3xx, N 4xx, N 5xx" at the end: 5xx must be 0.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

local function split(text)
  local items = {}
  for item in string.gmatch(text or "", "[^,]+") do
    table.insert(items, item)
  end
  return items
end

function init(args)
  statuses = split(os.getenv("MOVE_STATUSES"))
  cards = split(os.getenv("MOVE_ISSUES"))
  if #statuses ~= 2 or #cards == 0 then
    error("set MOVE_STATUSES (two status ids) and MOVE_ISSUES (issue numbers)")
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = os.getenv("MOVE_COOKIE")
  wrk.headers["X-CSRFToken"] = os.getenv("MOVE_CSRF")
  -- Each thread starts at its own place in the list and flips the cards it moves.
  sent = id * 7
  side = {}
  ok, client_errors, server_errors = 0, 0, 0
end

function request()
  sent = sent + 1
  local card = cards[(sent % #cards) + 1]
  side[card] = 3 - (side[card] or 1 + (sent % 2))
  local body = "issue=" .. card .. "&status=" .. statuses[side[card]]
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  if status >= 500 then
    server_errors = server_errors + 1
  elseif status >= 400 then
    client_errors = client_errors + 1
  else
    ok = ok + 1
  end
end

function done(summary, latency, requests)
  local totals = {0, 0, 0}
  for _, thread in ipairs(threads) do
    totals[1] = totals[1] + thread:get("ok")
    totals[2] = totals[2] + thread:get("client_errors")
    totals[3] = totals[3] + thread:get("server_errors")
  end
  io.write(string.format("moves: %d 2xx/3xx, %d 4xx, %d 5xx\n", totals[1], totals[2], totals[3]))
end
