//! Provider statistics: cases in the last 12 months, share settled, share upheld, median
//! time to answer, compliance rate and average rating, per provider and for the sector.
//! Computed from the case events ([`CaseHistory`], loaded by `queries`) by pure functions,
//! so the same facts feed the yearly report (`crate::report`). Charts: `svg` (pure).

pub mod cache;
pub mod handlers;
pub mod queries;
pub mod svg;

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
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
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
    if values.is_empty() {
        return None;
    }
    let sum: i64 = values.iter().sum();
    let n = values.len() as i64;
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

/// The figures for the cases received in `[from, until)` and the ratings given in it.
pub fn figures(cases: &[CaseHistory], ratings: &[i32], from: NaiveDate, until: NaiveDate) -> Figures {
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
