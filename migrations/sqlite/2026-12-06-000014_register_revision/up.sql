-- A number that grows with every change to what the public register of rulings shows: its rulings
-- (published, withdrawn, edited), the providers' names and the schemes' names. The node keeps the
-- register's search answers under the revision they were read at (publication::cache) and reads
-- this one row per search, so a change shows at once. SQLite has row triggers only.
CREATE TABLE register_revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO register_revision (id, revision) VALUES (1, 0);

CREATE TRIGGER published_rulings_insert_register_revision AFTER INSERT ON published_rulings BEGIN
    UPDATE register_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER published_rulings_update_register_revision AFTER UPDATE ON published_rulings BEGIN
    UPDATE register_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER published_rulings_delete_register_revision AFTER DELETE ON published_rulings BEGIN
    UPDATE register_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER providers_register_revision AFTER UPDATE OF legal_name ON providers BEGIN
    UPDATE register_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER providers_delete_register_revision AFTER DELETE ON providers BEGIN
    UPDATE register_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER schemes_register_revision AFTER UPDATE OF code, name ON schemes BEGIN
    UPDATE register_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER schemes_delete_register_revision AFTER DELETE ON schemes BEGIN
    UPDATE register_revision SET revision = revision + 1 WHERE id = 1;
END;
