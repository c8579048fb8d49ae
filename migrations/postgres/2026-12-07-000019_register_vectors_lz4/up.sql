-- The register's word vectors compressed with lz4 rather than pglz (docs/PERFORMANCE.md, item 38).
-- A long ruling's `tsvector` (~690 lexemes) is stored out of line, and pglz had compressed about
-- 60% of them; a search never asked before reads up to ~4,000 vectors back (the @@ of the walk and
-- ts_rank of the 2,001 kept), and pglz's decompression was most of that: with lz4 those searches ran
-- ×1.8 as fast. Only where the server was built with lz4 (PostgreSQL 14 and later, as Debian's and
-- most distributions' are); elsewhere nothing changes.
--
-- The rulings already published are written again so that their vectors are compressed the new way
-- (`VACUUM FULL` keeps what pglz compressed): a one-time cost of ~2.4 ms a ruling written again on a
-- two-core machine (27 s for the 11,216 of 18,750 that pglz had compressed), under a lock on the
-- register's table while it runs.
--
-- PostgreSQL 13 has neither the setting nor `SET COMPRESSION`; the statements are strings so that
-- its parser never reads them.
DO $$
BEGIN
    IF 'lz4' = ANY (SELECT unnest(enumvals) FROM pg_settings WHERE name = 'default_toast_compression') THEN
        EXECUTE 'ALTER TABLE published_rulings ALTER COLUMN search_vector SET COMPRESSION lz4';
        EXECUTE 'UPDATE published_rulings SET summary = summary '
            'WHERE pg_column_compression(search_vector) IS DISTINCT FROM ''lz4'' '
            'AND pg_column_size(search_vector) > 2000';
    END IF;
END
$$;
