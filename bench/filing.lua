-- wrk: consumers file cases through the intake API, as the wizard does in one form post per step:
-- a filing is two requests, the draft with every answer (201 with its id) and its submission (201
-- with the case reference). A wrk thread asks for a new request whenever one of its connections is
-- free, not per connection, so the ids of created drafts wait in a queue until a connection
-- submits them. Each thread files as its own consumer (BENCH_FILING_COOKIES, one per thread).
local cookies = {}
for cookie in string.gmatch(os.getenv("BENCH_FILING_COOKIES"), "[^|]+") do
  table.insert(cookies, cookie)
end
local draft = os.getenv("BENCH_FILING_DRAFT")
local threads = {}
local counter = 0

setup = function(thread)
  counter = counter + 1
  thread:set("cookie", cookies[(counter - 1) % #cookies + 1])
  table.insert(threads, thread)
end

filed = 0
refused = 0
local ready = {}

request = function()
  local id = table.remove(ready, 1)
  local headers = { ["Content-Type"] = "application/json", ["Cookie"] = cookie }
  if id then
    return wrk.format("POST", "/api/v1/intake/drafts/" .. id .. "/submit", headers, "")
  end
  return wrk.format("POST", "/api/v1/intake/drafts", headers, draft)
end

response = function(status, headers, body)
  if status ~= 201 then
    refused = refused + 1
    return
  end
  if string.find(body, '"reference"', 1, true) then
    filed = filed + 1
  else
    local id = string.match(body, '"id":(%d+)')
    if id then table.insert(ready, id) end
  end
end

done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout + summary.errors.status
  local cases, not_created = 0, 0
  for _, thread in ipairs(threads) do
    cases = cases + thread:get("filed")
    not_created = not_created + thread:get("refused")
  end
  -- The same columns as report.lua, with filings per second in place of requests per second.
  io.write(string.format("RESULT %.0f %.2f %.2f %d %d\n",
    cases / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    cases, errors + not_created))
end
