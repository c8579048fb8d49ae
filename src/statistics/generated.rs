//! Generated case histories of every kind, deterministic for a seed: the tests check the figures'
//! folds and their aggregates against each other on them (also on both databases, from
//! `tests/`, which is why they are not behind `cfg(test)`).

use chrono::NaiveDate;

use super::{CaseHistory, Event};

/// A small deterministic generator, so the generated cases are the same on every run.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407))
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }

    pub fn pick<'a, T>(&mut self, from: &'a [T]) -> &'a T {
        &from[self.below(from.len() as u64) as usize]
    }
}

/// `n` cases of every kind, many of them received or ended on the first or last day of
/// `[from, until)` or just outside it, at midnight or a second before.
pub fn generated_cases(seed: u64, n: i64, from: NaiveDate, until: NaiveDate) -> Vec<CaseHistory> {
    const MOVES: [(&str, &str, &str); 18] = [
        ("accept_complete", "awaiting_defence", "secretariat"),
        ("record_fee_paid", "awaiting_defence", "secretariat"),
        ("submit_defence", "awaiting_reply", "provider_staff"),
        ("contest_admissibility", "admissibility_contested", "provider_staff"),
        ("accept_settlement", "settled", "provider_staff"),
        ("accept_settlement", "settled", "consumer"),
        ("defence_term_expired", "awaiting_reply", "system"),
        ("issue_ruling", "ruled", "mediator"),
        ("start_compliance", "in_compliance", "system"),
        ("confirm_compliance", "closed", "consumer"),
        ("report_non_compliance", "guarantee_claim", "consumer"),
        ("compliance_term_expired", "guarantee_claim", "system"),
        ("refuse", "refused", "secretariat"),
        ("information_term_expired", "refused", "system"),
        ("fee_term_expired", "refused", "system"),
        ("withdraw", "withdrawn", "consumer"),
        ("declare_not_admissible", "not_admissible", "mediator"),
        ("close", "closed", "system"),
    ];
    let mut dice = Dice::new(seed);
    let day = |d: NaiveDate, offset: i64| d + chrono::TimeDelta::days(offset);
    let edges = [day(from, -1), from, day(until, -1), until];
    let time = |dice: &mut Dice, date: NaiveDate| match dice.below(3) {
        0 => date.and_hms_opt(0, 0, 0).unwrap(),
        1 => date.and_hms_opt(23, 59, 59).unwrap(),
        _ => date
            .and_hms_opt(dice.below(24) as u32, dice.below(60) as u32, 0)
            .unwrap(),
    };
    let span = (until - from).num_days() + 80;
    (1..=n)
        .map(|id| {
            let received = if dice.below(2) == 0 {
                *dice.pick(&edges)
            } else {
                day(from, dice.below(span as u64) as i64 - 40)
            };
            let submitted_at = time(&mut dice, received);
            let mut at = submitted_at;
            let events = (0..dice.below(7))
                .map(|_| {
                    // Mostly forward in time, now and then an event on an edge of the period.
                    at = if dice.below(5) == 0 {
                        let edge = *dice.pick(&edges);
                        time(&mut dice, edge)
                    } else {
                        at + chrono::TimeDelta::hours(dice.below(24 * 60) as i64)
                    };
                    let (kind, to, role) = *dice.pick(&MOVES);
                    Event {
                        at,
                        kind: kind.into(),
                        to_state: (dice.below(10) > 0).then(|| to.into()),
                        actor_role: role.into(),
                        reason: dice
                            .pick(&[None, None, Some("filing_limit"), Some("solved_with_provider")])
                            .map(str::to_owned),
                    }
                })
                .collect();
            let outcome = *dice.pick(&[
                None,
                Some("upheld"),
                Some("partly_upheld"),
                Some("rejected"),
                Some("other"),
            ]);
            let ruled_on = *dice.pick(&edges);
            let ruled_on = time(&mut dice, ruled_on);
            CaseHistory {
                case_id: id,
                provider_id: 1 + dice.below(4) as i64,
                scheme_id: 1,
                category: (*dice.pick(&["billing", "outage_speed", "privacy"])).into(),
                submitted_at,
                events,
                ruling: outcome.map(|o| (o.to_owned(), ruled_on)),
            }
        })
        .collect()
}
