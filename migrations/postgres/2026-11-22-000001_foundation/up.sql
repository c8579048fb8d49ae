-- The domain schema shared by every later feature. Types are chosen so that one
-- diesel schema serves both backends: BIGINT ids, TEXT codes, BIGINT cents,
-- TIMESTAMP holding UTC, DATE for calendar dates.

CREATE TABLE schemes (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    covers TEXT NOT NULL,
    languages TEXT NOT NULL,
    reference_prefix TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE scheme_rules (
    id BIGSERIAL PRIMARY KEY,
    scheme_id BIGINT NOT NULL REFERENCES schemes(id),
    valid_from DATE NOT NULL,
    complaint_fee_cents BIGINT NOT NULL,
    fee_refund TEXT NOT NULL,
    min_claim_cents BIGINT,
    max_claim_cents BIGINT,
    provider_answer_period TEXT NOT NULL,
    filing_limit TEXT NOT NULL,
    membership_date_basis TEXT NOT NULL,
    defence_term TEXT NOT NULL,
    reply_term TEXT NOT NULL,
    information_term TEXT NOT NULL,
    fee_term TEXT NOT NULL,
    reaction_term TEXT NOT NULL,
    refusal_term TEXT NOT NULL,
    outcome_target TEXT NOT NULL,
    ruling_term_after_hearing TEXT NOT NULL,
    compliance_term TEXT NOT NULL,
    settlement_compliance_term TEXT NOT NULL,
    panel_size INTEGER NOT NULL,
    guarantee_cap_cents BIGINT,
    created_by BIGINT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (scheme_id, valid_from)
);

CREATE TABLE guarantors (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    contact_email TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE providers (
    id BIGSERIAL PRIMARY KEY,
    kvk_number TEXT NOT NULL UNIQUE,
    legal_name TEXT NOT NULL,
    trade_names TEXT NOT NULL DEFAULT '',
    -- lower-cased, accent-free copy of the names and the KvK number for the public check
    search_text TEXT NOT NULL,
    street TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT 'NL',
    website TEXT NOT NULL DEFAULT '',
    complaint_email TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX providers_search_text ON providers (search_text);

CREATE TABLE memberships (
    id BIGSERIAL PRIMARY KEY,
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    scheme_id BIGINT NOT NULL REFERENCES schemes(id),
    valid_from DATE NOT NULL,
    valid_until DATE,
    via TEXT NOT NULL,
    guarantor_id BIGINT REFERENCES guarantors(id),
    status TEXT NOT NULL,
    specialisms TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX memberships_provider ON memberships (provider_id, scheme_id, valid_from);
CREATE INDEX memberships_scheme ON memberships (scheme_id, provider_id);

CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    provider_id BIGINT REFERENCES providers(id),
    is_org_admin BOOLEAN NOT NULL DEFAULT FALSE,
    language TEXT NOT NULL,
    notify_by_email BOOLEAN NOT NULL DEFAULT TRUE,
    email_confirmed_at TIMESTAMP,
    deactivated_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_provider ON users (provider_id);
CREATE INDEX users_role ON users (role, id);

CREATE TABLE mediator_profiles (
    user_id BIGINT PRIMARY KEY REFERENCES users(id),
    panel_role TEXT NOT NULL,
    languages TEXT NOT NULL,
    expertise TEXT NOT NULL DEFAULT '',
    active BOOLEAN NOT NULL DEFAULT TRUE
);

CREATE TABLE mediator_schemes (
    user_id BIGINT NOT NULL REFERENCES users(id),
    scheme_id BIGINT NOT NULL REFERENCES schemes(id),
    PRIMARY KEY (user_id, scheme_id)
);

CREATE TABLE mediator_conflicts (
    user_id BIGINT NOT NULL REFERENCES users(id),
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    reason TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (user_id, provider_id)
);

-- A signed-in browser or client; the JWT carries the id so revocation is a row update.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    user_agent TEXT NOT NULL DEFAULT '',
    client_ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    scope TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    last_used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

-- Single-use tokens (e-mail confirmation, password reset, invites) are JWTs whose id is recorded here on use.
CREATE TABLE used_tokens (
    jti TEXT PRIMARY KEY,
    used_at TIMESTAMP NOT NULL
);

CREATE TABLE intake_drafts (
    id BIGSERIAL PRIMARY KEY,
    consumer_id BIGINT NOT NULL REFERENCES users(id),
    step TEXT NOT NULL,
    answers TEXT NOT NULL,
    waiting_until DATE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX intake_drafts_consumer ON intake_drafts (consumer_id, updated_at);

CREATE TABLE case_reference_counters (
    scheme_id BIGINT NOT NULL REFERENCES schemes(id),
    year INTEGER NOT NULL,
    last_number BIGINT NOT NULL,
    PRIMARY KEY (scheme_id, year)
);

CREATE TABLE cases (
    id BIGSERIAL PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    scheme_id BIGINT NOT NULL REFERENCES schemes(id),
    rules_id BIGINT NOT NULL REFERENCES scheme_rules(id),
    consumer_id BIGINT NOT NULL REFERENCES users(id),
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    category TEXT NOT NULL,
    language TEXT NOT NULL,
    state TEXT NOT NULL,
    state_entered_at TIMESTAMP NOT NULL,
    state_due_on DATE,
    -- bumped by every transition so two concurrent transitions cannot both win
    version INTEGER NOT NULL DEFAULT 0,
    contract_date DATE,
    written_complaint_date DATE NOT NULL,
    written_complaint_channel TEXT NOT NULL,
    provider_answer_date DATE,
    provider_final_answer BOOLEAN NOT NULL DEFAULT FALSE,
    claim_cents BIGINT,
    desired_outcome TEXT NOT NULL,
    description TEXT NOT NULL,
    private_note TEXT NOT NULL DEFAULT '',
    fee_cents BIGINT NOT NULL,
    fee_status TEXT NOT NULL,
    deposit_cents BIGINT NOT NULL DEFAULT 0,
    complete_on DATE,
    outcome_due_on DATE,
    submitted_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    anonymised_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX cases_consumer ON cases (consumer_id, updated_at, id);
CREATE INDEX cases_provider_queue ON cases (provider_id, state_due_on, id);
CREATE INDEX cases_state_due ON cases (state, state_due_on, id);
CREATE INDEX cases_scheme_state ON cases (scheme_id, state, id);
CREATE INDEX cases_submitted ON cases (submitted_at, id);

CREATE TABLE case_events (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    at TIMESTAMP NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    actor_role TEXT NOT NULL,
    kind TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX case_events_case ON case_events (case_id, id);
CREATE INDEX case_events_kind_at ON case_events (kind, at);

CREATE TABLE case_assignments (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    user_id BIGINT NOT NULL REFERENCES users(id),
    panel_role TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX case_assignments_case ON case_assignments (case_id);
CREATE INDEX case_assignments_user ON case_assignments (user_id, status, case_id);

CREATE TABLE messages (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    author_id BIGINT NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    visibility TEXT NOT NULL,
    moderation TEXT NOT NULL,
    reply_due_on DATE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX messages_case ON messages (case_id, id);
CREATE INDEX messages_moderation ON messages (moderation, id);

CREATE TABLE documents (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT REFERENCES cases(id),
    draft_id BIGINT REFERENCES intake_drafts(id),
    uploaded_by BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL UNIQUE,
    visibility TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX documents_case ON documents (case_id, id);
CREATE INDEX documents_draft ON documents (draft_id);

CREATE TABLE offers (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    made_by BIGINT NOT NULL REFERENCES users(id),
    made_by_role TEXT NOT NULL,
    amount_cents BIGINT,
    actions TEXT NOT NULL DEFAULT '',
    terms TEXT NOT NULL,
    expires_on DATE NOT NULL,
    status TEXT NOT NULL,
    replaces_offer_id BIGINT REFERENCES offers(id),
    responded_by BIGINT REFERENCES users(id),
    responded_at TIMESTAMP,
    response_reason TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX offers_case ON offers (case_id, id);
CREATE UNIQUE INDEX offers_one_open_per_case ON offers (case_id) WHERE status = 'open';
CREATE INDEX offers_open_expiry ON offers (status, expires_on);

CREATE TABLE hearings (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    starts_at TIMESTAMP NOT NULL,
    location TEXT NOT NULL DEFAULT '',
    video_link TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX hearings_case ON hearings (case_id, id);

CREATE TABLE rulings (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    status TEXT NOT NULL,
    outcome TEXT NOT NULL,
    award_cents BIGINT,
    award_actions TEXT NOT NULL DEFAULT '',
    fee_refund_cents BIGINT NOT NULL DEFAULT 0,
    deposit_decision TEXT NOT NULL DEFAULT '',
    reasoning TEXT NOT NULL,
    summary TEXT NOT NULL,
    language TEXT NOT NULL,
    compliance_due_on DATE,
    corrects_ruling_id BIGINT REFERENCES rulings(id),
    drafted_by BIGINT NOT NULL REFERENCES users(id),
    issued_by BIGINT REFERENCES users(id),
    issued_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX rulings_case ON rulings (case_id, id);

CREATE TABLE published_rulings (
    id BIGSERIAL PRIMARY KEY,
    ruling_id BIGINT NOT NULL UNIQUE REFERENCES rulings(id),
    scheme_id BIGINT NOT NULL REFERENCES schemes(id),
    provider_id BIGINT REFERENCES providers(id),
    reference TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL,
    year INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    summary TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    published_at TIMESTAMP
);
CREATE INDEX published_rulings_filters ON published_rulings (status, scheme_id, year, published_at);

CREATE TABLE compliance_reports (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    kind TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    document_id BIGINT REFERENCES documents(id),
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX compliance_reports_case ON compliance_reports (case_id, id);

CREATE TABLE guarantee_claims (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL UNIQUE REFERENCES cases(id),
    guarantor_id BIGINT REFERENCES guarantors(id),
    amount_cents BIGINT NOT NULL,
    status TEXT NOT NULL,
    opened_at TIMESTAMP NOT NULL,
    paid_at TIMESTAMP
);

CREATE TABLE ratings (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL UNIQUE REFERENCES cases(id),
    provider_id BIGINT NOT NULL REFERENCES providers(id),
    score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX ratings_provider ON ratings (provider_id, created_at);

-- Changes outside a case (registry, schemes, users): who changed what, when.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_id BIGINT REFERENCES users(id),
    entity TEXT NOT NULL,
    entity_id BIGINT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_entity ON audit_log (entity, entity_id, id);

-- The durable job queue: e-mail outbox, reminders, deadline steps, webhooks.
-- Written in the same transaction as the action that causes the job.
CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- set for jobs that must exist once (a reminder for one deadline)
    dedup_key TEXT UNIQUE,
    run_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    locked_by TEXT,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX jobs_due ON jobs (run_at, id);
