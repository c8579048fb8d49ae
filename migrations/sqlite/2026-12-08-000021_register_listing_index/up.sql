-- A register's page shows, of each of its 20 rulings, the reference, scheme, provider, category, year,
-- outcome, summary and date, and reads only published ones. In the table the status and the date come
-- after the ruling's text (~16 kB for a real ruling, in overflow pages that SQLite reads one by one to
-- find the next), so a page read ~100 pages. This index holds every column the page reads, and the
-- register's pages are read through it (publication::listed_rulings; docs/PERFORMANCE.md item 43).
CREATE INDEX published_rulings_listing ON published_rulings (
    id, status, published_at, reference, scheme_id, provider_id, category, year, outcome, summary
);
