-- wrk: sign-in storm. Each request signs in a random generated consumer with the right password
-- (argon2 runs every time), from a random address behind the trusted proxy (127.0.0.1), so the
-- per-address and per-account limits are not what is measured.
local csrf = os.getenv("BENCH_CSRF")
local cookie = os.getenv("BENCH_ANON_COOKIE")
local consumers = tonumber(os.getenv("BENCH_CONSUMERS") or "1000")
local password = os.getenv("BENCH_PASSWORD")
math.randomseed(os.time())

request = function()
  local n = math.random(1, consumers)
  local body = "csrf_token=" .. csrf .. "&email=consument" .. n .. "%40bench.example&password=" .. password
  return wrk.format("POST", "/login", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
    ["X-Forwarded-For"] = "10." .. math.random(0, 255) .. "." .. math.random(0, 255) .. "." .. math.random(1, 254),
  }, body)
end

dofile(os.getenv("BENCH_DIR") .. "/report.lua")
