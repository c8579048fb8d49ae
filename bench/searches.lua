-- wrk: the public ruling search asked 1,500 different ways (30 words of the generated register's
-- texts, pages 1 to 50, at random). A node keeps 256 answers (publication::cache), so most of these
-- are searched afresh: the counterpart of the `word` scenario, which asks one search again and again.
local words = {
  "storing", "internet", "rekening", "roamingkosten", "boete", "opzegging", "verhuizing",
  "glasvezel", "modem", "defecte", "overstap", "aanbieder", "nummer", "verbinding", "avond",
  "adres", "consument", "commissie", "feiten", "uitspraak", "hoge", "beschikbaar", "geleverde",
  "vervangen", "overgezet", "maandenlang", "betwist", "klaagt", "beslist", "overweegt",
}
local threads = 0

setup = function(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

init = function()
  math.randomseed(os.time() * 31 + seed)
end

request = function()
  return wrk.format("GET", "/uitspraken?q=" .. words[math.random(#words)] .. "&page=" .. math.random(50))
end

dofile(os.getenv("BENCH_DIR") .. "/report.lua")
