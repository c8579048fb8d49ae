//! The yearly ADR report (EU ADR Directive, art. 19): for a scheme and a period, the
//! disputes received and their types, refusals per ground, procedures discontinued and
//! why, the duration, the outcomes and the compliance rate. Computed by [`ReportTally`] (a pure
//! fold over the case events, [`crate::statistics::CaseHistory`], one case at a time as the
//! queries read them in chunks), so any period can be computed again at any time in bounded
//! memory; `handlers` serves the page with charts and the CSV.

pub mod handlers;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::statistics::{CaseHistory, DayCounts, Share};

/// How a procedure came to an end.
pub const END_STATES: [&str; 6] = ["settled", "ruled", "refused", "withdrawn", "not_admissible", "closed"];
/// Ends that are an outcome (an agreement, a ruling, or a mediation closed without one).
pub const OUTCOME_STATES: [&str; 3] = ["settled", "ruled", "closed"];
/// Ends that stop the procedure before an outcome.
pub const DISCONTINUED_STATES: [&str; 2] = ["withdrawn", "not_admissible"];

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct AdrReport {
    pub from: NaiveDate,
    /// The first day after the period.
    pub until: NaiveDate,
    /// Disputes received (filed) in the period.
    pub received: u64,
    /// Received disputes per category.
    pub by_category: Vec<(String, u64)>,
    /// Refusals in the period, as a share of the disputes received.
    pub refused: Share,
    /// Per refusal ground, as a share of all refusals.
    pub refusal_grounds: Vec<(String, Share)>,
    /// Procedures that ended in the period (any end).
    pub ended: u64,
    /// Of those: discontinued (withdrawn, not admissible).
    pub discontinued: Share,
    /// Why, as a share of the discontinued.
    pub discontinued_reasons: Vec<(String, Share)>,
    /// Outcomes in the period: settled, and rulings by outcome.
    pub outcomes: Vec<(String, u64)>,
    /// Days from the complete file (or filing, when the file was never marked complete) to the outcome.
    pub duration_cases: u64,
    pub average_days_tenths: Option<i64>,
    pub median_days: Option<i64>,
    /// Of the outcomes whose compliance became known in the period: complied with.
    pub complied: Share,
}

fn in_period(day: NaiveDate, from: NaiveDate, until: NaiveDate) -> bool {
    day >= from && day < until
}

/// The ground of a refusal: the one recorded, else what the kind of event says.
fn refusal_ground(kind: &str, reason: Option<&str>) -> String {
    match (reason, kind) {
        (Some(reason), _) => reason.to_owned(),
        (None, "information_term_expired") => "information_not_provided".into(),
        (None, "fee_term_expired") => "fee_not_paid".into(),
        (None, _) => "unspecified".into(),
    }
}

fn shares(counts: BTreeMap<String, u64>, of: u64) -> Vec<(String, Share)> {
    counts
        .into_iter()
        .map(|(key, count)| (key, Share { count, of }))
        .collect()
}

/// The report built up one case at a time, so the cases can be read in chunks and dropped: it
/// keeps counts per category, ground, reason and outcome, and the durations as a [`DayCounts`].
#[derive(Clone, Debug)]
pub struct ReportTally {
    report: AdrReport,
    categories: BTreeMap<String, u64>,
    grounds: BTreeMap<String, u64>,
    reasons: BTreeMap<String, u64>,
    outcomes: BTreeMap<String, u64>,
    durations: DayCounts,
    refusals: u64,
    discontinued: u64,
}

impl ReportTally {
    /// For the period `[from, until)`.
    pub fn new(from: NaiveDate, until: NaiveDate) -> Self {
        Self {
            report: AdrReport {
                from,
                until,
                ..AdrReport::default()
            },
            categories: BTreeMap::new(),
            grounds: BTreeMap::new(),
            reasons: BTreeMap::new(),
            outcomes: BTreeMap::new(),
            durations: DayCounts::default(),
            refusals: 0,
            discontinued: 0,
        }
    }

    pub fn add_case(&mut self, case: &CaseHistory) {
        let (from, until) = (self.report.from, self.report.until);
        if in_period(case.submitted_at.date(), from, until) {
            self.report.received += 1;
            *self.categories.entry(case.category.clone()).or_default() += 1;
        }
        // Refusals: every move into `refused` in the period.
        for event in &case.events {
            if event.to_state.as_deref() == Some("refused") && in_period(event.at.date(), from, until) {
                self.refusals += 1;
                *self
                    .grounds
                    .entry(refusal_ground(&event.kind, event.reason.as_deref()))
                    .or_default() += 1;
            }
        }
        // The end of the procedure: the first move into an end state.
        let end = case
            .events
            .iter()
            .find(|e| e.to_state.as_deref().is_some_and(|s| END_STATES.contains(&s)));
        if let Some(end) = end.filter(|e| in_period(e.at.date(), from, until)) {
            self.report.ended += 1;
            let state = end.to_state.as_deref().unwrap_or_default();
            if DISCONTINUED_STATES.contains(&state) {
                self.discontinued += 1;
                let why = end.reason.clone().unwrap_or_else(|| state.to_owned());
                *self.reasons.entry(why).or_default() += 1;
            }
            if OUTCOME_STATES.contains(&state) {
                let outcome = match (state, &case.ruling) {
                    ("ruled", Some((outcome, _))) => outcome.clone(),
                    ("closed", _) => "closed_without_agreement".into(),
                    (state, _) => state.to_owned(),
                };
                *self.outcomes.entry(outcome).or_default() += 1;
                let start = case.defence_started().unwrap_or(case.submitted_at);
                self.durations.add((end.at - start).num_days());
            }
        }
        if let Some((complied, _)) = case.complied().filter(|(_, at)| in_period(at.date(), from, until)) {
            self.report.complied.of += 1;
            self.report.complied.count += u64::from(complied);
        }
    }

    pub fn finish(self) -> AdrReport {
        let report = self.report;
        AdrReport {
            by_category: self.categories.into_iter().collect(),
            refused: Share {
                count: self.refusals,
                of: report.received,
            },
            refusal_grounds: shares(self.grounds, self.refusals),
            discontinued: Share {
                count: self.discontinued,
                of: report.ended,
            },
            discontinued_reasons: shares(self.reasons, self.discontinued),
            outcomes: self.outcomes.into_iter().collect(),
            duration_cases: self.durations.len(),
            average_days_tenths: self.durations.mean_tenths(),
            median_days: self.durations.median(),
            ..report
        }
    }
}

/// The report of the cases in `cases` for `[from, until)`.
pub fn compute(cases: &[CaseHistory], from: NaiveDate, until: NaiveDate) -> AdrReport {
    let mut tally = ReportTally::new(from, until);
    cases.iter().for_each(|case| tally.add_case(case));
    tally.finish()
}

/// The report as CSV (`;`-separated, as Dutch spreadsheets expect): section, item, count,
/// of, share in per mille.
pub fn to_csv(report: &AdrReport, scheme: &str) -> String {
    let mut out = String::from("section;item;count;of;share_percent\n");
    let mut line = |section: &str, item: &str, count: u64, of: Option<u64>| {
        let share = of
            .map(|of| Share { count, of }.percent_text().replace(" %", ""))
            .unwrap_or_default();
        let clean = |s: &str| s.replace([';', '\n', '\r', '"'], " ");
        out.push_str(&format!(
            "{};{};{count};{};{}\n",
            clean(section),
            clean(item),
            of.map(|o| o.to_string()).unwrap_or_default(),
            if share == "–" { String::new() } else { share }
        ));
    };
    line("scheme", scheme, 0, None);
    line("period", &format!("{}..{}", report.from, report.until), 0, None);
    line("received", "total", report.received, None);
    for (category, count) in &report.by_category {
        line("received_by_category", category, *count, Some(report.received));
    }
    line("refused", "total", report.refused.count, Some(report.refused.of));
    for (ground, share) in &report.refusal_grounds {
        line("refused_by_ground", ground, share.count, Some(share.of));
    }
    line("ended", "total", report.ended, None);
    line(
        "discontinued",
        "total",
        report.discontinued.count,
        Some(report.discontinued.of),
    );
    for (reason, share) in &report.discontinued_reasons {
        line("discontinued_by_reason", reason, share.count, Some(share.of));
    }
    for (outcome, count) in &report.outcomes {
        line("outcome", outcome, *count, None);
    }
    line("duration_days", "cases", report.duration_cases, None);
    line(
        "duration_days",
        "average_tenths",
        report.average_days_tenths.unwrap_or(0).max(0) as u64,
        None,
    );
    line(
        "duration_days",
        "median",
        report.median_days.unwrap_or(0).max(0) as u64,
        None,
    );
    line("complied", "total", report.complied.count, Some(report.complied.of));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statistics::tests::{at, case, event, generated_cases};
    use crate::statistics::{Event, mean_tenths, median};

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn refusal(day: &str, kind: &str, ground: Option<&str>) -> Event {
        Event {
            at: at(day),
            kind: kind.into(),
            to_state: Some("refused".into()),
            actor_role: "secretariat".into(),
            reason: ground.map(str::to_owned),
        }
    }

    /// The report as computed before the [`ReportTally`], from the whole list at once: the reference.
    fn compute_all_at_once(cases: &[CaseHistory], from: NaiveDate, until: NaiveDate) -> AdrReport {
        let mut report = AdrReport {
            from,
            until,
            ..AdrReport::default()
        };
        let mut categories: BTreeMap<String, u64> = BTreeMap::new();
        let mut grounds: BTreeMap<String, u64> = BTreeMap::new();
        let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
        let mut outcomes: BTreeMap<String, u64> = BTreeMap::new();
        let mut durations = Vec::new();
        let mut refusals = 0;
        let mut discontinued = 0;
        for case in cases {
            if in_period(case.submitted_at.date(), from, until) {
                report.received += 1;
                *categories.entry(case.category.clone()).or_default() += 1;
            }
            // Refusals: every move into `refused` in the period.
            for event in &case.events {
                if event.to_state.as_deref() == Some("refused") && in_period(event.at.date(), from, until) {
                    refusals += 1;
                    *grounds
                        .entry(refusal_ground(&event.kind, event.reason.as_deref()))
                        .or_default() += 1;
                }
            }
            // The end of the procedure: the first move into an end state.
            let end = case
                .events
                .iter()
                .find(|e| e.to_state.as_deref().is_some_and(|s| END_STATES.contains(&s)));
            if let Some(end) = end.filter(|e| in_period(e.at.date(), from, until)) {
                report.ended += 1;
                let state = end.to_state.as_deref().unwrap_or_default();
                if DISCONTINUED_STATES.contains(&state) {
                    discontinued += 1;
                    let why = end.reason.clone().unwrap_or_else(|| state.to_owned());
                    *reasons.entry(why).or_default() += 1;
                }
                if OUTCOME_STATES.contains(&state) {
                    let outcome = match (state, &case.ruling) {
                        ("ruled", Some((outcome, _))) => outcome.clone(),
                        ("closed", _) => "closed_without_agreement".into(),
                        (state, _) => state.to_owned(),
                    };
                    *outcomes.entry(outcome).or_default() += 1;
                    let start = case.defence_started().unwrap_or(case.submitted_at);
                    durations.push((end.at - start).num_days());
                }
            }
            if let Some((complied, _)) = case.complied().filter(|(_, at)| in_period(at.date(), from, until)) {
                report.complied.of += 1;
                report.complied.count += u64::from(complied);
            }
        }
        report.by_category = categories.into_iter().collect();
        report.refused = Share {
            count: refusals,
            of: report.received,
        };
        report.refusal_grounds = shares(grounds, refusals);
        report.discontinued = Share {
            count: discontinued,
            of: report.ended,
        };
        report.discontinued_reasons = shares(reasons, discontinued);
        report.outcomes = outcomes.into_iter().collect();
        report.duration_cases = durations.len() as u64;
        report.average_days_tenths = mean_tenths(&durations);
        report.median_days = median(&durations);
        report
    }

    #[test]
    fn a_hand_counted_year_gives_the_same_figures() {
        let mut cases = vec![
            // 1: refused for being out of time.
            case(
                1,
                "2025-02-01",
                vec![refusal("2025-02-10", "refuse", Some("filing_limit"))],
                None,
            ),
            // 2: refused, information never provided.
            case(
                2,
                "2025-03-01",
                vec![refusal("2025-04-01", "information_term_expired", None)],
                None,
            ),
            // 3: settled 20 days after the complete file.
            case(
                3,
                "2025-03-05",
                vec![
                    event("2025-03-10", "accept_complete", "awaiting_defence", "secretariat"),
                    event("2025-03-30", "accept_settlement", "settled", "consumer"),
                    event("2025-04-01", "close", "closed", "system"),
                ],
                None,
            ),
            // 4: ruled (upheld) 60 days after the complete file, complied with.
            case(
                4,
                "2025-04-01",
                vec![
                    event("2025-04-02", "accept_complete", "awaiting_defence", "secretariat"),
                    event("2025-06-01", "issue_ruling", "ruled", "mediator"),
                    event("2025-06-02", "start_compliance", "in_compliance", "system"),
                    event("2025-06-20", "confirm_compliance", "closed", "consumer"),
                ],
                Some(("upheld", "2025-06-01")),
            ),
            // 5: withdrawn.
            case(
                5,
                "2025-05-01",
                vec![event("2025-05-03", "withdraw", "withdrawn", "consumer")],
                None,
            ),
            // 6: ruled (rejected) after 100 days; not complied is impossible, closed.
            case(
                6,
                "2025-06-01",
                vec![
                    event("2025-06-01", "accept_complete", "awaiting_defence", "secretariat"),
                    event("2025-09-09", "issue_ruling", "ruled", "mediator"),
                    event("2025-09-10", "close", "closed", "system"),
                ],
                Some(("rejected", "2025-09-09")),
            ),
            // 7: upheld, not complied with (in the period).
            case(
                7,
                "2025-07-01",
                vec![
                    event("2025-07-01", "accept_complete", "awaiting_defence", "secretariat"),
                    event("2025-08-10", "issue_ruling", "ruled", "mediator"),
                    event("2025-08-11", "start_compliance", "in_compliance", "system"),
                    event("2025-09-20", "compliance_term_expired", "guarantee_claim", "system"),
                ],
                Some(("upheld", "2025-08-10")),
            ),
            // 8: still running at the end of the year.
            case(8, "2025-12-20", vec![], None),
            // 9: filed the year before, declared not admissible this year.
            case(
                9,
                "2024-12-01",
                vec![
                    event("2024-12-05", "accept_complete", "awaiting_defence", "secretariat"),
                    event("2025-01-15", "declare_not_admissible", "not_admissible", "mediator"),
                ],
                None,
            ),
            // 10: filed this year, refused next year: not in this year's refusals.
            case(
                10,
                "2025-12-30",
                vec![refusal("2026-01-05", "refuse", Some("filing_limit"))],
                None,
            ),
        ];
        cases[7].category = "outage_speed".into();
        let report = compute(&cases, day("2025-01-01"), day("2026-01-01"));
        assert_eq!(report.received, 9);
        assert_eq!(
            report.by_category,
            vec![("billing".into(), 8), ("outage_speed".into(), 1)]
        );
        assert_eq!(report.refused, Share { count: 2, of: 9 });
        assert_eq!(
            report.refusal_grounds,
            vec![
                ("filing_limit".into(), Share { count: 1, of: 2 }),
                ("information_not_provided".into(), Share { count: 1, of: 2 }),
            ]
        );
        // Ended: 1, 2 (refused), 3 (settled), 4, 6, 7 (ruled), 5 (withdrawn), 9 (not admissible).
        assert_eq!(report.ended, 8);
        assert_eq!(report.discontinued, Share { count: 2, of: 8 });
        assert_eq!(
            report.discontinued_reasons,
            vec![
                ("not_admissible".into(), Share { count: 1, of: 2 }),
                ("withdrawn".into(), Share { count: 1, of: 2 }),
            ]
        );
        assert_eq!(
            report.outcomes,
            vec![("rejected".into(), 1), ("settled".into(), 1), ("upheld".into(), 2)]
        );
        // Durations 20, 60, 100, 40: mean 55,0, median 50.
        assert_eq!(report.duration_cases, 4);
        assert_eq!(report.average_days_tenths, Some(550));
        assert_eq!(report.median_days, Some(50));
        assert_eq!(report.complied, Share { count: 1, of: 2 });

        let csv = to_csv(&report, "TEL");
        assert!(csv.contains("refused_by_ground;filing_limit;1;2;50,0\n"), "{csv}");
        assert!(csv.contains("received;total;9;;\n"), "{csv}");
        assert!(csv.contains("complied;total;1;2;50,0\n"), "{csv}");
    }

    #[test]
    fn the_tally_of_one_case_at_a_time_equals_the_report_of_the_whole_list() {
        let (from, until) = (day("2025-01-01"), day("2026-01-01"));
        for seed in 0..20 {
            let cases = generated_cases(seed, 300, from, until);
            let expected = compute_all_at_once(&cases, from, until);
            assert_eq!(compute(&cases, from, until), expected, "seed {seed}");
            assert!(expected.received > 0 && expected.refused.count > 0 && expected.median_days.is_some());
            assert!(!expected.discontinued_reasons.is_empty() && expected.complied.of > 0);
        }
    }

    #[test]
    fn an_empty_period_has_no_shares_and_no_durations() {
        let report = compute(&[], day("2025-01-01"), day("2026-01-01"));
        assert_eq!(report.received, 0);
        assert_eq!(report.refused.per_mille(), None);
        assert_eq!(report.median_days, None);
        assert!(to_csv(&report, "TEL").contains("refused;total;0;0;\n"));
    }
}
