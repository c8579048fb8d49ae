DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
DROP INDEX cases_closed;
DROP INDEX cases_provider_submitted;
DROP INDEX published_rulings_provider;
DROP INDEX published_rulings_date;
DROP INDEX published_rulings_search;
ALTER TABLE published_rulings DROP COLUMN search_vector;
