-- Transparency and integration: the public register's search, webhooks for providers.

-- Full-text search over the published rulings. FTS5 has no Dutch stemmer; unicode61 folds case and
-- accents, and the query adds a prefix star to every word (publication::search), so "betaal" finds
-- "betaling". The index follows published_rulings through the triggers below (external content).
CREATE VIRTUAL TABLE published_rulings_fts USING fts5(
    summary, body, content='published_rulings', content_rowid='id', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER published_rulings_fts_insert AFTER INSERT ON published_rulings BEGIN
    INSERT INTO published_rulings_fts (rowid, summary, body) VALUES (new.id, new.summary, new.body);
END;
CREATE TRIGGER published_rulings_fts_delete AFTER DELETE ON published_rulings BEGIN
    INSERT INTO published_rulings_fts (published_rulings_fts, rowid, summary, body)
    VALUES ('delete', old.id, old.summary, old.body);
END;
CREATE TRIGGER published_rulings_fts_update AFTER UPDATE OF summary, body ON published_rulings BEGIN
    INSERT INTO published_rulings_fts (published_rulings_fts, rowid, summary, body)
    VALUES ('delete', old.id, old.summary, old.body);
    INSERT INTO published_rulings_fts (rowid, summary, body) VALUES (new.id, new.summary, new.body);
END;
-- The register sorted by date, and the filters that do not start with the scheme.
CREATE INDEX published_rulings_date ON published_rulings (status, published_at, id);
CREATE INDEX published_rulings_provider ON published_rulings (provider_id, status, published_at);

-- Statistics per provider and the yearly report read cases by provider and period, and events by case.
CREATE INDEX cases_provider_submitted ON cases (provider_id, submitted_at);
CREATE INDEX cases_closed ON cases (closed_at, anonymised_at);

-- A provider's HTTPS endpoint for case events; the secret signs every delivery (HMAC-SHA256).
CREATE TABLE webhook_endpoints (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_endpoints_provider ON webhook_endpoints (provider_id, active);

-- One delivery of one case event to one endpoint; the job that carries it points here.
CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id BIGINT NOT NULL REFERENCES webhook_endpoints(id),
    delivery_key TEXT NOT NULL UNIQUE,
    case_event_id BIGINT NOT NULL REFERENCES case_events(id),
    event_kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_status_code INTEGER,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (endpoint_id, case_event_id)
);
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
