DROP TRIGGER schemes_register_revision ON schemes;
DROP TRIGGER providers_register_revision ON providers;
DROP TRIGGER published_rulings_register_revision ON published_rulings;
DROP FUNCTION bump_register_revision();
DROP TABLE register_revision;
