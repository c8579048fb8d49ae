-- A number that grows with every change to what the public membership check answers from: the
-- providers (names, KvK numbers and search terms are written with them), their memberships, the
-- guarantors, the schemes and the schemes' rules. Each node keeps the check's answers under the
-- revision they were read at (registry::cache) and reads this one row per check, so a change shows
-- on every node at once. Statement triggers: an import of providers bumps it once per statement.
CREATE TABLE registry_revision (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO registry_revision (id, revision) VALUES (1, 0);

CREATE FUNCTION bump_registry_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER providers_registry_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON providers
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_revision();
CREATE TRIGGER provider_search_terms_registry_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON provider_search_terms
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_revision();
CREATE TRIGGER memberships_registry_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_revision();
CREATE TRIGGER guarantors_registry_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON guarantors
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_revision();
CREATE TRIGGER schemes_registry_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON schemes
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_revision();
CREATE TRIGGER scheme_rules_registry_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON scheme_rules
    FOR EACH STATEMENT EXECUTE FUNCTION bump_registry_revision();
