-- Values written with lz4 stay so until they are written again; new ones use the default again.
DO $$
BEGIN
    IF 'lz4' = ANY (SELECT unnest(enumvals) FROM pg_settings WHERE name = 'default_toast_compression') THEN
        EXECUTE 'ALTER TABLE published_rulings ALTER COLUMN search_vector SET COMPRESSION default';
    END IF;
END
$$;
