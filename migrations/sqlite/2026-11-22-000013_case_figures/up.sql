-- What each case contributes to the statistics' figures (statistics::Contribution), derived from
-- its history by the worker (statistics::aggregates), so the hourly figures are added up here
-- instead of folding every case history with its events. Kept in the order the figures read it
-- (a scheme's cases by the time they were received), so a scheme's year is one range.
CREATE TABLE case_figures (
    scheme_id INTEGER NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    case_id INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    provider_id INTEGER NOT NULL,
    closed_at TIMESTAMP,
    finished INTEGER NOT NULL,
    settled INTEGER NOT NULL,
    on_merits INTEGER NOT NULL,
    upheld INTEGER NOT NULL,
    compliance_known INTEGER NOT NULL,
    complied INTEGER NOT NULL,
    answer_days INTEGER,
    PRIMARY KEY (scheme_id, submitted_at, case_id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX case_figures_case ON case_figures (case_id);

-- The rows of case_figures added up per scheme and provider over the cases received on or after
-- `figure_totals_since.from_day` (the first day of the statistics' window), kept by the worker as it
-- derives rows and as the window moves (statistics::aggregates), so the hourly figures read a row per
-- provider and a count per provider and number of days to answer, however many cases there are.
CREATE TABLE figure_totals (
    scheme_id INTEGER NOT NULL,
    provider_id INTEGER NOT NULL,
    cases INTEGER NOT NULL,
    finished INTEGER NOT NULL,
    settled INTEGER NOT NULL,
    on_merits INTEGER NOT NULL,
    upheld INTEGER NOT NULL,
    compliance_known INTEGER NOT NULL,
    complied INTEGER NOT NULL,
    PRIMARY KEY (scheme_id, provider_id)
) WITHOUT ROWID;
CREATE TABLE figure_answer_days (
    scheme_id INTEGER NOT NULL,
    provider_id INTEGER NOT NULL,
    days INTEGER NOT NULL,
    cases INTEGER NOT NULL,
    PRIMARY KEY (scheme_id, provider_id, days)
) WITHOUT ROWID;
CREATE TABLE figure_totals_since (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    from_day DATE NOT NULL
);
INSERT INTO figure_totals_since (id, from_day) VALUES (1, date('now', '-365 days'));
-- Cases closed before they were received (times of an imported history that disagree): the figures
-- pass over those closed before the window, which only these rows can be beyond its first day.
CREATE INDEX case_figures_closed_early ON case_figures (scheme_id, submitted_at) WHERE closed_at < submitted_at;

-- Cases whose history changed since their row above was derived (or that have none yet): marked
-- in the same transaction as the change, taken off by the worker when it derives the row again.
CREATE TABLE case_figures_stale (
    case_id INTEGER PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
    marked_at TIMESTAMP NOT NULL
);
INSERT INTO case_figures_stale (case_id, marked_at) SELECT id, CURRENT_TIMESTAMP FROM cases;
