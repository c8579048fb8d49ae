-- The register's word search walks the full-text index newest first and stops after a bounded number
-- of matches (publication::search_register), without reading the table:
-- * FTS5 returns matches in rowid order, so the rowid is the ruling's place in the register's date
--   order: the second of its publication shifted left by 30 bits, or'ed with its id (ids stay below
--   2^30; seconds fit until the year 2242). It used to be the id, which follows the order of issue.
-- * The filters are words of a third column, `facets` ("scheme3 categorybilling year2026
--   outcomepartlyupheld provider12"), so FTS5 intersects them with the words instead of the search
--   looking up every match in the table (publication::search::Search::fts5_match builds the query).
-- Only published rulings are indexed, and the index keeps no copy of the texts (contentless); the
-- view below says what an entry holds, and the triggers keep the index in step with the table.
DROP TRIGGER published_rulings_fts_update;
DROP TRIGGER published_rulings_fts_delete;
DROP TRIGGER published_rulings_fts_insert;
DROP TABLE published_rulings_fts;

CREATE VIEW published_rulings_register AS
SELECT id,
       (unixepoch(published_at) << 30) | id AS register_order,
       summary,
       body,
       'scheme' || scheme_id || ' category' || replace(category, '_', '') || ' year' || year
           || ' outcome' || replace(outcome, '_', '') || coalesce(' provider' || provider_id, '') AS facets
FROM published_rulings
WHERE status = 'published' AND unixepoch(published_at) IS NOT NULL;

CREATE VIRTUAL TABLE published_rulings_fts USING fts5(
    summary, body, facets, content='', tokenize='unicode61 remove_diacritics 2'
);
INSERT INTO published_rulings_fts (rowid, summary, body, facets)
SELECT register_order, summary, body, facets FROM published_rulings_register;

-- A contentless index forgets an entry through the 'delete' command with the values it was made of:
-- taken from the view before the row changes or goes, and added again after.
CREATE TRIGGER published_rulings_fts_insert AFTER INSERT ON published_rulings BEGIN
    INSERT INTO published_rulings_fts (rowid, summary, body, facets)
    SELECT register_order, summary, body, facets FROM published_rulings_register WHERE id = new.id;
END;
CREATE TRIGGER published_rulings_fts_before_update
BEFORE UPDATE OF summary, body, status, published_at, scheme_id, category, year, outcome, provider_id
ON published_rulings BEGIN
    INSERT INTO published_rulings_fts (published_rulings_fts, rowid, summary, body, facets)
    SELECT 'delete', register_order, summary, body, facets FROM published_rulings_register WHERE id = old.id;
END;
CREATE TRIGGER published_rulings_fts_after_update
AFTER UPDATE OF summary, body, status, published_at, scheme_id, category, year, outcome, provider_id
ON published_rulings BEGIN
    INSERT INTO published_rulings_fts (rowid, summary, body, facets)
    SELECT register_order, summary, body, facets FROM published_rulings_register WHERE id = new.id;
END;
CREATE TRIGGER published_rulings_fts_delete BEFORE DELETE ON published_rulings BEGIN
    INSERT INTO published_rulings_fts (published_rulings_fts, rowid, summary, body, facets)
    SELECT 'delete', register_order, summary, body, facets FROM published_rulings_register WHERE id = old.id;
END;
