DROP INDEX case_figures_closed_early;
DROP TABLE figure_totals_since;
DROP TABLE figure_answer_days;
DROP TABLE figure_totals;
DROP TABLE case_figures_stale;
DROP TABLE case_figures;
