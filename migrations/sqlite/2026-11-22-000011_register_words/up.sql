-- The register's word search looks a typed word up here and searches the whole words of the index
-- that start with it (publication::search_register). FTS5 answers a prefix query ("internet"*) by
-- merging the lists of every word with that prefix into one before it hands out the first match, so
-- a common word cost as much as it has matches; an OR of whole words is walked lazily, newest first.
-- FTS5's own fts5vocab table cannot serve the look-up: it counts every entry of each word it lists.
--
-- A word is what the index's tokenizer makes of the summary and the text (lower case, diacritics
-- removed), with the number of published rulings that have it: the most frequent are searched when
-- a prefix stands for too many, and the count is the word's document frequency for the ranking.
CREATE TABLE published_rulings_words (
    word TEXT PRIMARY KEY NOT NULL,
    rulings INTEGER NOT NULL
) WITHOUT ROWID;

-- The tokenizer, for the triggers: a scratch index with the index's tokenizer, filled with one
-- ruling's texts, read through fts5vocab and emptied again in the same trigger.
CREATE VIRTUAL TABLE published_rulings_tokens USING fts5(
    text, content='', tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE published_rulings_tokens_vocab USING fts5vocab(published_rulings_tokens, 'row');

INSERT INTO published_rulings_tokens (text) SELECT summary || ' ' || body FROM published_rulings_register;
INSERT INTO published_rulings_words (word, rulings) SELECT term, doc FROM published_rulings_tokens_vocab;
INSERT INTO published_rulings_tokens (published_rulings_tokens) VALUES ('delete-all');

-- The triggers of migration 000010, each now also counting the ruling's words in or out.
DROP TRIGGER published_rulings_fts_insert;
DROP TRIGGER published_rulings_fts_before_update;
DROP TRIGGER published_rulings_fts_after_update;
DROP TRIGGER published_rulings_fts_delete;

CREATE TRIGGER published_rulings_fts_insert AFTER INSERT ON published_rulings BEGIN
    INSERT INTO published_rulings_fts (rowid, summary, body, facets)
    SELECT register_order, summary, body, facets FROM published_rulings_register WHERE id = new.id;
    INSERT INTO published_rulings_tokens (text)
    SELECT summary || ' ' || body FROM published_rulings_register WHERE id = new.id;
    INSERT INTO published_rulings_words (word, rulings) SELECT term, 1 FROM published_rulings_tokens_vocab WHERE true
    ON CONFLICT (word) DO UPDATE SET rulings = rulings + 1;
    INSERT INTO published_rulings_tokens (published_rulings_tokens) VALUES ('delete-all');
END;
CREATE TRIGGER published_rulings_fts_before_update
BEFORE UPDATE OF summary, body, status, published_at, scheme_id, category, year, outcome, provider_id
ON published_rulings BEGIN
    INSERT INTO published_rulings_fts (published_rulings_fts, rowid, summary, body, facets)
    SELECT 'delete', register_order, summary, body, facets FROM published_rulings_register WHERE id = old.id;
    INSERT INTO published_rulings_tokens (text)
    SELECT summary || ' ' || body FROM published_rulings_register WHERE id = old.id;
    UPDATE published_rulings_words SET rulings = rulings - 1
    WHERE word IN (SELECT term FROM published_rulings_tokens_vocab);
    DELETE FROM published_rulings_words WHERE rulings = 0 AND word IN (SELECT term FROM published_rulings_tokens_vocab);
    INSERT INTO published_rulings_tokens (published_rulings_tokens) VALUES ('delete-all');
END;
CREATE TRIGGER published_rulings_fts_after_update
AFTER UPDATE OF summary, body, status, published_at, scheme_id, category, year, outcome, provider_id
ON published_rulings BEGIN
    INSERT INTO published_rulings_fts (rowid, summary, body, facets)
    SELECT register_order, summary, body, facets FROM published_rulings_register WHERE id = new.id;
    INSERT INTO published_rulings_tokens (text)
    SELECT summary || ' ' || body FROM published_rulings_register WHERE id = new.id;
    INSERT INTO published_rulings_words (word, rulings) SELECT term, 1 FROM published_rulings_tokens_vocab WHERE true
    ON CONFLICT (word) DO UPDATE SET rulings = rulings + 1;
    INSERT INTO published_rulings_tokens (published_rulings_tokens) VALUES ('delete-all');
END;
CREATE TRIGGER published_rulings_fts_delete BEFORE DELETE ON published_rulings BEGIN
    INSERT INTO published_rulings_fts (published_rulings_fts, rowid, summary, body, facets)
    SELECT 'delete', register_order, summary, body, facets FROM published_rulings_register WHERE id = old.id;
    INSERT INTO published_rulings_tokens (text)
    SELECT summary || ' ' || body FROM published_rulings_register WHERE id = old.id;
    UPDATE published_rulings_words SET rulings = rulings - 1
    WHERE word IN (SELECT term FROM published_rulings_tokens_vocab);
    DELETE FROM published_rulings_words WHERE rulings = 0 AND word IN (SELECT term FROM published_rulings_tokens_vocab);
    INSERT INTO published_rulings_tokens (published_rulings_tokens) VALUES ('delete-all');
END;
