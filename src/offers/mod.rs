//! Settlement offers: what an offer holds, who may answer it, and how an accepted one
//! reads as a settlement document. Pure; the rows and the one-winner rules are in
//! [`store`], the pages and the JSON API in [`handlers`].

pub mod handlers;
pub mod store;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::i18n::{self, Language};
use crate::policy::Relation;
use crate::printable::{Block, Printable};
use crate::web::templates::format_euros;

/// The actions an offer can promise besides (or instead of) money.
pub const ACTIONS: [&str; 5] = ["credit", "repair", "replacement", "contract_ended", "apology"];

/// Where an offer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OfferStatus {
    /// Waiting for an answer (at most one per case).
    Open,
    Accepted,
    Rejected,
    /// Replaced by a counter-offer.
    Countered,
    /// Its expiry day passed without an answer.
    Expired,
}

impl OfferStatus {
    pub const ALL: [OfferStatus; 5] = [
        OfferStatus::Open,
        OfferStatus::Accepted,
        OfferStatus::Rejected,
        OfferStatus::Countered,
        OfferStatus::Expired,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            OfferStatus::Open => "open",
            OfferStatus::Accepted => "accepted",
            OfferStatus::Rejected => "rejected",
            OfferStatus::Countered => "countered",
            OfferStatus::Expired => "expired",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == code)
    }
}

/// Who made an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Maker {
    Consumer,
    Provider,
    /// A proposal of the mediator: settled once both parties accept it.
    Mediator,
}

impl Maker {
    pub const fn as_str(self) -> &'static str {
        match self {
            Maker::Consumer => "consumer",
            Maker::Provider => "provider_staff",
            Maker::Mediator => "mediator",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Maker::Consumer, Maker::Provider, Maker::Mediator]
            .into_iter()
            .find(|m| m.as_str() == code)
    }

    /// Who makes offers in a relation to the case; the secretariat does not.
    pub fn from_relation(relation: Relation) -> Option<Self> {
        match relation {
            Relation::Consumer => Some(Maker::Consumer),
            Relation::Provider => Some(Maker::Provider),
            Relation::Mediator => Some(Maker::Mediator),
            Relation::Secretariat | Relation::None => None,
        }
    }

    /// Whether `party` answers an offer made by `self`: the other party, or either party for a proposal.
    pub fn answered_by(self, party: Relation) -> bool {
        match self {
            Maker::Consumer => party == Relation::Provider,
            Maker::Provider => party == Relation::Consumer,
            Maker::Mediator => matches!(party, Relation::Consumer | Relation::Provider),
        }
    }
}

/// What is offered, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferTerms {
    pub amount_cents: Option<i64>,
    pub actions: Vec<String>,
    pub terms: String,
    pub expires_on: NaiveDate,
}

/// Offer text longer than this is refused.
pub const MAX_TERMS_CHARS: usize = 5000;
/// An offer runs at most this many days.
pub const MAX_DAYS_OPEN: i64 = 90;

/// Reads an amount in euros as people type it: `120`, `120,50`, `1.234,50`, `€ 120.5`.
pub fn parse_euros(input: &str) -> Option<i64> {
    let cleaned: String = input
        .trim()
        .trim_start_matches('€')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if cleaned.is_empty() {
        return None;
    }
    // The last separator followed by one or two digits is the decimal one; others group thousands.
    let (whole, fraction) = match cleaned.rfind([',', '.']) {
        Some(at) if cleaned.len() - at - 1 <= 2 => (&cleaned[..at], &cleaned[at + 1..]),
        _ => (cleaned.as_str(), ""),
    };
    let whole: String = whole.chars().filter(|c| *c != '.' && *c != ',').collect();
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole.chars().all(|c| c.is_ascii_digit()) || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let euros: i64 = if whole.is_empty() { 0 } else { whole.parse().ok()? };
    let cents: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    euros.checked_mul(100)?.checked_add(cents)
}

/// The checks of an offer form; errors are `(field, message key)`.
pub fn check_offer(
    amount: &str,
    actions: &[String],
    terms: &str,
    expires_on: &str,
    today: NaiveDate,
) -> Result<OfferTerms, Vec<(&'static str, &'static str)>> {
    let mut errors = Vec::new();
    let amount_cents = if amount.trim().is_empty() {
        None
    } else {
        match parse_euros(amount) {
            Some(cents) if cents > 0 && cents <= 100_000_000 => Some(cents),
            _ => {
                errors.push(("amount", "offer-error-amount"));
                None
            }
        }
    };
    let mut chosen: Vec<String> = Vec::new();
    for action in actions {
        if !ACTIONS.contains(&action.as_str()) {
            errors.push(("actions", "offer-error-action"));
        } else if !chosen.contains(action) {
            chosen.push(action.clone());
        }
    }
    let terms = terms.trim();
    if terms.is_empty() || terms.chars().count() > MAX_TERMS_CHARS {
        errors.push(("terms", "offer-error-terms"));
    }
    if amount_cents.is_none() && chosen.is_empty() && !errors.iter().any(|(f, _)| *f == "amount") {
        errors.push(("amount", "offer-error-nothing"));
    }
    let expires = NaiveDate::parse_from_str(expires_on.trim(), "%Y-%m-%d").ok();
    match expires {
        Some(day) if day >= today && (day - today).num_days() <= MAX_DAYS_OPEN => {}
        _ => errors.push(("expires_on", "offer-error-expiry")),
    }
    if errors.is_empty() {
        Ok(OfferTerms {
            amount_cents,
            actions: chosen,
            terms: terms.to_owned(),
            expires_on: expires.expect("checked above"),
        })
    } else {
        Err(errors)
    }
}

/// Actions are stored as a comma-separated list of codes.
pub fn join_actions(actions: &[String]) -> String {
    actions.join(",")
}

pub fn split_actions(stored: &str) -> Vec<String> {
    stored.split(',').filter(|a| !a.is_empty()).map(str::to_owned).collect()
}

/// Whether an offer promises something the provider must carry out (so compliance starts).
pub fn needs_compliance(amount_cents: Option<i64>, actions: &[String]) -> bool {
    amount_cents.is_some_and(|c| c > 0) || actions.iter().any(|a| a != "apology")
}

/// The facts printed on a settlement.
pub struct Settlement<'a> {
    pub reference: &'a str,
    pub scheme_name: &'a str,
    pub consumer_name: &'a str,
    pub provider_name: &'a str,
    pub maker: Maker,
    pub amount_cents: Option<i64>,
    pub actions: &'a [String],
    pub terms: &'a str,
    pub accepted_on: NaiveDate,
    pub compliance_due_on: Option<NaiveDate>,
}

/// The settlement as a document in the language of the procedure.
pub fn settlement_document(language: Language, s: &Settlement<'_>) -> Printable {
    let t = |key: &str| i18n::translate(language, key);
    let mut blocks = vec![
        Block::Field {
            label: t("doc-reference"),
            value: s.reference.to_owned(),
        },
        Block::Field {
            label: t("doc-scheme"),
            value: s.scheme_name.to_owned(),
        },
        Block::Field {
            label: t("doc-consumer"),
            value: s.consumer_name.to_owned(),
        },
        Block::Field {
            label: t("doc-provider"),
            value: s.provider_name.to_owned(),
        },
        Block::Field {
            label: t("offer-made-by"),
            value: t(&format!("offer-maker-{}", s.maker.as_str())),
        },
        Block::Field {
            label: t("offer-accepted-on"),
            value: s.accepted_on.format("%d-%m-%Y").to_string(),
        },
        Block::Heading(t("settlement-what")),
    ];
    if let Some(cents) = s.amount_cents {
        blocks.push(Block::Field {
            label: t("offer-amount"),
            value: format_euros(cents),
        });
    }
    if !s.actions.is_empty() {
        let names: Vec<String> = s.actions.iter().map(|a| t(&format!("offer-action-{a}"))).collect();
        blocks.push(Block::Field {
            label: t("offer-actions"),
            value: names.join(", "),
        });
    }
    blocks.push(Block::Heading(t("offer-terms")));
    blocks.push(Block::Paragraph(s.terms.to_owned()));
    if let Some(due) = s.compliance_due_on {
        blocks.push(Block::Field {
            label: t("doc-compliance-due"),
            value: due.format("%d-%m-%Y").to_string(),
        });
    }
    blocks.push(Block::Paragraph(t("settlement-binding")));
    Printable {
        language: language.code().to_owned(),
        title: format!("{} {}", t("settlement-title"), s.reference),
        blocks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn amounts_are_read_as_people_type_them() {
        assert_eq!(parse_euros("120"), Some(12_000));
        assert_eq!(parse_euros("120,50"), Some(12_050));
        assert_eq!(parse_euros("120.5"), Some(12_050));
        assert_eq!(parse_euros("€ 1.234,56"), Some(123_456));
        assert_eq!(parse_euros("1.234"), Some(123_400));
        assert_eq!(parse_euros(",5"), Some(50));
        assert_eq!(parse_euros(""), None);
        assert_eq!(parse_euros("twaalf"), None);
        assert_eq!(parse_euros("-5"), None);
        assert_eq!(parse_euros("99999999999999999999"), None);
    }

    #[test]
    fn an_offer_needs_terms_something_to_offer_and_a_sensible_expiry() {
        let today = d(2026, 11, 22);
        let ok = check_offer(
            "150",
            &["credit".into(), "credit".into()],
            "Creditnota",
            "2026-12-01",
            today,
        )
        .unwrap();
        assert_eq!(ok.amount_cents, Some(15_000));
        assert_eq!(ok.actions, vec!["credit".to_owned()]);
        let errors = check_offer("", &[], " ", "2026-11-21", today).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec!["terms", "amount", "expires_on"]);
        assert!(check_offer("", &["bribe".into()], "x", "2026-12-01", today).is_err());
        assert!(
            check_offer("10", &[], "x", "2027-06-01", today).is_err(),
            "too far ahead"
        );
        assert!(check_offer("0", &[], "x", "2026-12-01", today).is_err());
        assert!(check_offer("", &["apology".into()], "Excuses", "2026-11-22", today).is_ok());
    }

    #[test]
    fn the_other_party_answers_and_either_party_answers_a_proposal() {
        assert!(Maker::Consumer.answered_by(Relation::Provider));
        assert!(!Maker::Consumer.answered_by(Relation::Consumer));
        assert!(Maker::Provider.answered_by(Relation::Consumer));
        assert!(!Maker::Provider.answered_by(Relation::Mediator));
        assert!(Maker::Mediator.answered_by(Relation::Consumer));
        assert!(Maker::Mediator.answered_by(Relation::Provider));
        assert!(!Maker::Mediator.answered_by(Relation::Secretariat));
        assert_eq!(Maker::from_relation(Relation::Secretariat), None);
    }

    #[test]
    fn only_an_apology_needs_no_compliance() {
        assert!(needs_compliance(Some(100), &[]));
        assert!(needs_compliance(None, &["repair".into()]));
        assert!(!needs_compliance(None, &["apology".into()]));
        assert!(!needs_compliance(None, &[]));
        assert_eq!(split_actions(&join_actions(&["a".into(), "b".into()])), vec!["a", "b"]);
        assert!(split_actions("").is_empty());
    }

    #[test]
    fn the_offer_notice_names_the_amount_only_when_there_is_one() {
        use fluent_templates::fluent_bundle::FluentValue;
        use std::collections::HashMap;
        let render = |amount: &str| {
            let mut args: HashMap<std::borrow::Cow<'static, str>, FluentValue<'_>> = HashMap::new();
            args.insert("reference".into(), "TEL-2026-000001".into());
            args.insert("amount".into(), amount.to_owned().into());
            args.insert("expires".into(), "01-12-2026".into());
            // Fluent may wrap placeables in Unicode isolation marks; the words are what matter here.
            i18n::translate_with(Language::Nl, "notice-offer-made", &args).replace(['\u{2068}', '\u{2069}'], "")
        };
        assert!(render("€ 120,00").contains("zaak TEL-2026-000001 (€ 120,00), geldig"));
        assert!(render("none").contains("zaak TEL-2026-000001, geldig"));
    }

    #[test]
    fn statuses_round_trip() {
        for s in OfferStatus::ALL {
            assert_eq!(OfferStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(OfferStatus::parse("maybe"), None);
    }
}
