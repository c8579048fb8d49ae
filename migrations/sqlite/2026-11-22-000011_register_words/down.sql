DROP TRIGGER published_rulings_fts_delete;
DROP TRIGGER published_rulings_fts_after_update;
DROP TRIGGER published_rulings_fts_before_update;
DROP TRIGGER published_rulings_fts_insert;
DROP TABLE published_rulings_tokens_vocab;
DROP TABLE published_rulings_tokens;
DROP TABLE published_rulings_words;

-- The triggers of migration 000010.
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
