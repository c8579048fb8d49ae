-- A number that grows with every change to what the public membership check answers from: the
-- providers (names, KvK numbers and search terms are written with them), their memberships, the
-- guarantors, the schemes and the schemes' rules. The node keeps the check's answers under the
-- revision they were read at (registry::cache) and reads this one row per check, so a change shows
-- at once. SQLite has row triggers only.
CREATE TABLE registry_revision (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO registry_revision (id, revision) VALUES (1, 0);

CREATE TRIGGER providers_insert_registry_revision AFTER INSERT ON providers BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER providers_update_registry_revision AFTER UPDATE ON providers BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER providers_delete_registry_revision AFTER DELETE ON providers BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER provider_search_terms_insert_registry_revision AFTER INSERT ON provider_search_terms BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER provider_search_terms_update_registry_revision AFTER UPDATE ON provider_search_terms BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER provider_search_terms_delete_registry_revision AFTER DELETE ON provider_search_terms BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER memberships_insert_registry_revision AFTER INSERT ON memberships BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER memberships_update_registry_revision AFTER UPDATE ON memberships BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER memberships_delete_registry_revision AFTER DELETE ON memberships BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER guarantors_insert_registry_revision AFTER INSERT ON guarantors BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER guarantors_update_registry_revision AFTER UPDATE ON guarantors BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER guarantors_delete_registry_revision AFTER DELETE ON guarantors BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER schemes_insert_registry_revision AFTER INSERT ON schemes BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER schemes_update_registry_revision AFTER UPDATE ON schemes BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER schemes_delete_registry_revision AFTER DELETE ON schemes BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER scheme_rules_insert_registry_revision AFTER INSERT ON scheme_rules BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER scheme_rules_update_registry_revision AFTER UPDATE ON scheme_rules BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER scheme_rules_delete_registry_revision AFTER DELETE ON scheme_rules BEGIN
    UPDATE registry_revision SET revision = revision + 1 WHERE id = 1;
END;
