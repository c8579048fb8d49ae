-- The register's word postings (docs/PERFORMANCE.md, item 41): one row for each word (lexeme) of
-- each published ruling, in the order the register ranks in (newest first), so that a search never
-- asked before reads the few index rows of its words rather than the rulings' `tsvector`s. Ranking
-- the newest 2,001 matches of a word read 2,001 vectors of ~12 kB back from TOAST (and the walk's
-- `@@` as many again): ~50 ms of a core a search, ~130 searches a second on two cores. Through the
-- postings, a one-word search is an index-only scan of at most 2,001 rows (0.8 ms for a word in
-- nearly every ruling at 100,000 cases).
--
-- The ranking is unchanged: `ts_rank` with its default normalisation reads only the query's words
-- in a vector, so the rank of a ruling for a query equals `ts_rank` over the entries of the query's
-- words alone. `entry` is that entry (the word with its positions and weights), and `rank_alone`
-- the rank for a search of the word alone, computed once here. publication::rank_matches uses the
-- postings for searches that are words joined by AND (every search the public page asks: it strips
-- operators), and the `tsvector`s otherwise.
--
-- The filters' columns are repeated so that the walk filters in the index. The cost is space: ~690
-- rows a ruling of 1,500 words, ~170 kB with the index (3.2 GB for the 18,750 rulings of the
-- benchmark's 100,000 cases). Only published rulings have postings; a trigger keeps them in step
-- with the register in the same transaction as the change.
ALTER TABLE published_rulings ADD CONSTRAINT published_rulings_published_have_a_date
    CHECK (status <> 'published' OR published_at IS NOT NULL);

CREATE TABLE register_postings (
    lexeme TEXT NOT NULL,
    published_at TIMESTAMP NOT NULL,
    ruling_id BIGINT NOT NULL,
    rank_alone REAL NOT NULL,
    entry TSVECTOR NOT NULL,
    scheme_id BIGINT NOT NULL,
    category TEXT NOT NULL,
    year INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    provider_id BIGINT
);

-- One word's entry of a vector, as a vector of its own: the word with its positions and weights.
CREATE FUNCTION register_posting_entry(lexeme TEXT, positions SMALLINT[], weights TEXT[])
RETURNS TSVECTOR LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (array_to_tsvector(ARRAY[lexeme])::text || ':' ||
        array_to_string(ARRAY(SELECT p || w FROM unnest(positions, weights) AS x(p, w)), ','))::tsvector
$$;

-- A query of one word exactly as stored (no parsing or stemming of it again).
CREATE FUNCTION register_lexeme_query(lexeme TEXT)
RETURNS TSQUERY LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT (array_to_tsvector(ARRAY[lexeme])::text)::tsquery
$$;

-- A published ruling's postings: a row per word of its vector. The trigger and the backfill below
-- both write them through this one function.
CREATE FUNCTION register_postings_of(r published_rulings)
RETURNS SETOF register_postings LANGUAGE sql STABLE AS $$
    SELECT e.lexeme, r.published_at, r.id, ts_rank(e.entry, register_lexeme_query(e.lexeme)), e.entry,
           r.scheme_id, r.category, r.year, r.outcome, r.provider_id
    FROM (SELECT u.lexeme, register_posting_entry(u.lexeme, u.positions, u.weights) AS entry
          FROM unnest(r.search_vector) u) e
$$;

CREATE FUNCTION write_register_postings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status = 'published' THEN
        DELETE FROM register_postings
        WHERE lexeme = ANY (tsvector_to_array(OLD.search_vector))
          AND published_at = OLD.published_at AND ruling_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'published' THEN
        INSERT INTO register_postings SELECT * FROM register_postings_of(NEW);
    END IF;
    RETURN NULL;
END
$$;

-- The postings of the rulings published now, before the index (one sort rather than 13 million
-- insertions into it at 100,000 cases: ~2 minutes on two cores).
INSERT INTO register_postings
SELECT x.* FROM published_rulings p, register_postings_of(p) x WHERE p.status = 'published';

-- A word's postings newest first, with what the walk filters on and the rank of the word alone:
-- a one-word search reads this index only. The trigger finds a ruling's postings by its words.
CREATE INDEX register_postings_walk ON register_postings (lexeme, published_at DESC, ruling_id DESC)
    INCLUDE (rank_alone, scheme_id, category, year, outcome, provider_id);

CREATE TRIGGER published_rulings_register_postings
    AFTER INSERT OR DELETE ON published_rulings FOR EACH ROW EXECUTE FUNCTION write_register_postings();
-- Publishing again what is published, or an edit that leaves the words and filters as they were,
-- writes nothing.
CREATE TRIGGER published_rulings_register_postings_update
    AFTER UPDATE ON published_rulings FOR EACH ROW
    WHEN ((OLD.status, OLD.published_at, OLD.search_vector, OLD.scheme_id, OLD.category, OLD.year, OLD.outcome, OLD.provider_id)
          IS DISTINCT FROM
          (NEW.status, NEW.published_at, NEW.search_vector, NEW.scheme_id, NEW.category, NEW.year, NEW.outcome, NEW.provider_id))
    EXECUTE FUNCTION write_register_postings();
CREATE FUNCTION empty_register_postings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE register_postings;
    RETURN NULL;
END
$$;
CREATE TRIGGER published_rulings_register_postings_truncate
    AFTER TRUNCATE ON published_rulings FOR EACH STATEMENT EXECUTE FUNCTION empty_register_postings();
