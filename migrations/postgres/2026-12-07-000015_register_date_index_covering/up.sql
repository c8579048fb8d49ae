-- A word search by relevance walks the published rulings newest first until 2,001 match
-- (publication::rank_matches); for a common word the planner walks this index backwards and checks
-- each ruling's `tsvector`. Until now every entry walked was a visit to the table's page of that
-- ruling, in date order, not in the table's order: 6,000 page visits for a word in a third of the
-- register (docs/PERFORMANCE.md, item 26). With the `tsvector` and the filters' columns carried in
-- the index the walk is an index-only scan: it reads the index's pages in order and the table not at
-- all (where the visibility map says every row of a page is visible, as vacuum leaves it).
DROP INDEX published_rulings_date;
CREATE INDEX published_rulings_date ON published_rulings (status, published_at, id)
    INCLUDE (search_vector, scheme_id, category, year, outcome, provider_id);
