-- De-duplication keys of jobs that ran: a finished job's row is deleted, its key stays, so a reminder
-- for one deadline is sent once however often the deadline sweep runs afterwards.
CREATE TABLE job_keys (
    key TEXT PRIMARY KEY,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX job_keys_created ON job_keys (created_at);
