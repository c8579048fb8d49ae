-- A mediator's proposal settles the case once both parties have accepted it: each acceptance is kept.
ALTER TABLE offers ADD COLUMN consumer_accepted_at TIMESTAMP;
ALTER TABLE offers ADD COLUMN provider_accepted_at TIMESTAMP;
-- A moved hearing is sent again as the same calendar event with a higher SEQUENCE (RFC 5545).
ALTER TABLE hearings ADD COLUMN sequence INTEGER NOT NULL DEFAULT 0;
