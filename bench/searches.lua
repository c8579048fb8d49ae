-- wrk: the public ruling search paged through: 30 words of the generated register's texts, pages 1
-- to 50, at random (1,500 different pages). A node keeps 256 pages, and each word's ranking, from which
-- its other pages are cut (publication::cache): after the first page of each word, a page is read by
-- id. Searches never asked before are `fresh_searches.lua`; one search again and again is `word`.
local words = dofile(os.getenv("BENCH_DIR") .. "/register_search.lua")

request = function()
  return wrk.format("GET", "/uitspraken?q=" .. words[math.random(#words)] .. "&page=" .. math.random(50))
end

dofile(os.getenv("BENCH_DIR") .. "/report.lua")
