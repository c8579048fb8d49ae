-- A filed draft points at its case: a second submit of the same draft finds the case instead of filing
-- twice, and the waiting-period reminder knows the draft was filed. (Drafts are found by id or by
-- consumer, which the existing indexes serve; nothing looks drafts up by case.)
ALTER TABLE intake_drafts ADD COLUMN case_id BIGINT REFERENCES cases(id);
-- When the complaint was forwarded to a member that cannot mediate (not certified or on hold): once.
ALTER TABLE intake_drafts ADD COLUMN forwarded_at TIMESTAMP;
