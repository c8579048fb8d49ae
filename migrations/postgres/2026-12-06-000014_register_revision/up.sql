-- A number that grows with every change to what the public register of rulings shows: its rulings
-- (published, withdrawn, edited), the providers' names and the schemes' names. Each node keeps the
-- register's search answers under the revision they were read at (publication::cache) and reads
-- this one row per search, so a change shows on every node at once. Statement triggers: a bulk
-- change (an import of providers) bumps it once per statement, not per row.
CREATE TABLE register_revision (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO register_revision (id, revision) VALUES (1, 0);

CREATE FUNCTION bump_register_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE register_revision SET revision = revision + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER published_rulings_register_revision
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON published_rulings
    FOR EACH STATEMENT EXECUTE FUNCTION bump_register_revision();
CREATE TRIGGER providers_register_revision
    AFTER UPDATE OF legal_name OR DELETE ON providers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_register_revision();
CREATE TRIGGER schemes_register_revision
    AFTER UPDATE OF code, name OR DELETE ON schemes
    FOR EACH STATEMENT EXECUTE FUNCTION bump_register_revision();
