-- A party's request to move the current deadline of its case, decided by the secretariat.
CREATE TABLE extension_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id BIGINT NOT NULL REFERENCES cases(id),
    requested_by BIGINT NOT NULL REFERENCES users(id),
    -- the deadline the request is about, so a request made for an earlier step can be recognised
    current_due_on DATE NOT NULL,
    requested_until DATE NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_by BIGINT REFERENCES users(id),
    decided_until DATE,
    decision_reason TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP
);
CREATE INDEX extension_requests_case ON extension_requests (case_id, id);
CREATE INDEX extension_requests_open ON extension_requests (status, id);
