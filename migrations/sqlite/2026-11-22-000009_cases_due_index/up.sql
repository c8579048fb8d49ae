-- The secretariat's list of all cases is ordered by deadline, then id (cases::queries::list_cases).
CREATE INDEX cases_due ON cases (state_due_on, id);
