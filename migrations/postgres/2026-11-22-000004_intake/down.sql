ALTER TABLE intake_drafts DROP COLUMN forwarded_at;
ALTER TABLE intake_drafts DROP COLUMN case_id;
