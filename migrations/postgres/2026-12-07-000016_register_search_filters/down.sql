DROP INDEX published_rulings_search;
CREATE INDEX published_rulings_search ON published_rulings USING GIN (search_vector);
DROP EXTENSION IF EXISTS btree_gin;
