-- Shared by the register's search scenarios (searches.lua, fresh_searches.lua): each wrk thread
-- seeds its own random numbers (seeded.lua), and the 30 words of the generated register's texts (src/bench.rs,
-- publish_rulings), common and rare, are returned.
dofile(os.getenv("BENCH_DIR") .. "/seeded.lua")

return {
  "storing", "internet", "rekening", "roamingkosten", "boete", "opzegging", "verhuizing",
  "glasvezel", "modem", "defecte", "overstap", "aanbieder", "nummer", "verbinding", "avond",
  "adres", "consument", "commissie", "feiten", "uitspraak", "hoge", "beschikbaar", "geleverde",
  "vervangen", "overgezet", "maandenlang", "betwist", "klaagt", "beslist", "overweegt",
}
