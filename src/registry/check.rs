//! The public membership check's answer, pure: for each provider found, per scheme, whether it is a member
//! today, whether it was on the date the consumer gave, and what that means under the scheme's rules. The
//! page and the JSON endpoint show the same structure.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::membership::{MembershipFact, Standing, ValidityPeriod, Verdict, standing_on, verdict};
use super::queries::{MembershipRow, ProviderRow, SchemeFacts};
use super::search::split_trade_names;
use crate::i18n::Language;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckAnswer {
    pub today: NaiveDate,
    /// The contract date asked about, if any.
    pub date: Option<NaiveDate>,
    pub providers: Vec<ProviderMatch>,
    /// More providers matched than are shown: the query should be more precise.
    pub more: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProviderMatch {
    pub kvk_number: String,
    pub legal_name: String,
    pub trade_names: Vec<String>,
    pub city: String,
    pub website: String,
    pub schemes: Vec<SchemeMatch>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SchemeMatch {
    pub code: String,
    pub name: String,
    /// `binding_advice` or `mediation`.
    pub kind: String,
    /// Which day counts under the rules in force today: `contract_date` or `request_date`.
    pub membership_date_basis: &'static str,
    pub valid_today: bool,
    pub today: StandingOn,
    /// Whether a member on the date asked about; `null` when no date was given.
    pub valid_on_date: Option<bool>,
    pub on_date: Option<StandingOn>,
    /// What the consumer can expect: `can_file`, `forward_only`, `not_covered` or `need_contract_date`.
    pub verdict: &'static str,
    pub memberships: Vec<MembershipView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StandingOn {
    pub date: NaiveDate,
    /// `member`, `on_hold` or `not_member`.
    pub standing: &'static str,
    /// The membership period that covers the day, if any.
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MembershipView {
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub status: String,
    pub via: String,
}

fn standing_view(facts: &[MembershipFact], date: NaiveDate) -> StandingOn {
    let (standing, period): (Standing, Option<ValidityPeriod>) = standing_on(facts, date);
    StandingOn {
        date,
        standing: standing.as_str(),
        valid_from: period.map(|p| p.from),
        valid_until: period.and_then(|p| p.until),
    }
}

/// Puts the answer together from the providers found, their memberships and the schemes.
pub fn answer(
    providers: Vec<ProviderRow>,
    memberships: &[MembershipRow],
    schemes: &BTreeMap<i64, SchemeFacts>,
    today: NaiveDate,
    date: Option<NaiveDate>,
    more: bool,
) -> CheckAnswer {
    let providers = providers
        .into_iter()
        .map(|provider| {
            let mut by_scheme: BTreeMap<i64, Vec<&MembershipRow>> = BTreeMap::new();
            for m in memberships.iter().filter(|m| m.provider_id == provider.id) {
                by_scheme.entry(m.scheme_id).or_default().push(m);
            }
            let schemes = by_scheme
                .into_iter()
                .filter_map(|(scheme_id, rows)| {
                    let scheme = schemes.get(&scheme_id)?;
                    let facts: Vec<MembershipFact> = rows.iter().map(|m| m.fact()).collect();
                    let today_view = standing_view(&facts, today);
                    let date_view = date.map(|d| standing_view(&facts, d));
                    let verdict: Verdict = verdict(scheme.basis, &facts, today, date);
                    Some(SchemeMatch {
                        code: scheme.scheme.code.clone(),
                        name: scheme.scheme.name.clone(),
                        kind: scheme.scheme.kind.clone(),
                        membership_date_basis: scheme.basis.as_str(),
                        valid_today: today_view.standing == Standing::Member.as_str(),
                        today: today_view,
                        valid_on_date: date_view.as_ref().map(|v| v.standing == Standing::Member.as_str()),
                        on_date: date_view,
                        verdict: verdict.as_str(),
                        memberships: rows
                            .iter()
                            .map(|m| MembershipView {
                                valid_from: m.valid_from,
                                valid_until: m.valid_until,
                                status: m.status.clone(),
                                via: m.via.clone(),
                            })
                            .collect(),
                    })
                })
                .collect();
            ProviderMatch {
                kvk_number: provider.kvk_number,
                legal_name: provider.legal_name,
                trade_names: split_trade_names(&provider.trade_names).map(str::to_owned).collect(),
                city: provider.city,
                website: provider.website,
                schemes,
            }
        })
        .collect();
    CheckAnswer {
        today,
        date,
        providers,
        more,
    }
}

const MONTHS_NL: [&str; 12] = [
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
];
const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
/// Polish months in the genitive, as a date is written ("3 marca 2025").
const MONTHS_PL: [&str; 12] = [
    "stycznia",
    "lutego",
    "marca",
    "kwietnia",
    "maja",
    "czerwca",
    "lipca",
    "sierpnia",
    "września",
    "października",
    "listopada",
    "grudnia",
];

/// A date as people read it: "3 maart 2025", "3 March 2025", "3 marca 2025".
pub fn format_date(language: Language, date: NaiveDate) -> String {
    let months = match language {
        Language::Nl => &MONTHS_NL,
        Language::En => &MONTHS_EN,
        Language::Pl => &MONTHS_PL,
    };
    format!("{} {} {}", date.day(), months[date.month0() as usize], date.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Scheme;
    use crate::registry::rules::MembershipDateBasis;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_are_written_out_in_each_language() {
        assert_eq!(format_date(Language::Nl, d(2025, 3, 3)), "3 maart 2025");
        assert_eq!(format_date(Language::En, d(2025, 3, 3)), "3 March 2025");
        assert_eq!(format_date(Language::Pl, d(2025, 3, 3)), "3 marca 2025");
        assert_eq!(format_date(Language::Nl, d(2024, 2, 29)), "29 februari 2024");
    }

    #[test]
    fn the_answer_names_each_scheme_with_today_and_the_date_asked_about() {
        let now = d(2026, 1, 1).and_hms_opt(0, 0, 0).unwrap();
        let provider = ProviderRow {
            id: 1,
            kvk_number: "60000044".into(),
            legal_name: "Zoëtel Mobiel B.V.".into(),
            trade_names: "Zoëtel; ZT".into(),
            street: String::new(),
            postcode: String::new(),
            city: "Amsterdam".into(),
            website: String::new(),
            complaint_email: String::new(),
            status: "active".into(),
            updated_at: now,
        };
        let membership = MembershipRow {
            id: 5,
            provider_id: 1,
            scheme_id: 9,
            valid_from: d(2010, 1, 1),
            valid_until: Some(d(2025, 3, 3)),
            via: "direct".into(),
            guarantor_id: None,
            status: "ended".into(),
        };
        let scheme = Scheme {
            id: 9,
            code: "TEL".into(),
            name: "De Geschillencommissie Telecommunicatie".into(),
            kind: "binding_advice".into(),
            covers: "services".into(),
            languages: "nl".into(),
            reference_prefix: "TEL".into(),
            active: true,
            created_at: now,
        };
        let schemes = BTreeMap::from([(
            9,
            SchemeFacts {
                scheme,
                basis: MembershipDateBasis::ContractDate,
            },
        )]);
        let answer = answer(
            vec![provider],
            &[membership],
            &schemes,
            d(2026, 1, 1),
            Some(d(2025, 3, 3)),
            false,
        );
        let tel = &answer.providers[0].schemes[0];
        assert_eq!(answer.providers[0].trade_names, ["Zoëtel", "ZT"]);
        assert!(!tel.valid_today);
        assert_eq!(tel.valid_on_date, Some(true));
        assert_eq!(tel.verdict, "can_file");
        assert_eq!(tel.on_date.as_ref().unwrap().valid_until, Some(d(2025, 3, 3)));
        assert_eq!(tel.today.standing, "not_member");
    }
}
