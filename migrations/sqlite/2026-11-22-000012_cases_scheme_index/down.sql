DROP INDEX cases_scheme_id;
