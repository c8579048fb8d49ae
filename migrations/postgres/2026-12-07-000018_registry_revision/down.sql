DROP TRIGGER scheme_rules_registry_revision ON scheme_rules;
DROP TRIGGER schemes_registry_revision ON schemes;
DROP TRIGGER guarantors_registry_revision ON guarantors;
DROP TRIGGER memberships_registry_revision ON memberships;
DROP TRIGGER provider_search_terms_registry_revision ON provider_search_terms;
DROP TRIGGER providers_registry_revision ON providers;
DROP FUNCTION bump_registry_revision();
DROP TABLE registry_revision;
