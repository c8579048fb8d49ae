DROP TRIGGER published_rulings_register_postings_truncate ON published_rulings;
DROP TRIGGER published_rulings_register_postings_update ON published_rulings;
DROP TRIGGER published_rulings_register_postings ON published_rulings;
DROP FUNCTION empty_register_postings();
DROP FUNCTION write_register_postings();
DROP TABLE register_postings;
DROP FUNCTION register_lexeme_query(TEXT);
DROP FUNCTION register_posting_entry(TEXT, SMALLINT[], TEXT[]);
ALTER TABLE published_rulings DROP CONSTRAINT published_rulings_published_have_a_date;
