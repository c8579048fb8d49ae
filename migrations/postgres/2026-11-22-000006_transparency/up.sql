-- Transparency and integration: the public register's search, webhooks for providers.

-- Full-text search over the published rulings with Dutch stemming: the summary weighs more than the
-- body. A stored column (PostgreSQL only; the diesel schema does not name it) so that ranking does not
-- parse every matching text again.
ALTER TABLE published_rulings ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('dutch'::regconfig, summary), 'A') || setweight(to_tsvector('dutch'::regconfig, body), 'B')
) STORED;
CREATE INDEX published_rulings_search ON published_rulings USING GIN (search_vector);
-- The register sorted by date, and the filters that do not start with the scheme.
CREATE INDEX published_rulings_date ON published_rulings (status, published_at, id);
CREATE INDEX published_rulings_provider ON published_rulings (provider_id, status, published_at);

-- Statistics per provider and the yearly report read cases by provider and period, and events by case.
CREATE INDEX cases_provider_submitted ON cases (provider_id, submitted_at);
CREATE INDEX cases_closed ON cases (closed_at, anonymised_at);

-- A provider's HTTPS endpoint for case events; the secret signs every delivery (HMAC-SHA256).
CREATE TABLE webhook_endpoints (
    id BIGSERIAL PRIMARY KEY,
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
    id BIGSERIAL PRIMARY KEY,
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
