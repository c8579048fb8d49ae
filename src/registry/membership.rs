//! Memberships and KvK numbers, pure: parsing a KvK number as people type it, the codes of a membership's
//! status and route, whether a membership counts on a given day, and whether two validity periods overlap.
//!
//! A validity period runs from `valid_from` up to and including `valid_until` (the last day of membership);
//! an open end means "until further notice".

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::registry::rules::{MembershipDateBasis, UnknownCode, parse_code};

/// A KvK (Chamber of Commerce) number: exactly eight ASCII digits. Since 2016 it has no check digit, so only
/// the form is checked.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct KvkNumber(String);

/// Why a typed KvK number was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KvkProblem {
    /// Nothing but spaces.
    Empty,
    /// A character other than digits, spaces, dots or dashes.
    NotDigits,
    /// Digits, but not eight of them.
    WrongLength,
}

impl KvkProblem {
    /// The translation key of the message shown to the user.
    pub const fn message_key(self) -> &'static str {
        match self {
            KvkProblem::Empty => "field-required",
            KvkProblem::NotDigits | KvkProblem::WrongLength => "registry-kvk-invalid",
        }
    }
}

impl KvkNumber {
    /// Accepts what people type: "6000 0011", "60.00.00.11" and "60000011" are the same number.
    pub fn parse(input: &str) -> Result<KvkNumber, KvkProblem> {
        let mut digits = String::with_capacity(8);
        for c in input.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '.' | '-' | '\u{a0}' | '\t' => {}
                _ => return Err(KvkProblem::NotDigits),
            }
        }
        match digits.len() {
            0 => Err(KvkProblem::Empty),
            8 => Ok(KvkNumber(digits)),
            _ => Err(KvkProblem::WrongLength),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KvkNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a membership stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipStatus {
    /// A member in good standing.
    Certified,
    /// Suspended: requests are forwarded to the provider only, without mediation or ruling.
    OnHold,
    /// The membership ended on its `valid_until`; it still counts for days before that.
    Ended,
}

impl MembershipStatus {
    pub const ALL: [MembershipStatus; 3] = [
        MembershipStatus::Certified,
        MembershipStatus::OnHold,
        MembershipStatus::Ended,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            MembershipStatus::Certified => "certified",
            MembershipStatus::OnHold => "on_hold",
            MembershipStatus::Ended => "ended",
        }
    }
}

impl FromStr for MembershipStatus {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("membership_status", &Self::ALL, Self::as_str, s)
    }
}

/// How a provider is affiliated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// Directly with the scheme.
    Direct,
    /// Through a trade association, which then guarantees compliance with rulings.
    TradeAssociation,
}

impl Via {
    pub const ALL: [Via; 2] = [Via::Direct, Via::TradeAssociation];

    pub const fn as_str(self) -> &'static str {
        match self {
            Via::Direct => "direct",
            Via::TradeAssociation => "trade_association",
        }
    }
}

impl FromStr for Via {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("via", &Self::ALL, Self::as_str, s)
    }
}

/// A validity period; `until` is the last day of membership, `None` when open-ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ValidityPeriod {
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl ValidityPeriod {
    /// Whether `date` lies in the period, both ends included.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.from <= date && self.until.is_none_or(|until| date <= until)
    }

    /// Whether the two periods share at least one day.
    pub fn overlaps(&self, other: &ValidityPeriod) -> bool {
        let self_starts_before_other_ends = other.until.is_none_or(|until| self.from <= until);
        let other_starts_before_self_ends = self.until.is_none_or(|until| other.from <= until);
        self_starts_before_other_ends && other_starts_before_self_ends
    }
}

/// Why a membership as entered cannot be saved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodProblem {
    /// The last day lies before the first.
    EndsBeforeItStarts,
    /// Status "ended" needs the last day.
    EndedWithoutEnd,
}

impl PeriodProblem {
    pub const fn code(self) -> &'static str {
        match self {
            PeriodProblem::EndsBeforeItStarts => "period_reversed",
            PeriodProblem::EndedWithoutEnd => "ended_without_end",
        }
    }
}

/// Checks a membership's period against its status.
pub fn check_period(period: &ValidityPeriod, status: MembershipStatus) -> Result<(), PeriodProblem> {
    if period.until.is_some_and(|until| until < period.from) {
        return Err(PeriodProblem::EndsBeforeItStarts);
    }
    if status == MembershipStatus::Ended && period.until.is_none() {
        return Err(PeriodProblem::EndedWithoutEnd);
    }
    Ok(())
}

/// The first of `others` that shares a day with `period`, if any.
pub fn first_overlap<'a>(period: &ValidityPeriod, others: &'a [ValidityPeriod]) -> Option<&'a ValidityPeriod> {
    others.iter().find(|other| period.overlaps(other))
}

/// What one membership says about one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// A member on that day.
    Member,
    /// Within the period, but the membership is on hold: requests are only forwarded.
    OnHold,
    /// Not a member on that day.
    NotMember,
}

impl Standing {
    pub const ALL: [Standing; 3] = [Standing::Member, Standing::OnHold, Standing::NotMember];

    pub const fn as_str(self) -> &'static str {
        match self {
            Standing::Member => "member",
            Standing::OnHold => "on_hold",
            Standing::NotMember => "not_member",
        }
    }
}

/// One membership as the check sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MembershipFact {
    pub period: ValidityPeriod,
    pub status: MembershipStatus,
}

/// The standing on `date` given all of one provider's memberships of one scheme. A period that covers the
/// day counts (an ended membership still counts for the days it ran); "on hold" is where it stands now, so
/// it applies to every covered day, as the conservative answer.
pub fn standing_on(memberships: &[MembershipFact], date: NaiveDate) -> (Standing, Option<ValidityPeriod>) {
    let covering = memberships.iter().filter(|m| m.period.covers(date));
    let mut on_hold = None;
    for m in covering {
        match m.status {
            MembershipStatus::Certified | MembershipStatus::Ended => return (Standing::Member, Some(m.period)),
            MembershipStatus::OnHold => on_hold = Some(m.period),
        }
    }
    match on_hold {
        Some(period) => (Standing::OnHold, Some(period)),
        None => (Standing::NotMember, None),
    }
}

/// Which day decides under a scheme's rules, and what the consumer can expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The scheme can take the case.
    CanFile,
    /// The request will only be forwarded to the provider (membership on hold).
    ForwardOnly,
    /// The provider was not a member on the day that counts.
    NotCovered,
    /// The day that counts is the contract date, and none was given.
    NeedContractDate,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [
        Verdict::CanFile,
        Verdict::ForwardOnly,
        Verdict::NotCovered,
        Verdict::NeedContractDate,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Verdict::CanFile => "can_file",
            Verdict::ForwardOnly => "forward_only",
            Verdict::NotCovered => "not_covered",
            Verdict::NeedContractDate => "need_contract_date",
        }
    }
}

/// The verdict for one scheme: on the contract date for the commissions, today for ICTWaarborg.
pub fn verdict(
    basis: MembershipDateBasis,
    memberships: &[MembershipFact],
    today: NaiveDate,
    contract_date: Option<NaiveDate>,
) -> Verdict {
    let day = match basis {
        MembershipDateBasis::RequestDate => today,
        MembershipDateBasis::ContractDate => match contract_date {
            Some(date) => date,
            None => return Verdict::NeedContractDate,
        },
    };
    match standing_on(memberships, day).0 {
        Standing::Member => Verdict::CanFile,
        Standing::OnHold => Verdict::ForwardOnly,
        Standing::NotMember => Verdict::NotCovered,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn period(from: NaiveDate, until: Option<NaiveDate>) -> ValidityPeriod {
        ValidityPeriod { from, until }
    }

    fn fact(from: NaiveDate, until: Option<NaiveDate>, status: MembershipStatus) -> MembershipFact {
        MembershipFact {
            period: period(from, until),
            status,
        }
    }

    #[test]
    fn a_kvk_number_is_eight_digits_typed_with_or_without_spaces_and_dots() {
        assert_eq!(KvkNumber::parse("60000011").unwrap().as_str(), "60000011");
        assert_eq!(KvkNumber::parse(" 6000 0011 ").unwrap().as_str(), "60000011");
        assert_eq!(KvkNumber::parse("60.00.00.11").unwrap().as_str(), "60000011");
        assert_eq!(KvkNumber::parse("0000-0001").unwrap().as_str(), "00000001");
    }

    #[test]
    fn a_kvk_number_of_the_wrong_length_or_with_letters_is_refused() {
        assert_eq!(KvkNumber::parse(""), Err(KvkProblem::Empty));
        assert_eq!(KvkNumber::parse("   "), Err(KvkProblem::Empty));
        assert_eq!(KvkNumber::parse("6000001"), Err(KvkProblem::WrongLength));
        assert_eq!(KvkNumber::parse("600000111"), Err(KvkProblem::WrongLength));
        assert_eq!(KvkNumber::parse("6000001a"), Err(KvkProblem::NotDigits));
        assert_eq!(KvkNumber::parse("NL60000011"), Err(KvkProblem::NotDigits));
        // Arabic-Indic and full-width digits are digits to Unicode, not to the KvK.
        assert_eq!(KvkNumber::parse("٦٠٠٠٠٠١١"), Err(KvkProblem::NotDigits));
        assert_eq!(KvkNumber::parse("６０００００１１"), Err(KvkProblem::NotDigits));
    }

    #[test]
    fn a_period_covers_its_first_and_last_day_and_nothing_outside() {
        let p = period(d(2025, 3, 3), Some(d(2025, 12, 31)));
        assert!(!p.covers(d(2025, 3, 2)), "the day before");
        assert!(p.covers(d(2025, 3, 3)), "the first day");
        assert!(p.covers(d(2025, 12, 31)), "the last day");
        assert!(!p.covers(d(2026, 1, 1)), "the day after");
    }

    #[test]
    fn an_open_ended_period_covers_every_day_from_its_start() {
        let p = period(d(2025, 3, 3), None);
        assert!(!p.covers(d(2025, 3, 2)));
        assert!(p.covers(d(2025, 3, 3)));
        assert!(p.covers(d(9999, 12, 31)));
    }

    #[test]
    fn a_period_ending_on_a_leap_day_covers_it_and_not_the_first_of_march() {
        let p = period(d(2020, 1, 1), Some(d(2024, 2, 29)));
        assert!(p.covers(d(2024, 2, 28)));
        assert!(p.covers(d(2024, 2, 29)));
        assert!(!p.covers(d(2024, 3, 1)));
        let from_leap_day = period(d(2024, 2, 29), None);
        assert!(!from_leap_day.covers(d(2024, 2, 28)));
        assert!(from_leap_day.covers(d(2024, 2, 29)));
    }

    #[test]
    fn a_one_day_period_covers_exactly_that_day() {
        let p = period(d(2025, 3, 3), Some(d(2025, 3, 3)));
        assert!(!p.covers(d(2025, 3, 2)));
        assert!(p.covers(d(2025, 3, 3)));
        assert!(!p.covers(d(2025, 3, 4)));
    }

    #[test]
    fn periods_that_touch_on_one_day_overlap_and_consecutive_ones_do_not() {
        let first = period(d(2024, 1, 1), Some(d(2025, 3, 2)));
        let next_day = period(d(2025, 3, 3), None);
        let same_day = period(d(2025, 3, 2), None);
        assert!(!first.overlaps(&next_day));
        assert!(!next_day.overlaps(&first));
        assert!(first.overlaps(&same_day));
        assert!(same_day.overlaps(&first));
    }

    #[test]
    fn open_ended_periods_always_overlap_each_other() {
        let a = period(d(2010, 1, 1), None);
        let b = period(d(2030, 1, 1), None);
        assert!(a.overlaps(&b) && b.overlaps(&a));
        let earlier_closed = period(d(2000, 1, 1), Some(d(2009, 12, 31)));
        assert!(!a.overlaps(&earlier_closed));
        assert_eq!(first_overlap(&b, &[earlier_closed, a]), Some(&a));
        assert_eq!(first_overlap(&earlier_closed, &[b]), None);
    }

    #[test]
    fn a_period_must_not_end_before_it_starts_and_ended_needs_an_end() {
        use MembershipStatus::*;
        assert_eq!(
            check_period(&period(d(2025, 3, 3), Some(d(2025, 3, 2))), Certified),
            Err(PeriodProblem::EndsBeforeItStarts)
        );
        assert_eq!(check_period(&period(d(2025, 3, 3), Some(d(2025, 3, 3))), Ended), Ok(()));
        assert_eq!(
            check_period(&period(d(2025, 3, 3), None), Ended),
            Err(PeriodProblem::EndedWithoutEnd)
        );
        assert_eq!(check_period(&period(d(2025, 3, 3), None), OnHold), Ok(()));
    }

    #[test]
    fn standing_on_the_boundary_days_of_an_ended_membership() {
        let ms = [fact(d(2020, 3, 3), Some(d(2025, 3, 3)), MembershipStatus::Ended)];
        assert_eq!(standing_on(&ms, d(2020, 3, 2)).0, Standing::NotMember);
        assert_eq!(standing_on(&ms, d(2020, 3, 3)).0, Standing::Member);
        assert_eq!(standing_on(&ms, d(2025, 3, 3)).0, Standing::Member);
        assert_eq!(standing_on(&ms, d(2025, 3, 4)).0, Standing::NotMember);
        assert_eq!(standing_on(&ms, d(2025, 3, 3)).1, Some(ms[0].period));
    }

    #[test]
    fn a_gap_between_two_memberships_is_not_membership() {
        let ms = [
            fact(d(2020, 1, 1), Some(d(2025, 3, 2)), MembershipStatus::Ended),
            fact(d(2025, 3, 4), None, MembershipStatus::Certified),
        ];
        assert_eq!(standing_on(&ms, d(2025, 3, 2)).0, Standing::Member);
        assert_eq!(standing_on(&ms, d(2025, 3, 3)).0, Standing::NotMember);
        assert_eq!(standing_on(&ms, d(2025, 3, 4)).0, Standing::Member);
        assert_eq!(standing_on(&[], d(2025, 3, 4)).0, Standing::NotMember);
    }

    #[test]
    fn an_on_hold_membership_gives_forwarding_only() {
        let ms = [fact(d(2020, 1, 1), None, MembershipStatus::OnHold)];
        assert_eq!(standing_on(&ms, d(2025, 3, 3)).0, Standing::OnHold);
        assert_eq!(standing_on(&ms, d(2019, 12, 31)).0, Standing::NotMember);
        assert_eq!(
            verdict(MembershipDateBasis::RequestDate, &ms, d(2025, 3, 3), None),
            Verdict::ForwardOnly
        );
    }

    #[test]
    fn commissions_look_at_the_contract_date_and_ictwaarborg_at_today() {
        let left_last_year = [fact(d(2015, 1, 1), Some(d(2024, 12, 31)), MembershipStatus::Ended)];
        let today = d(2025, 6, 1);
        use MembershipDateBasis::*;
        assert_eq!(
            verdict(ContractDate, &left_last_year, today, Some(d(2024, 12, 31))),
            Verdict::CanFile,
            "a provider that left later stays bound for contracts of its membership"
        );
        assert_eq!(
            verdict(ContractDate, &left_last_year, today, Some(d(2025, 1, 1))),
            Verdict::NotCovered
        );
        assert_eq!(
            verdict(ContractDate, &left_last_year, today, None),
            Verdict::NeedContractDate
        );
        assert_eq!(
            verdict(RequestDate, &left_last_year, today, Some(d(2020, 1, 1))),
            Verdict::NotCovered,
            "for mediation the contract date does not matter"
        );
        let joins_tomorrow = [fact(d(2025, 6, 2), None, MembershipStatus::Certified)];
        assert_eq!(verdict(RequestDate, &joins_tomorrow, today, None), Verdict::NotCovered);
        assert_eq!(
            verdict(RequestDate, &joins_tomorrow, d(2025, 6, 2), None),
            Verdict::CanFile
        );
    }

    #[test]
    fn every_code_parses_back() {
        for s in MembershipStatus::ALL {
            assert_eq!(s.as_str().parse::<MembershipStatus>(), Ok(s));
        }
        for v in Via::ALL {
            assert_eq!(v.as_str().parse::<Via>(), Ok(v));
        }
        assert!("Certified".parse::<MembershipStatus>().is_err());
    }
}
