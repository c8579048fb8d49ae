DROP TRIGGER published_rulings_fts_delete;
DROP TRIGGER published_rulings_fts_after_update;
DROP TRIGGER published_rulings_fts_before_update;
DROP TRIGGER published_rulings_fts_insert;
DROP TABLE published_rulings_fts;
DROP VIEW published_rulings_register;

CREATE VIRTUAL TABLE published_rulings_fts USING fts5(
    summary, body, content='published_rulings', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
INSERT INTO published_rulings_fts (published_rulings_fts) VALUES ('rebuild');
CREATE TRIGGER published_rulings_fts_insert AFTER INSERT ON published_rulings BEGIN
    INSERT INTO published_rulings_fts (rowid, summary, body) VALUES (new.id, new.summary, new.body);
END;
CREATE TRIGGER published_rulings_fts_delete AFTER DELETE ON published_rulings BEGIN
    INSERT INTO published_rulings_fts (published_rulings_fts, rowid, summary, body)
    VALUES ('delete', old.id, old.summary, old.body);
END;
CREATE TRIGGER published_rulings_fts_update AFTER UPDATE OF summary, body ON published_rulings BEGIN
    INSERT INTO published_rulings_fts (published_rulings_fts, rowid, summary, body)
    VALUES ('delete', old.id, old.summary, old.body);
    INSERT INTO published_rulings_fts (rowid, summary, body) VALUES (new.id, new.summary, new.body);
END;
