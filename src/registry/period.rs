//! Calendar periods written the ISO-8601 way ("P28D", "P4W", "P1M", "P12M", "P1Y"), the unit in which every
//! term of a scheme is configured. Months and years are calendar months, not 30 days: a term of one month
//! from 31 January ends on the last day of February.

use std::fmt;
use std::str::FromStr;

use chrono::{Days, Months, NaiveDate};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A term such as "four weeks" or "twelve months": one amount of one unit.
///
/// Combined forms ("P1M2D") are deliberately not supported: every term in the rules is a single unit, and a
/// single unit keeps the arithmetic and its explanation to the consumer unambiguous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    /// How many units; zero is allowed (a term of zero days is legal configuration).
    pub amount: u32,
    /// The calendar unit.
    pub unit: PeriodUnit,
}

/// The unit of a [`Period`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeriodUnit {
    /// Calendar days ("D").
    Days,
    /// Weeks of seven days ("W").
    Weeks,
    /// Calendar months, clamped to the month's last day ("M").
    Months,
    /// Calendar years, i.e. twelve months, clamped the same way ("Y").
    Years,
}

impl PeriodUnit {
    /// The ISO-8601 designator letter of the unit.
    pub const fn letter(self) -> char {
        match self {
            PeriodUnit::Days => 'D',
            PeriodUnit::Weeks => 'W',
            PeriodUnit::Months => 'M',
            PeriodUnit::Years => 'Y',
        }
    }

    /// The unit for an ISO-8601 designator letter; uppercase only.
    pub const fn from_letter(letter: char) -> Option<PeriodUnit> {
        match letter {
            'D' => Some(PeriodUnit::Days),
            'W' => Some(PeriodUnit::Weeks),
            'M' => Some(PeriodUnit::Months),
            'Y' => Some(PeriodUnit::Years),
            _ => None,
        }
    }
}

impl Period {
    /// A period of `amount` days.
    pub const fn days(amount: u32) -> Period {
        Period {
            amount,
            unit: PeriodUnit::Days,
        }
    }

    /// A period of `amount` weeks.
    pub const fn weeks(amount: u32) -> Period {
        Period {
            amount,
            unit: PeriodUnit::Weeks,
        }
    }

    /// A period of `amount` calendar months.
    pub const fn months(amount: u32) -> Period {
        Period {
            amount,
            unit: PeriodUnit::Months,
        }
    }

    /// A period of `amount` calendar years.
    pub const fn years(amount: u32) -> Period {
        Period {
            amount,
            unit: PeriodUnit::Years,
        }
    }

    /// `date` plus this period, or `None` if the result falls outside chrono's date range.
    ///
    /// Months and years clamp to the last day of the target month: 31 Jan + P1M = 28 (or 29) Feb, and
    /// 29 Feb 2024 + P12M = 28 Feb 2025.
    pub fn checked_add_to(self, date: NaiveDate) -> Option<NaiveDate> {
        match self.unit {
            PeriodUnit::Days => date.checked_add_days(Days::new(u64::from(self.amount))),
            PeriodUnit::Weeks => date.checked_add_days(Days::new(u64::from(self.amount) * 7)),
            PeriodUnit::Months => date.checked_add_months(Months::new(self.amount)),
            PeriodUnit::Years => date.checked_add_months(Months::new(self.amount.checked_mul(12)?)),
        }
    }

    /// `date` minus this period, or `None` if the result falls outside chrono's date range.
    ///
    /// Clamps like [`Period::checked_add_to`]: 31 Mar − P1M = 28 (or 29) Feb.
    pub fn checked_sub_from(self, date: NaiveDate) -> Option<NaiveDate> {
        match self.unit {
            PeriodUnit::Days => date.checked_sub_days(Days::new(u64::from(self.amount))),
            PeriodUnit::Weeks => date.checked_sub_days(Days::new(u64::from(self.amount) * 7)),
            PeriodUnit::Months => date.checked_sub_months(Months::new(self.amount)),
            PeriodUnit::Years => date.checked_sub_months(Months::new(self.amount.checked_mul(12)?)),
        }
    }

    /// `date` plus this period (see [`Period::checked_add_to`]).
    ///
    /// Saturates at [`NaiveDate::MAX`]: a term so long that it leaves the calendar simply never ends, which
    /// is the safe reading for a deadline and spares every caller an impossible error branch.
    pub fn add_to(self, date: NaiveDate) -> NaiveDate {
        self.checked_add_to(date).unwrap_or(NaiveDate::MAX)
    }

    /// `date` minus this period (see [`Period::checked_sub_from`]); saturates at [`NaiveDate::MIN`].
    pub fn sub_from(self, date: NaiveDate) -> NaiveDate {
        self.checked_sub_from(date).unwrap_or(NaiveDate::MIN)
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "P{}{}", self.amount, self.unit.letter())
    }
}

/// Why a string is not a [`Period`]; these are configuration errors, so the text is for developers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodParseError {
    /// The string is empty.
    Empty,
    /// It does not start with an uppercase "P".
    MissingDesignator,
    /// The amount is missing, signed, has a leading zero, or does not fit in a `u32`.
    InvalidAmount,
    /// The unit letter is missing or not one of uppercase D, W, M, Y (time parts such as "PT1H" included).
    UnknownUnit,
    /// Something follows the unit, as in "P1M2D".
    CombinedForm,
}

impl fmt::Display for PeriodParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            PeriodParseError::Empty => "empty period",
            PeriodParseError::MissingDesignator => "a period starts with an uppercase P",
            PeriodParseError::InvalidAmount => "the amount must be digits without sign or leading zero, within u32",
            PeriodParseError::UnknownUnit => "the unit must be one of D, W, M, Y (uppercase)",
            PeriodParseError::CombinedForm => "combined periods such as P1M2D are not supported",
        };
        f.write_str(text)
    }
}

impl std::error::Error for PeriodParseError {}

impl FromStr for Period {
    type Err = PeriodParseError;

    /// Parses the strict canonical form `P<digits><D|W|M|Y>`, so that `Display` gives back the same text.
    fn from_str(s: &str) -> Result<Period, PeriodParseError> {
        if s.is_empty() {
            return Err(PeriodParseError::Empty);
        }
        let rest = s.strip_prefix('P').ok_or(PeriodParseError::MissingDesignator)?;
        let digits_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (digits, tail) = rest.split_at(digits_len);
        // Leading zeros are refused so that every accepted string is the canonical one ("P0D" is fine).
        if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
            return Err(PeriodParseError::InvalidAmount);
        }
        let amount: u32 = digits.parse().map_err(|_| PeriodParseError::InvalidAmount)?;
        let mut chars = tail.chars();
        let unit = chars
            .next()
            .and_then(PeriodUnit::from_letter)
            .ok_or(PeriodParseError::UnknownUnit)?;
        if chars.next().is_some() {
            return Err(PeriodParseError::CombinedForm);
        }
        Ok(Period { amount, unit })
    }
}

impl Serialize for Period {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Period, D::Error> {
        struct PeriodVisitor;

        impl Visitor<'_> for PeriodVisitor {
            type Value = Period;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an ISO-8601 period such as \"P4W\" or \"P12M\"")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Period, E> {
                v.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_str(PeriodVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::{Error as ValueError, StrDeserializer};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn p(s: &str) -> Period {
        s.parse().unwrap()
    }

    #[test]
    fn every_configured_form_parses_to_its_amount_and_unit() {
        assert_eq!(p("P28D"), Period::days(28));
        assert_eq!(p("P4W"), Period::weeks(4));
        assert_eq!(p("P1M"), Period::months(1));
        assert_eq!(p("P12M"), Period::months(12));
        assert_eq!(p("P1Y"), Period::years(1));
        assert_eq!(p("P0D"), Period::days(0));
        assert_eq!(p("P4294967295D"), Period::days(u32::MAX));
    }

    #[test]
    fn display_gives_back_the_parsed_text() {
        for text in ["P0D", "P28D", "P4W", "P1M", "P12M", "P1Y", "P90D", "P2W"] {
            assert_eq!(p(text).to_string(), text);
        }
    }

    #[test]
    fn malformed_periods_are_refused_with_their_reason() {
        let cases = [
            ("", PeriodParseError::Empty),
            ("P", PeriodParseError::InvalidAmount),
            ("4W", PeriodParseError::MissingDesignator),
            ("p4w", PeriodParseError::MissingDesignator),
            ("P4w", PeriodParseError::UnknownUnit),
            ("P4", PeriodParseError::UnknownUnit),
            ("P4H", PeriodParseError::UnknownUnit),
            ("PT1H", PeriodParseError::InvalidAmount),
            ("P-1D", PeriodParseError::InvalidAmount),
            ("P+1D", PeriodParseError::InvalidAmount),
            ("-P1D", PeriodParseError::MissingDesignator),
            ("P04W", PeriodParseError::InvalidAmount),
            ("P4294967296D", PeriodParseError::InvalidAmount),
            ("P1M2D", PeriodParseError::CombinedForm),
            ("P1Y ", PeriodParseError::CombinedForm),
            (" P1Y", PeriodParseError::MissingDesignator),
        ];
        for (text, expected) in cases {
            assert_eq!(text.parse::<Period>(), Err(expected), "{text:?}");
        }
    }

    #[test]
    fn a_month_after_the_thirty_first_of_january_is_the_last_day_of_february() {
        assert_eq!(p("P1M").add_to(d(2025, 1, 31)), d(2025, 2, 28));
        assert_eq!(p("P1M").add_to(d(2024, 1, 31)), d(2024, 2, 29));
        assert_eq!(p("P1M").add_to(d(2025, 1, 30)), d(2025, 2, 28));
        assert_eq!(p("P1M").add_to(d(2025, 1, 28)), d(2025, 2, 28));
        assert_eq!(p("P1M").add_to(d(2025, 3, 31)), d(2025, 4, 30));
    }

    #[test]
    fn twelve_months_after_a_leap_day_is_the_twenty_eighth_of_february() {
        assert_eq!(p("P12M").add_to(d(2024, 2, 29)), d(2025, 2, 28));
        assert_eq!(p("P1Y").add_to(d(2024, 2, 29)), d(2025, 2, 28));
        assert_eq!(p("P4Y").add_to(d(2024, 2, 29)), d(2028, 2, 29));
        assert_eq!(p("P12M").add_to(d(2023, 2, 28)), d(2024, 2, 28));
    }

    #[test]
    fn days_and_weeks_count_calendar_days_across_month_and_year_ends() {
        assert_eq!(p("P28D").add_to(d(2024, 2, 1)), d(2024, 2, 29));
        assert_eq!(p("P28D").add_to(d(2025, 2, 1)), d(2025, 3, 1));
        assert_eq!(p("P4W").add_to(d(2024, 12, 20)), d(2025, 1, 17));
        assert_eq!(p("P90D").add_to(d(2025, 1, 1)), d(2025, 4, 1));
        assert_eq!(p("P0D").add_to(d(2025, 1, 1)), d(2025, 1, 1));
    }

    #[test]
    fn subtracting_clamps_to_the_end_of_the_shorter_month() {
        assert_eq!(p("P1M").sub_from(d(2025, 3, 31)), d(2025, 2, 28));
        assert_eq!(p("P1M").sub_from(d(2024, 3, 31)), d(2024, 2, 29));
        assert_eq!(p("P12M").sub_from(d(2025, 2, 28)), d(2024, 2, 28));
        assert_eq!(p("P1Y").sub_from(d(2024, 2, 29)), d(2023, 2, 28));
        assert_eq!(p("P2W").sub_from(d(2025, 1, 10)), d(2024, 12, 27));
        assert_eq!(p("P7D").sub_from(d(2024, 3, 1)), d(2024, 2, 23));
    }

    #[test]
    fn a_term_that_leaves_the_calendar_saturates_instead_of_failing() {
        assert_eq!(Period::days(u32::MAX).checked_add_to(d(2025, 1, 1)), None);
        assert_eq!(Period::days(u32::MAX).add_to(d(2025, 1, 1)), NaiveDate::MAX);
        assert_eq!(Period::years(u32::MAX).checked_add_to(d(2025, 1, 1)), None);
        assert_eq!(Period::years(u32::MAX).sub_from(d(2025, 1, 1)), NaiveDate::MIN);
    }

    #[test]
    fn serde_reads_the_string_form_and_refuses_a_bad_one() {
        let good: StrDeserializer<'_, ValueError> = "P4W".into_deserializer();
        assert_eq!(Period::deserialize(good).unwrap(), Period::weeks(4));
        let bad: StrDeserializer<'_, ValueError> = "P1M2D".into_deserializer();
        let err = Period::deserialize(bad).unwrap_err();
        assert!(err.to_string().contains("combined"), "{err}");
    }
}
