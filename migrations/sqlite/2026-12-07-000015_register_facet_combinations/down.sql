DROP VIEW published_rulings_register;
CREATE VIEW published_rulings_register AS
SELECT id,
       (unixepoch(published_at) << 30) | id AS register_order,
       summary,
       body,
       'scheme' || scheme_id || ' category' || replace(category, '_', '') || ' year' || year
           || ' outcome' || replace(outcome, '_', '') || coalesce(' provider' || provider_id, '') AS facets
FROM published_rulings
WHERE status = 'published' AND unixepoch(published_at) IS NOT NULL;

INSERT INTO published_rulings_fts (published_rulings_fts) VALUES ('delete-all');
INSERT INTO published_rulings_fts (rowid, summary, body, facets)
SELECT register_order, summary, body, facets FROM published_rulings_register;
