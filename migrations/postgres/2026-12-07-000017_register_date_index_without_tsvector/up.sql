-- Migration 000015 made the date index carry each ruling's `tsvector`, so that a common word's walk
-- read the index alone. An index row holds at most 8 kB (a B-tree's, 2.7 kB), and a `tsvector` is not
-- moved out of line in an index: a ruling of real length (thousands of words, a `tsvector` of tens of
-- kilobytes) could then not be written at all, so issuing it failed (docs/PERFORMANCE.md item 31).
-- The index keeps the filters' columns, which are small and bounded.
DROP INDEX published_rulings_date;
CREATE INDEX published_rulings_date ON published_rulings (status, published_at, id)
    INCLUDE (scheme_id, category, year, outcome, provider_id);
