-- Shared by the register's search scenarios (searches.lua, fresh_searches.lua): each wrk thread
-- seeds its own random numbers, and the 30 words of the generated register's texts (src/bench.rs,
-- publish_rulings), common and rare, are returned.
local threads = 0

setup = function(thread)
  threads = threads + 1
  thread:set("seed", threads)
end

init = function()
  math.randomseed(os.time() * 31 + seed)
end

return {
  "storing", "internet", "rekening", "roamingkosten", "boete", "opzegging", "verhuizing",
  "glasvezel", "modem", "defecte", "overstap", "aanbieder", "nummer", "verbinding", "avond",
  "adres", "consument", "commissie", "feiten", "uitspraak", "hoge", "beschikbaar", "geleverde",
  "vervangen", "overgezet", "maandenlang", "betwist", "klaagt", "beslist", "overweegt",
}
