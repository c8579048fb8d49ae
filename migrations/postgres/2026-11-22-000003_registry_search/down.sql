DROP INDEX providers_name_order;
DROP TABLE provider_search_terms;
