//! The secretariat's completeness check, pure: the admissibility grounds a refusal is given on (the
//! domain rules' table, so the yearly report can count refusals per ground), and the warning when the
//! refusal term (3 weeks from the complete file, EU ADR Directive) is about to run out.

use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::registry::rules::{UnknownCode, parse_code};

/// A ground for refusing a complaint at intake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefusalGround {
    /// The provider was not affiliated with the scheme on the day that counts.
    NotAffiliated,
    /// The consumer did not complain to the provider in writing first.
    NoWrittenComplaint,
    /// The provider did not have its answer period.
    ProviderHadNoTime,
    /// Filed after the filing limit.
    FilingLimitPassed,
    /// The claim is outside the scheme's limits.
    ClaimOutsideLimits,
    /// The applicant is a business, not a consumer.
    NotAConsumer,
    /// A court or another dispute body has the dispute.
    BeforeCourtOrOtherBody,
    /// The complaint is frivolous or vexatious.
    FrivolousOrVexatious,
    /// The information asked for did not come.
    InformationNotSupplied,
}

impl RefusalGround {
    pub const ALL: [RefusalGround; 9] = [
        RefusalGround::NotAffiliated,
        RefusalGround::NoWrittenComplaint,
        RefusalGround::ProviderHadNoTime,
        RefusalGround::FilingLimitPassed,
        RefusalGround::ClaimOutsideLimits,
        RefusalGround::NotAConsumer,
        RefusalGround::BeforeCourtOrOtherBody,
        RefusalGround::FrivolousOrVexatious,
        RefusalGround::InformationNotSupplied,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            RefusalGround::NotAffiliated => "not_affiliated",
            RefusalGround::NoWrittenComplaint => "no_written_complaint",
            RefusalGround::ProviderHadNoTime => "provider_had_no_time",
            RefusalGround::FilingLimitPassed => "filing_limit_passed",
            RefusalGround::ClaimOutsideLimits => "claim_outside_limits",
            RefusalGround::NotAConsumer => "not_a_consumer",
            RefusalGround::BeforeCourtOrOtherBody => "before_court_or_other_body",
            RefusalGround::FrivolousOrVexatious => "frivolous_or_vexatious",
            RefusalGround::InformationNotSupplied => "information_not_supplied",
        }
    }
}

impl FromStr for RefusalGround {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("refusal_ground", &Self::ALL, Self::as_str, s)
    }
}

/// Reads the grounds the secretariat ticked: at least one, each known, each once.
pub fn parse_grounds<'a>(raw: impl IntoIterator<Item = &'a str>) -> Result<Vec<RefusalGround>, &'static str> {
    let mut grounds = Vec::new();
    for value in raw {
        let ground: RefusalGround = value.trim().parse().map_err(|_| "intake-refuse-ground-unknown")?;
        if !grounds.contains(&ground) {
            grounds.push(ground);
        }
    }
    if grounds.is_empty() {
        return Err("intake-refuse-ground-required");
    }
    grounds.sort_by_key(|g| RefusalGround::ALL.iter().position(|x| x == g));
    Ok(grounds)
}

/// How close the refusal term is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "level")]
pub enum RefusalTerm {
    /// More than [`WARN_DAYS`] days left.
    Running { days_left: i64 },
    /// [`WARN_DAYS`] days or fewer left: decide now.
    Close { days_left: i64 },
    /// The term has passed.
    Passed { days_over: i64 },
}

/// From this many days before the end of the refusal term the case page warns.
pub const WARN_DAYS: i64 = 5;

/// The state of the refusal term that ends on `due_on`.
pub fn refusal_term(due_on: NaiveDate, today: NaiveDate) -> RefusalTerm {
    let days_left = (due_on - today).num_days();
    if days_left < 0 {
        RefusalTerm::Passed { days_over: -days_left }
    } else if days_left <= WARN_DAYS {
        RefusalTerm::Close { days_left }
    } else {
        RefusalTerm::Running { days_left }
    }
}

/// Reads a deposit amount: euros as typed, more than zero.
pub fn parse_deposit(raw: &str) -> Result<i64, &'static str> {
    match super::wizard::parse_euros(raw)? {
        None => Err("intake-error-required"),
        Some(0) => Err("intake-deposit-zero"),
        Some(cents) => Ok(cents),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn grounds_are_read_deduplicated_in_table_order_and_at_least_one_is_needed() {
        assert_eq!(
            parse_grounds(["filing_limit_passed", "not_affiliated", "filing_limit_passed"]),
            Ok(vec![RefusalGround::NotAffiliated, RefusalGround::FilingLimitPassed])
        );
        assert_eq!(parse_grounds([]), Err("intake-refuse-ground-required"));
        assert_eq!(parse_grounds(["because"]), Err("intake-refuse-ground-unknown"));
        for ground in RefusalGround::ALL {
            assert_eq!(ground.as_str().parse::<RefusalGround>().unwrap(), ground);
        }
    }

    #[test]
    fn the_warning_starts_five_days_before_the_refusal_term_ends() {
        let due = d(2026, 12, 13);
        assert_eq!(refusal_term(due, d(2026, 12, 7)), RefusalTerm::Running { days_left: 6 });
        assert_eq!(refusal_term(due, d(2026, 12, 8)), RefusalTerm::Close { days_left: 5 });
        assert_eq!(refusal_term(due, due), RefusalTerm::Close { days_left: 0 });
        assert_eq!(refusal_term(due, d(2026, 12, 14)), RefusalTerm::Passed { days_over: 1 });
    }

    #[test]
    fn a_deposit_is_a_positive_amount() {
        assert_eq!(parse_deposit("80,00"), Ok(8_000));
        assert_eq!(parse_deposit("0"), Err("intake-deposit-zero"));
        assert_eq!(parse_deposit(""), Err("intake-error-required"));
        assert_eq!(parse_deposit("-3"), Err("intake-error-amount-negative"));
    }
}
