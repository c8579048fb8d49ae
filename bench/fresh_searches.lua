-- wrk: the public ruling search asked in ways the node has not kept: 30 words of the generated
-- register's texts, each with an outcome, a year and a category filter or none (1,350 different
-- searches, first page, at random). A node keeps 256 pages and 128 rankings (publication::cache),
-- so about four in five of these are ranked afresh: the cost of a search never asked before, which
-- the public pages' per-address limit bounds (docs/SECURITY.md). `searches.lua` pages through 30
-- words instead, which the kept rankings answer.
local words = dofile(os.getenv("BENCH_DIR") .. "/register_search.lua")

local outcomes = { "", "upheld", "partly_upheld", "rejected", "not_admissible" }
local years = { "", "2025", "2026" }
local categories = { "", "outage_speed", "billing" }
local function pick(list)
  return list[math.random(#list)]
end

request = function()
  return wrk.format("GET", "/uitspraken?q=" .. pick(words) .. "&outcome=" .. pick(outcomes)
    .. "&year=" .. pick(years) .. "&category=" .. pick(categories))
end

dofile(os.getenv("BENCH_DIR") .. "/report.lua")
