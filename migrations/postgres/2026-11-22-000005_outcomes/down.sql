ALTER TABLE hearings DROP COLUMN sequence;
ALTER TABLE offers DROP COLUMN provider_accepted_at;
ALTER TABLE offers DROP COLUMN consumer_accepted_at;
