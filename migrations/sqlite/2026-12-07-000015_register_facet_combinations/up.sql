-- A filtered word search asks FTS5 for the rulings that have the words and every filter's word of
-- the `facets` column (migration 000010). FTS5 intersects such lists by stepping each one to the next
-- ruling the others have, so with an outcome, a year and a category it stepped through four long lists
-- (a year is in half of the register) until 2,001 rulings passed them all: the walk grew with the
-- register (docs/PERFORMANCE.md, item 24). Each ruling now also has one word for every combination
-- of two or more of its scheme, category, year and outcome, the parts in that order
-- ("categorybillingyear2026outcomeupheld"), so that a search names one word for its filters, whose
-- list holds just the rulings that pass them (publication::search::Search::fts5_match). The provider
-- stays a word of its own: its list is short already.
DROP VIEW published_rulings_register;
CREATE VIEW published_rulings_register AS
SELECT id, register_order, summary, body,
       s || ' ' || c || ' ' || y || ' ' || o
           || ' ' || s || c || ' ' || s || y || ' ' || s || o || ' ' || c || y || ' ' || c || o || ' ' || y || o
           || ' ' || s || c || y || ' ' || s || c || o || ' ' || s || y || o || ' ' || c || y || o
           || ' ' || s || c || y || o
           || coalesce(' provider' || provider_id, '') AS facets
FROM (
    SELECT id,
           (unixepoch(published_at) << 30) | id AS register_order,
           summary,
           body,
           'scheme' || scheme_id AS s,
           'category' || replace(category, '_', '') AS c,
           'year' || year AS y,
           'outcome' || replace(outcome, '_', '') AS o,
           provider_id
    FROM published_rulings
    WHERE status = 'published' AND unixepoch(published_at) IS NOT NULL
);

-- The index is contentless: it is made again from the view (the triggers of migration 000011 read
-- the view by name, so they write the new words from now on).
INSERT INTO published_rulings_fts (published_rulings_fts) VALUES ('delete-all');
INSERT INTO published_rulings_fts (rowid, summary, body, facets)
SELECT register_order, summary, body, facets FROM published_rulings_register;
