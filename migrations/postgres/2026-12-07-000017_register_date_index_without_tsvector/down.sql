-- Fails when a ruling's `tsvector` exceeds an index row, as the index of 000015 itself did.
DROP INDEX published_rulings_date;
CREATE INDEX published_rulings_date ON published_rulings (status, published_at, id)
    INCLUDE (search_vector, scheme_id, category, year, outcome, provider_id);
