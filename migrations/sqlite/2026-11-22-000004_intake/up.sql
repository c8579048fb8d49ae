-- A filed draft points at its case: a second submit of the same draft finds the case instead of filing
-- twice, and the waiting-period reminder knows the draft was filed.
ALTER TABLE intake_drafts ADD COLUMN case_id BIGINT REFERENCES cases(id);
-- When the complaint was forwarded to a member that cannot mediate (not certified or on hold): once.
ALTER TABLE intake_drafts ADD COLUMN forwarded_at TIMESTAMP;
-- The worker's reminder and the consumer's list of open drafts.
CREATE INDEX intake_drafts_case ON intake_drafts (case_id);
