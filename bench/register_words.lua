-- 30 words of the generated register's texts (src/bench.rs, publish_rulings), common and rare, for
-- the register's search scenarios (searches.lua, fresh_searches.lua).
return {
  "storing", "internet", "rekening", "roamingkosten", "boete", "opzegging", "verhuizing",
  "glasvezel", "modem", "defecte", "overstap", "aanbieder", "nummer", "verbinding", "avond",
  "adres", "consument", "commissie", "feiten", "uitspraak", "hoge", "beschikbaar", "geleverde",
  "vervangen", "overgezet", "maandenlang", "betwist", "klaagt", "beslist", "overweegt",
}
