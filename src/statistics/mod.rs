//! Provider statistics: cases in the last 12 months, share settled, share upheld, median
//! time to answer, compliance rate and average rating, per provider and for the sector.
//! Computed from the case events ([`CaseHistory`], read a chunk of cases at a time by `queries`)
//! by a pure fold ([`Tally`]) that keeps counts only, so memory does not grow with the cases;
//! the same histories feed the yearly report (`crate::report`). What each case adds to the fold
//! ([`Contribution`]) is also kept per case (`aggregates`), so the hourly figures are mostly added
//! up by the database. Charts: `svg` (pure).

pub mod aggregates;
pub mod cache;
pub mod generated;
pub mod handlers;
pub mod queries;
pub mod svg;

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use serde::Serialize;

/// One event of a case, as the figures need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub at: NaiveDateTime,
    pub kind: String,
    pub to_state: Option<String>,
    pub actor_role: String,
    /// `detail.ground` (refusals) or `detail.reason`, when given.
    pub reason: Option<String>,
}

/// A case with its events in order and its issued ruling's outcome.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseHistory {
    pub case_id: i64,
    pub provider_id: i64,
    pub scheme_id: i64,
    pub category: String,
    pub submitted_at: NaiveDateTime,
    pub events: Vec<Event>,
    /// The outcome of the last issued ruling and when it was issued.
    pub ruling: Option<(String, NaiveDateTime)>,
}

/// States in which a case has come to an end (a settlement, a ruling, or a stop).
pub const FINISHED_STATES: [&str; 6] = ["settled", "ruled", "refused", "withdrawn", "not_admissible", "closed"];
/// What the provider does as its first answer to a complete file.
pub const ANSWER_KINDS: [&str; 3] = ["submit_defence", "contest_admissibility", "accept_settlement"];

impl CaseHistory {
    /// The first time the case reached one of `states`.
    pub fn reached(&self, states: &[&str]) -> Option<NaiveDateTime> {
        self.events
            .iter()
            .find(|e| e.to_state.as_deref().is_some_and(|s| states.contains(&s)))
            .map(|e| e.at)
    }

    pub fn first_event(&self, kinds: &[&str]) -> Option<&Event> {
        self.events.iter().find(|e| kinds.contains(&e.kind.as_str()))
    }

    /// When the file was complete and the provider's turn began.
    pub fn defence_started(&self) -> Option<NaiveDateTime> {
        self.reached(&["awaiting_defence"])
    }

    /// Days from the complete file to the provider's first answer.
    pub fn days_to_answer(&self) -> Option<i64> {
        let start = self.defence_started()?;
        let answer = self
            .events
            .iter()
            .find(|e| e.at >= start && ANSWER_KINDS.contains(&e.kind.as_str()) && e.actor_role == "provider_staff")?;
        Some((answer.at - start).num_days())
    }

    /// How compliance ended: `Some(true)` confirmed, `Some(false)` not complied, `None` not (yet) known.
    pub fn complied(&self) -> Option<(bool, NaiveDateTime)> {
        self.events.iter().find_map(|e| match e.kind.as_str() {
            "confirm_compliance" => Some((true, e.at)),
            "report_non_compliance" | "compliance_term_expired" => Some((false, e.at)),
            _ => None,
        })
    }
}

/// A share with what it is a share of, so a page can say "3 of 4".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Share {
    pub count: u64,
    pub of: u64,
}

impl Share {
    /// Per mille, rounded; `None` when there is nothing to divide.
    pub fn per_mille(self) -> Option<u64> {
        (self.of > 0).then(|| (self.count * 1000 + self.of / 2) / self.of)
    }

    /// `"75,0 %"` (Dutch decimal comma), or `"–"`.
    pub fn percent_text(self) -> String {
        match self.per_mille() {
            Some(pm) => format!("{},{} %", pm / 10, pm % 10),
            None => "–".into(),
        }
    }
}

/// The median of whole days; the mean of the middle two for an even count, rounded down.
pub fn median(values: &[i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]).div_euclid(2)
    } else {
        sorted[mid]
    })
}

/// The mean in tenths (so `32` is 3.2), or `None`.
pub fn mean_tenths(values: &[i64]) -> Option<i64> {
    tenths_of_mean(values.iter().sum(), values.len() as u64)
}

/// The mean of `count` values adding up to `sum`, in tenths, rounded; `None` for no values.
fn tenths_of_mean(sum: i64, count: u64) -> Option<i64> {
    let n = i64::try_from(count).ok().filter(|n| *n > 0)?;
    Some((sum * 10 + n / 2).div_euclid(n))
}

pub fn tenths_text(tenths: Option<i64>) -> String {
    tenths.map_or_else(|| "–".into(), |t| format!("{},{}", t / 10, t % 10))
}

/// The figures of one provider (or of the sector) over one period.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Cases received in the period.
    pub cases: u64,
    /// Of the received cases that have finished: how many by a settlement.
    pub settled: Share,
    /// Of the rulings on the merits (upheld, partly upheld, rejected): how many (partly) upheld.
    pub upheld: Share,
    /// Median days from the complete file to the provider's first answer.
    pub median_days_to_answer: Option<i64>,
    /// Of outcomes whose compliance is known: how many complied with.
    pub complied: Share,
    /// Average consumer rating in tenths (1–5 stars).
    pub rating_tenths: Option<i64>,
    pub ratings: u64,
}

/// Whole days counted per value (a histogram): the median and mean of any number of cases in as
/// much memory as there are distinct values, exactly as [`median`] and [`mean_tenths`] of the list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayCounts {
    counts: BTreeMap<i64, u64>,
    len: u64,
    sum: i64,
}

impl DayCounts {
    pub fn add(&mut self, days: i64) {
        self.add_many(days, 1);
    }

    /// `count` values of `days` at once.
    pub fn add_many(&mut self, days: i64, count: u64) {
        if count == 0 {
            return;
        }
        *self.counts.entry(days).or_default() += count;
        self.len += count;
        self.sum += days * i64::try_from(count).unwrap_or(i64::MAX);
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value at `rank` (0-based) in sorted order.
    fn nth(&self, rank: u64) -> Option<i64> {
        let mut below = 0;
        for (&days, &count) in &self.counts {
            below += count;
            if rank < below {
                return Some(days);
            }
        }
        None
    }

    /// As [`median`]: the mean of the middle two for an even count, rounded down.
    pub fn median(&self) -> Option<i64> {
        let mid = self.len / 2;
        if self.len.is_multiple_of(2) {
            Some((self.nth(mid.checked_sub(1)?)? + self.nth(mid)?).div_euclid(2))
        } else {
            self.nth(mid)
        }
    }

    /// As [`mean_tenths`].
    pub fn mean_tenths(&self) -> Option<i64> {
        tenths_of_mean(self.sum, self.len)
    }
}

impl FromIterator<i64> for DayCounts {
    fn from_iter<I: IntoIterator<Item = i64>>(values: I) -> Self {
        let mut counts = DayCounts::default();
        values.into_iter().for_each(|days| counts.add(days));
        counts
    }
}

/// What one case adds to the figures of the period it was received in, read from its whole
/// history (so it changes only when the history does): kept per case by `aggregates`, so the
/// figures can be added up by the database instead of folding every history.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Contribution {
    /// It reached an end state (a settlement, a ruling, or a stop).
    pub finished: bool,
    pub settled: bool,
    /// Its issued ruling is on the merits (upheld, partly upheld, rejected).
    pub on_merits: bool,
    /// … and (partly) upheld.
    pub upheld: bool,
    /// Whether it was complied with is known.
    pub compliance_known: bool,
    pub complied: bool,
    /// Days from the complete file to the provider's first answer.
    pub answer_days: Option<i64>,
}

impl Contribution {
    pub fn of(case: &CaseHistory) -> Self {
        let on_merits_outcome = case
            .ruling
            .as_ref()
            .map(|(outcome, _)| outcome.as_str())
            .filter(|outcome| ["upheld", "partly_upheld", "rejected"].contains(outcome));
        let compliance = case.complied();
        Self {
            finished: case.reached(&FINISHED_STATES).is_some(),
            settled: case.reached(&["settled"]).is_some(),
            on_merits: on_merits_outcome.is_some(),
            upheld: on_merits_outcome.is_some_and(|outcome| outcome != "rejected"),
            compliance_known: compliance.is_some(),
            complied: compliance.is_some_and(|(ok, _)| ok),
            answer_days: case.days_to_answer(),
        }
    }
}

/// Counts of cases of a period added up: how many, and the shares' counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sums {
    pub cases: u64,
    pub settled: Share,
    pub upheld: Share,
    pub complied: Share,
}

impl From<Contribution> for Sums {
    fn from(c: Contribution) -> Self {
        let share = |of: bool, count: bool| Share {
            count: u64::from(of && count),
            of: u64::from(of),
        };
        Self {
            cases: 1,
            settled: share(c.finished, c.settled),
            upheld: share(c.on_merits, c.upheld),
            complied: share(c.compliance_known, c.complied),
        }
    }
}

/// The figures of one provider (or the sector) built up one case at a time, so the cases can be
/// read in chunks and dropped: it keeps counts only (the days to answer as a [`DayCounts`]).
#[derive(Clone, Debug)]
pub struct Tally {
    from: NaiveDate,
    until: NaiveDate,
    cases: u64,
    settled: Share,
    upheld: Share,
    complied: Share,
    answer_days: DayCounts,
    ratings: u64,
    rating_sum: i64,
}

impl Tally {
    /// For the cases received in `[from, until)` (other cases are passed over).
    pub fn new(from: NaiveDate, until: NaiveDate) -> Self {
        Self {
            from,
            until,
            cases: 0,
            settled: Share::default(),
            upheld: Share::default(),
            complied: Share::default(),
            answer_days: DayCounts::default(),
            ratings: 0,
            rating_sum: 0,
        }
    }

    pub fn add_case(&mut self, case: &CaseHistory) {
        let received = case.submitted_at.date();
        if received < self.from || received >= self.until {
            return;
        }
        self.add_contribution(Contribution::of(case));
    }

    /// A case of the period, by what it contributes.
    pub fn add_contribution(&mut self, contribution: Contribution) {
        self.add_sums(&contribution.into());
        if let Some(days) = contribution.answer_days {
            self.answer_days.add(days);
        }
    }

    /// Cases of the period counted already (the aggregates of `aggregates`): added as they are.
    pub fn add_sums(&mut self, sums: &Sums) {
        self.cases += sums.cases;
        for (share, add) in [
            (&mut self.settled, sums.settled),
            (&mut self.upheld, sums.upheld),
            (&mut self.complied, sums.complied),
        ] {
            share.count += add.count;
            share.of += add.of;
        }
    }

    /// `count` cases of the period answered after `days` days.
    pub fn add_answer_days(&mut self, days: i64, count: u64) {
        self.answer_days.add_many(days, count);
    }

    /// Another tally of the same period added to this one (schemes taken together).
    pub fn merge(&mut self, other: &Tally) {
        self.add_sums(&Sums {
            cases: other.cases,
            settled: other.settled,
            upheld: other.upheld,
            complied: other.complied,
        });
        for (&days, &count) in &other.answer_days.counts {
            self.answer_days.add_many(days, count);
        }
        self.add_ratings(other.ratings, other.rating_sum);
    }

    /// `count` ratings given in the period whose scores add up to `sum`.
    pub fn add_ratings(&mut self, count: u64, sum: i64) {
        self.ratings += count;
        self.rating_sum += sum;
    }

    pub fn finish(&self) -> Figures {
        Figures {
            cases: self.cases,
            settled: self.settled,
            upheld: self.upheld,
            median_days_to_answer: self.answer_days.median(),
            complied: self.complied,
            rating_tenths: tenths_of_mean(self.rating_sum, self.ratings),
            ratings: self.ratings,
        }
    }
}

/// The figures for the cases received in `[from, until)` and the ratings given in it.
pub fn figures(cases: &[CaseHistory], ratings: &[i32], from: NaiveDate, until: NaiveDate) -> Figures {
    let mut tally = Tally::new(from, until);
    cases.iter().for_each(|case| tally.add_case(case));
    tally.add_ratings(ratings.len() as u64, ratings.iter().map(|r| i64::from(*r)).sum());
    tally.finish()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn at(day: &str) -> NaiveDateTime {
        NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
    }

    pub fn event(day: &str, kind: &str, to: &str, role: &str) -> Event {
        Event {
            at: at(day),
            kind: kind.into(),
            to_state: Some(to.into()),
            actor_role: role.into(),
            reason: None,
        }
    }

    pub fn case(id: i64, submitted: &str, events: Vec<Event>, ruling: Option<(&str, &str)>) -> CaseHistory {
        CaseHistory {
            case_id: id,
            provider_id: 1,
            scheme_id: 1,
            category: "billing".into(),
            submitted_at: at(submitted),
            events,
            ruling: ruling.map(|(o, d)| (o.to_owned(), at(d))),
        }
    }

    pub use super::generated::{Dice, generated_cases};

    /// The figures as computed before the [`Tally`], from the whole list at once: the reference.
    fn figures_all_at_once(cases: &[CaseHistory], ratings: &[i32], from: NaiveDate, until: NaiveDate) -> Figures {
        let in_period: Vec<&CaseHistory> = cases
            .iter()
            .filter(|c| c.submitted_at.date() >= from && c.submitted_at.date() < until)
            .collect();
        let mut settled = Share::default();
        let mut upheld = Share::default();
        let mut complied = Share::default();
        let mut answer_days = Vec::new();
        for case in &in_period {
            if case.reached(&FINISHED_STATES).is_some() {
                settled.of += 1;
                if case.reached(&["settled"]).is_some() {
                    settled.count += 1;
                }
            }
            if let Some((outcome, _)) = &case.ruling
                && ["upheld", "partly_upheld", "rejected"].contains(&outcome.as_str())
            {
                upheld.of += 1;
                if outcome != "rejected" {
                    upheld.count += 1;
                }
            }
            if let Some((ok, _)) = case.complied() {
                complied.of += 1;
                if ok {
                    complied.count += 1;
                }
            }
            if let Some(days) = case.days_to_answer() {
                answer_days.push(days);
            }
        }
        let scores: Vec<i64> = ratings.iter().map(|r| i64::from(*r)).collect();
        Figures {
            cases: in_period.len() as u64,
            settled,
            upheld,
            median_days_to_answer: median(&answer_days),
            complied,
            rating_tenths: mean_tenths(&scores),
            ratings: scores.len() as u64,
        }
    }

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn day_counts_give_the_median_and_mean_of_the_list() {
        let mut dice = Dice::new(3);
        for len in (0..40).chain([99, 100, 1001]) {
            let values: Vec<i64> = (0..len).map(|_| dice.below(90) as i64 - 5).collect();
            let counts: DayCounts = values.iter().copied().collect();
            assert_eq!(counts.len(), len);
            assert_eq!(counts.median(), median(&values), "{values:?}");
            assert_eq!(counts.mean_tenths(), mean_tenths(&values), "{values:?}");
        }
        // Negative pairs round down as the list's median does.
        let counts: DayCounts = [-3, 0].into_iter().collect();
        assert_eq!((counts.median(), median(&[-3, 0])), (Some(-2), Some(-2)));
    }

    #[test]
    fn the_tally_of_one_case_at_a_time_equals_the_figures_of_the_whole_list() {
        let (from, until) = (day("2025-12-02"), day("2026-12-02"));
        for seed in 0..20 {
            let cases = generated_cases(seed, 300, from, until);
            let ratings: Vec<i32> = (0..seed as i32 * 7).map(|r| 1 + r % 5).collect();
            let expected = figures_all_at_once(&cases, &ratings, from, until);
            assert_eq!(figures(&cases, &ratings, from, until), expected, "seed {seed}");
            // The way the queries feed it: case by case, the ratings as a count and a sum.
            let mut tally = Tally::new(from, until);
            for case in &cases {
                tally.add_case(case);
            }
            tally.add_ratings(ratings.len() as u64, ratings.iter().map(|r| i64::from(*r)).sum());
            assert_eq!(tally.finish(), expected, "seed {seed}");
            assert!(expected.cases > 0 && expected.settled.of > 0 && expected.median_days_to_answer.is_some());
        }
    }

    #[test]
    fn tallies_of_contributions_added_up_and_merged_equal_the_fold_of_the_histories() {
        let (from, until) = (day("2025-12-02"), day("2026-12-02"));
        for seed in 0..20 {
            let cases = generated_cases(seed, 300, from, until);
            let mut folded = Tally::new(from, until);
            cases.iter().for_each(|case| folded.add_case(case));
            // As the aggregates give them: the cases of the period by their contributions, the
            // shares added up per provider, the days to answer counted per value.
            let in_period = cases
                .iter()
                .filter(|c| c.submitted_at.date() >= from && c.submitted_at.date() < until);
            let mut by_provider: BTreeMap<i64, (Sums, BTreeMap<i64, u64>)> = BTreeMap::new();
            for case in in_period {
                let contribution = Contribution::of(case);
                let (sums, days) = by_provider.entry(case.provider_id).or_default();
                let one = Sums::from(contribution);
                sums.cases += one.cases;
                for (total, add) in [
                    (&mut sums.settled, one.settled),
                    (&mut sums.upheld, one.upheld),
                    (&mut sums.complied, one.complied),
                ] {
                    total.count += add.count;
                    total.of += add.of;
                }
                if let Some(d) = contribution.answer_days {
                    *days.entry(d).or_default() += 1;
                }
            }
            let mut merged = Tally::new(from, until);
            for (sums, days) in by_provider.values() {
                let mut provider = Tally::new(from, until);
                provider.add_sums(sums);
                days.iter().for_each(|(&d, &n)| provider.add_answer_days(d, n));
                merged.merge(&provider);
            }
            folded.add_ratings(3, 11);
            merged.add_ratings(3, 11);
            assert_eq!(merged.finish(), folded.finish(), "seed {seed}");
            assert!(folded.finish().upheld.of > 0 && folded.finish().complied.of > 0);
        }
    }

    #[test]
    fn the_period_holds_its_first_day_from_midnight_and_not_the_day_after_its_last() {
        let (from, until) = (day("2026-01-01"), day("2027-01-01"));
        let received = |id, at: &str| CaseHistory {
            submitted_at: NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M:%S").unwrap(),
            ..case(id, "2026-06-01", vec![], None)
        };
        let cases = [
            received(1, "2025-12-31 23:59:59"),
            received(2, "2026-01-01 00:00:00"),
            received(3, "2026-12-31 23:59:59"),
            received(4, "2027-01-01 00:00:00"),
        ];
        let mut tally = Tally::new(from, until);
        cases.iter().for_each(|c| tally.add_case(c));
        assert_eq!(tally.finish().cases, 2);
        assert_eq!(tally.finish(), figures_all_at_once(&cases, &[], from, until));
    }

    #[test]
    fn medians_and_means_of_days() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[5]), Some(5));
        assert_eq!(median(&[9, 1, 5]), Some(5));
        assert_eq!(median(&[1, 2, 3, 10]), Some(2));
        assert_eq!(mean_tenths(&[4, 5]), Some(45));
        assert_eq!(mean_tenths(&[1, 2, 2]), Some(17));
        assert_eq!(tenths_text(Some(45)), "4,5");
        assert_eq!(tenths_text(None), "–");
    }

    #[test]
    fn shares_round_to_tenths_of_a_percent() {
        assert_eq!(Share { count: 1, of: 3 }.percent_text(), "33,3 %");
        assert_eq!(Share { count: 2, of: 3 }.percent_text(), "66,7 %");
        assert_eq!(Share { count: 0, of: 0 }.percent_text(), "–");
        assert_eq!(Share { count: 4, of: 4 }.per_mille(), Some(1000));
    }

    #[test]
    fn figures_count_settlements_rulings_answers_and_compliance_of_the_period() {
        let cases = vec![
            // Settled after a defence 10 days into the provider's turn.
            case(
                1,
                "2026-01-05",
                vec![
                    event("2026-01-10", "accept_complete", "awaiting_defence", "secretariat"),
                    event("2026-01-20", "submit_defence", "awaiting_reply", "provider_staff"),
                    event("2026-02-01", "accept_settlement", "settled", "consumer"),
                ],
                None,
            ),
            // Upheld, then not complied with; answered after 30 days.
            case(
                2,
                "2026-02-01",
                vec![
                    event("2026-02-02", "record_fee_paid", "awaiting_defence", "secretariat"),
                    event("2026-03-04", "submit_defence", "awaiting_reply", "provider_staff"),
                    event("2026-05-01", "issue_ruling", "ruled", "mediator"),
                    event("2026-05-02", "start_compliance", "in_compliance", "system"),
                    event("2026-06-02", "report_non_compliance", "guarantee_claim", "consumer"),
                ],
                Some(("upheld", "2026-05-01")),
            ),
            // Rejected and closed; no answer by the provider (term expired).
            case(
                3,
                "2026-03-01",
                vec![
                    event("2026-03-02", "accept_complete", "awaiting_defence", "secretariat"),
                    event("2026-04-02", "defence_term_expired", "awaiting_reply", "system"),
                    event("2026-06-01", "issue_ruling", "ruled", "mediator"),
                    event("2026-06-02", "close", "closed", "system"),
                ],
                Some(("rejected", "2026-06-01")),
            ),
            // Still running.
            case(4, "2026-04-01", vec![], None),
            // Outside the period.
            case(
                5,
                "2025-01-01",
                vec![event("2025-01-02", "withdraw", "withdrawn", "consumer")],
                None,
            ),
        ];
        let f = figures(
            &cases,
            &[4, 5, 2],
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
        );
        assert_eq!(f.cases, 4);
        assert_eq!(f.settled, Share { count: 1, of: 3 });
        assert_eq!(f.upheld, Share { count: 1, of: 2 });
        assert_eq!(f.median_days_to_answer, Some(20));
        assert_eq!(f.complied, Share { count: 0, of: 1 });
        assert_eq!(f.rating_tenths, Some(37));
        assert_eq!(f.ratings, 3);
    }
}
