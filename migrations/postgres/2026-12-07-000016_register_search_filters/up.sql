-- A filtered word search (publication::rank_matches) read every ruling that has the word from the
-- table, through the word's GIN matches, to keep those that pass the filters: 6,250 rows for a
-- word in a third of the register at 100,000 cases, of which 631 passed an outcome, a year and a
-- category (docs/PERFORMANCE.md, item 27). The word index now holds the filters' columns as well
-- (btree_gin gives GIN their `=`), so the index intersects the word with the filters and the table
-- is read for the rulings that pass them all. A GIN index over several columns answers a condition
-- on any of them, so it replaces the word-only index of migration 000006 under the same name.
-- btree_gin ships with PostgreSQL (contrib) and is a trusted extension since PostgreSQL 13: the
-- database's owner can create it (docs/CONFIGURATION.md).
CREATE EXTENSION IF NOT EXISTS btree_gin;
DROP INDEX published_rulings_search;
CREATE INDEX published_rulings_search ON published_rulings
    USING GIN (search_vector, scheme_id, category, year, outcome, provider_id);
