-- The public membership check searches by word starts: every word of a provider's legal and trade names
-- (normalised by registry::search::words), each name without spaces, and the KvK number. A prefix search
-- is a range on the primary key: term >= 'noord' AND term < 'noore'. The terms compare bytewise
-- (COLLATE "C"), as on SQLite, so that the range holds exactly the terms with that prefix.
CREATE TABLE provider_search_terms (
    term TEXT COLLATE "C" NOT NULL,
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    PRIMARY KEY (term, provider_id)
);
-- For replacing a provider's terms and for "every other word must match too".
CREATE INDEX provider_search_terms_provider ON provider_search_terms (provider_id, term);
-- The secretariat's list pages by (legal_name, id) with a keyset cursor.
CREATE INDEX providers_name_order ON providers (legal_name, id);
