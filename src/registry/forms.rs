//! The registry's forms, pure: what people type (dates, euro amounts, KvK numbers, terms such as "P4W")
//! turned into domain values, with a message key per field for what cannot be.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::import::{MembershipFields, ProviderFields, normalise_trade_names};
use super::membership::{KvkNumber, MembershipStatus, PeriodProblem, ValidityPeriod, Via, check_period};
use super::period::Period;
use super::rules::{Coverage, FeeRefundRule, MembershipDateBasis, RulesProblem, SchemeKind, SchemeRules};
use crate::web::form::FieldErrors;

/// Years outside this range are typing mistakes, not dates anyone means here.
const YEARS: std::ops::RangeInclusive<i32> = 1900..=2200;
/// Longest text field.
const MAX_TEXT: usize = 300;

/// A typed date: YYYY-MM-DD (what a date field sends) or D-M-YYYY / D/M/YYYY / D.M.YYYY (what people type).
/// Empty is `Ok(None)`; anything else that is not a real date is `Err` with the message key.
pub fn parse_date_input(input: &str) -> Result<Option<NaiveDate>, &'static str> {
    let input = input.trim();
    if input.is_empty() {
        return Ok(None);
    }
    if input.len() > 20 {
        return Err("registry-date-invalid");
    }
    let parts: Vec<&str> = input.split(['-', '/', '.']).collect();
    let numbers: Option<Vec<u32>> = parts
        .iter()
        .map(|p| (!p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit())).then(|| p.parse().ok())?)
        .collect();
    let date = match (parts.as_slice(), numbers.as_deref()) {
        ([y, _, _], Some([year, month, day])) if y.len() == 4 => {
            NaiveDate::from_ymd_opt(i32::try_from(*year).unwrap_or(0), *month, *day)
        }
        ([_, _, y], Some([day, month, year])) if y.len() == 4 => {
            NaiveDate::from_ymd_opt(i32::try_from(*year).unwrap_or(0), *month, *day)
        }
        _ => None,
    };
    match date {
        Some(date) if YEARS.contains(&date.year()) => Ok(Some(date)),
        _ => Err("registry-date-invalid"),
    }
}

/// A typed euro amount into cents: "50", "50,00", "50.5", "€ 1.250,00", "1250.00". Empty is `Ok(None)`.
pub fn parse_euros(input: &str) -> Result<Option<i64>, &'static str> {
    let cleaned: String = input
        .trim()
        .trim_start_matches('€')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if cleaned.is_empty() {
        return Ok(None);
    }
    let (negative, cleaned) = match cleaned.strip_prefix('-') {
        Some(rest) => (true, rest.to_owned()),
        None => (false, cleaned),
    };
    // With both marks, the dot groups thousands (Dutch); with one, it is the decimal mark if it has at most
    // two digits after it.
    let normalised = if cleaned.contains(',') && cleaned.contains('.') {
        cleaned.replace('.', "").replace(',', ".")
    } else {
        cleaned.replace(',', ".")
    };
    let (whole, fraction) = match normalised.split_once('.') {
        Some((w, f)) => (w, f),
        None => (normalised.as_str(), ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 2 || whole.len() > 12 {
        return Err("registry-amount-invalid");
    }
    let whole: i64 = whole.parse().map_err(|_| "registry-amount-invalid")?;
    let fraction: i64 = format!("{fraction:0<2}")
        .parse()
        .map_err(|_| "registry-amount-invalid")?;
    let cents = whole * 100 + fraction;
    Ok(Some(if negative { -cents } else { cents }))
}

/// Cents as the form shows them: "50,00".
pub fn format_euros_input(cents: Option<i64>) -> String {
    match cents {
        None => String::new(),
        Some(c) => format!("{}{},{:02}", if c < 0 { "-" } else { "" }, c.abs() / 100, c.abs() % 100),
    }
}

/// The form for a new version of a scheme's rules; every field as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct RulesForm {
    pub valid_from: String,
    pub complaint_fee: String,
    pub fee_refund: String,
    pub min_claim: String,
    pub max_claim: String,
    pub provider_answer_period: String,
    pub filing_limit: String,
    pub membership_date_basis: String,
    pub defence_term: String,
    pub reply_term: String,
    pub information_term: String,
    pub fee_term: String,
    pub reaction_term: String,
    pub refusal_term: String,
    pub outcome_target: String,
    pub ruling_term_after_hearing: String,
    pub compliance_term: String,
    pub settlement_compliance_term: String,
    pub panel_size: String,
    pub guarantee_cap: String,
}

/// The term fields of the rules form, in the order shown.
pub const TERM_FIELDS: [&str; 12] = [
    "provider_answer_period",
    "filing_limit",
    "defence_term",
    "reply_term",
    "information_term",
    "fee_term",
    "reaction_term",
    "refusal_term",
    "outcome_target",
    "ruling_term_after_hearing",
    "compliance_term",
    "settlement_compliance_term",
];

impl RulesForm {
    /// The form prefilled with a version's values, from `valid_from`.
    pub fn from_rules(rules: &SchemeRules, valid_from: NaiveDate) -> RulesForm {
        RulesForm {
            valid_from: valid_from.format("%Y-%m-%d").to_string(),
            complaint_fee: format_euros_input(Some(rules.complaint_fee_cents)),
            fee_refund: rules.fee_refund.as_str().to_owned(),
            min_claim: format_euros_input(rules.min_claim_cents),
            max_claim: format_euros_input(rules.max_claim_cents),
            provider_answer_period: rules.provider_answer_period.to_string(),
            filing_limit: rules.filing_limit.to_string(),
            membership_date_basis: rules.membership_date_basis.as_str().to_owned(),
            defence_term: rules.defence_term.to_string(),
            reply_term: rules.reply_term.to_string(),
            information_term: rules.information_term.to_string(),
            fee_term: rules.fee_term.to_string(),
            reaction_term: rules.reaction_term.to_string(),
            refusal_term: rules.refusal_term.to_string(),
            outcome_target: rules.outcome_target.to_string(),
            ruling_term_after_hearing: rules.ruling_term_after_hearing.to_string(),
            compliance_term: rules.compliance_term.to_string(),
            settlement_compliance_term: rules.settlement_compliance_term.to_string(),
            panel_size: rules.panel_size.to_string(),
            guarantee_cap: format_euros_input(rules.guarantee_cap_cents),
        }
    }

    fn term(&self, field: &str) -> &str {
        match field {
            "provider_answer_period" => &self.provider_answer_period,
            "filing_limit" => &self.filing_limit,
            "defence_term" => &self.defence_term,
            "reply_term" => &self.reply_term,
            "information_term" => &self.information_term,
            "fee_term" => &self.fee_term,
            "reaction_term" => &self.reaction_term,
            "refusal_term" => &self.refusal_term,
            "outcome_target" => &self.outcome_target,
            "ruling_term_after_hearing" => &self.ruling_term_after_hearing,
            "compliance_term" => &self.compliance_term,
            "settlement_compliance_term" => &self.settlement_compliance_term,
            _ => "",
        }
    }

    /// Checks every field. A new version may not start before `today` (cases already filed keep theirs, and
    /// a version in the past would change what new cases of past days would have had), nor on a day that
    /// already starts a version.
    pub fn validate(
        &self,
        kind: SchemeKind,
        covers: Coverage,
        today: NaiveDate,
        taken: &[NaiveDate],
    ) -> Result<(NaiveDate, SchemeRules), FieldErrors> {
        let mut errors = FieldErrors::new();
        let valid_from = match parse_date_input(&self.valid_from) {
            Ok(None) => {
                errors.add("valid_from", "field-required");
                None
            }
            Err(key) => {
                errors.add("valid_from", key);
                None
            }
            Ok(Some(date)) if date < today => {
                errors.add("valid_from", "registry-rules-from-past");
                None
            }
            Ok(Some(date)) if taken.contains(&date) => {
                errors.add("valid_from", "registry-rules-from-taken");
                None
            }
            Ok(Some(date)) => Some(date),
        };
        let mut amount = |field: &str, value: &str, required: bool| -> Option<Option<i64>> {
            match parse_euros(value) {
                Ok(None) if required => {
                    errors.add(field, "field-required");
                    None
                }
                Ok(Some(cents)) if cents < 0 => {
                    errors.add(field, "registry-amount-negative");
                    None
                }
                Ok(cents) => Some(cents),
                Err(key) => {
                    errors.add(field, key);
                    None
                }
            }
        };
        let fee = amount("complaint_fee", &self.complaint_fee, true).flatten();
        let min_claim = amount("min_claim", &self.min_claim, false);
        let max_claim = amount("max_claim", &self.max_claim, false);
        let cap = amount("guarantee_cap", &self.guarantee_cap, false);
        let fee_refund = self.fee_refund.parse::<FeeRefundRule>().ok();
        if fee_refund.is_none() {
            errors.add("fee_refund", "registry-choose-option");
        }
        let basis = self.membership_date_basis.parse::<MembershipDateBasis>().ok();
        if basis.is_none() {
            errors.add("membership_date_basis", "registry-choose-option");
        }
        let panel_size = self.panel_size.trim().parse::<u8>().ok();
        if panel_size.is_none() {
            errors.add("panel_size", "registry-choose-option");
        }
        let mut terms = Vec::new();
        for field in TERM_FIELDS {
            let value = self.term(field).trim().to_uppercase();
            match value.parse::<Period>() {
                Ok(period) => terms.push(period),
                Err(_) if value.is_empty() => errors.add(field, "field-required"),
                Err(_) => errors.add(field, "registry-period-invalid"),
            }
        }
        let (Some(valid_from), Some(fee), Some(min), Some(max), Some(cap), Some(refund), Some(basis), Some(panel)) = (
            valid_from, fee, min_claim, max_claim, cap, fee_refund, basis, panel_size,
        ) else {
            return Err(errors);
        };
        if terms.len() != TERM_FIELDS.len() || !errors.is_empty() {
            return Err(errors);
        }
        let rules = SchemeRules {
            scheme_kind: kind,
            covers,
            complaint_fee_cents: fee,
            fee_refund: refund,
            min_claim_cents: min,
            max_claim_cents: max,
            provider_answer_period: terms[0],
            filing_limit: terms[1],
            membership_date_basis: basis,
            defence_term: terms[2],
            reply_term: terms[3],
            information_term: terms[4],
            fee_term: terms[5],
            reaction_term: terms[6],
            refusal_term: terms[7],
            outcome_target: terms[8],
            ruling_term_after_hearing: terms[9],
            compliance_term: terms[10],
            settlement_compliance_term: terms[11],
            panel_size: panel,
            guarantee_cap_cents: cap,
        };
        for problem in rules.problems() {
            match problem {
                RulesProblem::NegativeFee => errors.add("complaint_fee", "registry-amount-negative"),
                RulesProblem::NegativeAmount => errors.add("min_claim", "registry-amount-negative"),
                RulesProblem::MinimumAboveMaximum => errors.add("min_claim", "registry-rules-min-above-max"),
                RulesProblem::UnsupportedPanelSize => errors.add("panel_size", "registry-choose-option"),
            }
        }
        if errors.is_empty() {
            Ok((valid_from, rules))
        } else {
            Err(errors)
        }
    }
}

/// The provider form; every field as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ProviderForm {
    pub kvk_number: String,
    pub legal_name: String,
    pub trade_names: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
    pub website: String,
    pub complaint_email: String,
}

impl ProviderForm {
    pub fn from_fields(fields: &ProviderFields) -> ProviderForm {
        ProviderForm {
            kvk_number: fields.kvk_number.to_string(),
            legal_name: fields.legal_name.clone(),
            trade_names: fields.trade_names.clone(),
            street: fields.street.clone(),
            postcode: fields.postcode.clone(),
            city: fields.city.clone(),
            website: fields.website.clone(),
            complaint_email: fields.complaint_email.clone(),
        }
    }

    pub fn validate(&self) -> Result<ProviderFields, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kvk = KvkNumber::parse(&self.kvk_number);
        if let Err(problem) = &kvk {
            errors.add("kvk_number", problem.message_key());
        }
        if self.legal_name.trim().is_empty() {
            errors.add("legal_name", "field-required");
        }
        let texts = [
            ("legal_name", &self.legal_name),
            ("trade_names", &self.trade_names),
            ("street", &self.street),
            ("postcode", &self.postcode),
            ("city", &self.city),
            ("website", &self.website),
            ("complaint_email", &self.complaint_email),
        ];
        for (field, value) in texts {
            if value.trim().chars().count() > MAX_TEXT {
                errors.add(field, "field-too-long");
            }
        }
        let email = self.complaint_email.trim();
        if !email.is_empty() && crate::accounts::normalise_email(email).is_none() {
            errors.add("complaint_email", "email-invalid");
        }
        let website = self.website.trim();
        if !(website.is_empty() || website.starts_with("https://") || website.starts_with("http://")) {
            errors.add("website", "registry-website-invalid");
        }
        match kvk {
            Ok(kvk_number) if errors.is_empty() => Ok(ProviderFields {
                kvk_number,
                legal_name: self.legal_name.trim().to_owned(),
                trade_names: normalise_trade_names(&self.trade_names),
                street: self.street.trim().to_owned(),
                postcode: self.postcode.trim().to_owned(),
                city: self.city.trim().to_owned(),
                website: website.to_owned(),
                complaint_email: email.to_owned(),
            }),
            _ => Err(errors),
        }
    }
}

/// The membership form: adding one (with scheme and first day) or changing one (end, status, route).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct MembershipForm {
    pub scheme_id: String,
    pub valid_from: String,
    pub valid_until: String,
    pub via: String,
    pub guarantor_id: String,
    pub status: String,
}

/// A valid membership form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidMembership {
    pub scheme_id: i64,
    pub fields: MembershipFields,
    pub guarantor_id: Option<i64>,
}

impl MembershipForm {
    /// Checks the form against the provider's other periods in the same scheme (`others`, looked up for the
    /// scheme chosen) and the known schemes and guarantors. For a change, `fixed` holds the scheme and first
    /// day, which cannot change.
    pub fn validate(
        &self,
        schemes: &[i64],
        guarantors: &[(i64, String)],
        fixed: Option<(i64, NaiveDate)>,
        others: impl Fn(i64) -> Vec<ValidityPeriod>,
    ) -> Result<ValidMembership, FieldErrors> {
        let mut errors = FieldErrors::new();
        let scheme_id = match fixed {
            Some((id, _)) => Some(id),
            None => self
                .scheme_id
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|id| schemes.contains(id)),
        };
        if scheme_id.is_none() {
            errors.add("scheme_id", "registry-choose-option");
        }
        let from = match fixed {
            Some((_, from)) => Some(from),
            None => match parse_date_input(&self.valid_from) {
                Ok(Some(date)) => Some(date),
                Ok(None) => {
                    errors.add("valid_from", "field-required");
                    None
                }
                Err(key) => {
                    errors.add("valid_from", key);
                    None
                }
            },
        };
        let until = match parse_date_input(&self.valid_until) {
            Ok(until) => until,
            Err(key) => {
                errors.add("valid_until", key);
                None
            }
        };
        let via = self.via.parse::<Via>().ok();
        if via.is_none() {
            errors.add("via", "registry-choose-option");
        }
        let status = self.status.parse::<MembershipStatus>().ok();
        if status.is_none() {
            errors.add("status", "registry-choose-option");
        }
        let guarantor_id = match self.guarantor_id.trim() {
            "" => None,
            id => {
                let found = id
                    .parse::<i64>()
                    .ok()
                    .filter(|id| guarantors.iter().any(|(g, _)| g == id));
                if found.is_none() {
                    errors.add("guarantor_id", "registry-choose-option");
                }
                found
            }
        };
        if via == Some(Via::TradeAssociation) && guarantor_id.is_none() && !errors.has("guarantor_id") {
            errors.add("guarantor_id", "registry-guarantor-required");
        }
        let (Some(scheme_id), Some(from), Some(via), Some(status)) = (scheme_id, from, via, status) else {
            return Err(errors);
        };
        let period = ValidityPeriod { from, until };
        match check_period(&period, status) {
            Err(PeriodProblem::EndsBeforeItStarts) => errors.add("valid_until", "registry-period-reversed"),
            Err(PeriodProblem::EndedWithoutEnd) => errors.add("valid_until", "registry-ended-needs-end"),
            Ok(()) => {
                if errors.is_empty() && others(scheme_id).iter().any(|other| other.overlaps(&period)) {
                    errors.add(
                        if fixed.is_some() { "valid_until" } else { "valid_from" },
                        "registry-period-overlaps",
                    );
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let guarantor = guarantor_id.and_then(|id| guarantors.iter().find(|(g, _)| *g == id).map(|(_, n)| n.clone()));
        Ok(ValidMembership {
            scheme_id,
            fields: MembershipFields {
                period,
                via,
                guarantor,
                status,
            },
            guarantor_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_are_read_as_typed_in_iso_or_dutch_order() {
        assert_eq!(parse_date_input("2025-03-03"), Ok(Some(d(2025, 3, 3))));
        assert_eq!(parse_date_input(" 3-3-2025 "), Ok(Some(d(2025, 3, 3))));
        assert_eq!(parse_date_input("03/03/2025"), Ok(Some(d(2025, 3, 3))));
        assert_eq!(parse_date_input("29.02.2024"), Ok(Some(d(2024, 2, 29))));
        assert_eq!(parse_date_input(""), Ok(None));
    }

    #[test]
    fn impossible_or_odd_dates_are_refused() {
        for bad in [
            "2025-02-29",
            "31-4-2025",
            "gisteren",
            "2025-03",
            "3-3-25",
            "0000-01-01",
            "9999-12-31",
            "2025-03-03'; DROP TABLE providers; --",
            "٢٠٢٥-٠٣-٠٣",
            "+2025-03-03",
            "2025--03-03",
            &"1".repeat(1000),
        ] {
            assert_eq!(parse_date_input(bad), Err("registry-date-invalid"), "{bad}");
        }
    }

    #[test]
    fn euro_amounts_become_cents() {
        assert_eq!(parse_euros("50"), Ok(Some(5000)));
        assert_eq!(parse_euros("50,5"), Ok(Some(5050)));
        assert_eq!(parse_euros("€ 1.250,00"), Ok(Some(125_000)));
        assert_eq!(parse_euros("1250.99"), Ok(Some(125_099)));
        assert_eq!(parse_euros("-1"), Ok(Some(-100)));
        assert_eq!(parse_euros(" "), Ok(None));
        assert_eq!(parse_euros("50,123"), Err("registry-amount-invalid"));
        assert_eq!(parse_euros("vijftig"), Err("registry-amount-invalid"));
        assert_eq!(parse_euros("9999999999999"), Err("registry-amount-invalid"));
        assert_eq!(format_euros_input(Some(5000)), "50,00");
        assert_eq!(format_euros_input(Some(5)), "0,05");
        assert_eq!(format_euros_input(None), "");
    }

    #[test]
    fn the_prefilled_rules_form_gives_back_the_same_rules() {
        let today = d(2026, 1, 1);
        let rules = SchemeRules::commission_defaults();
        let form = RulesForm::from_rules(&rules, today);
        let (from, parsed) = form
            .validate(SchemeKind::BindingAdvice, Coverage::Services, today, &[])
            .unwrap();
        assert_eq!(from, today);
        assert_eq!(parsed, rules);
    }

    #[test]
    fn a_rules_version_may_not_start_in_the_past_or_on_a_taken_day() {
        let today = d(2026, 1, 1);
        let rules = SchemeRules::mediation_defaults();
        let past = RulesForm::from_rules(&rules, d(2025, 12, 31));
        let errors = past
            .validate(SchemeKind::Mediation, Coverage::Products, today, &[])
            .unwrap_err();
        assert_eq!(errors.to_json()["valid_from"], "registry-rules-from-past");
        let taken = RulesForm::from_rules(&rules, d(2026, 2, 1));
        let errors = taken
            .validate(SchemeKind::Mediation, Coverage::Products, today, &[d(2026, 2, 1)])
            .unwrap_err();
        assert_eq!(errors.to_json()["valid_from"], "registry-rules-from-taken");
    }

    #[test]
    fn every_bad_rules_field_gets_its_own_message() {
        let mut form = RulesForm::from_rules(&SchemeRules::commission_defaults(), d(2026, 1, 1));
        form.valid_from = "morgen".into();
        form.complaint_fee = "-5".into();
        form.min_claim = "100".into();
        form.max_claim = "50".into();
        form.defence_term = "een maand".into();
        form.filing_limit = String::new();
        form.fee_refund = "altijd".into();
        form.panel_size = "2".into();
        let errors = form
            .validate(SchemeKind::BindingAdvice, Coverage::Services, d(2026, 1, 1), &[])
            .unwrap_err()
            .to_json();
        assert_eq!(errors["valid_from"], "registry-date-invalid");
        assert_eq!(errors["complaint_fee"], "registry-amount-negative");
        assert_eq!(errors["defence_term"], "registry-period-invalid");
        assert_eq!(errors["filing_limit"], "field-required");
        assert_eq!(errors["fee_refund"], "registry-choose-option");

        let mut form = RulesForm::from_rules(&SchemeRules::commission_defaults(), d(2026, 1, 1));
        form.min_claim = "100".into();
        form.max_claim = "50".into();
        form.panel_size = "2".into();
        form.defence_term = "p6w".into();
        let errors = form
            .validate(SchemeKind::BindingAdvice, Coverage::Services, d(2026, 1, 1), &[])
            .unwrap_err()
            .to_json();
        assert_eq!(errors["min_claim"], "registry-rules-min-above-max");
        assert_eq!(errors["panel_size"], "registry-choose-option");
        assert!(errors.get("defence_term").is_none(), "lower case terms are accepted");
    }

    #[test]
    fn the_provider_form_normalises_the_kvk_number_and_trade_names() {
        let form = ProviderForm {
            kvk_number: "6000 0011".into(),
            legal_name: " Glasvezel Noord B.V. ".into(),
            trade_names: "NoordNet |  Noord TV".into(),
            website: "https://noord.example".into(),
            complaint_email: "klachten@noord.example".into(),
            ..ProviderForm::default()
        };
        let fields = form.validate().unwrap();
        assert_eq!(fields.kvk_number.as_str(), "60000011");
        assert_eq!(fields.legal_name, "Glasvezel Noord B.V.");
        assert_eq!(fields.trade_names, "NoordNet; Noord TV");
        let bad = ProviderForm {
            kvk_number: "1234567".into(),
            website: "noord.example".into(),
            complaint_email: "geen adres".into(),
            ..ProviderForm::default()
        };
        let errors = bad.validate().unwrap_err().to_json();
        assert_eq!(errors["kvk_number"], "registry-kvk-invalid");
        assert_eq!(errors["legal_name"], "field-required");
        assert_eq!(errors["website"], "registry-website-invalid");
        assert_eq!(errors["complaint_email"], "email-invalid");
    }

    #[test]
    fn a_membership_that_overlaps_another_of_the_same_scheme_is_refused_at_its_field() {
        let guarantors = vec![(7, "Fonds".to_owned())];
        let existing = vec![ValidityPeriod {
            from: d(2015, 1, 1),
            until: Some(d(2025, 3, 2)),
        }];
        let form = MembershipForm {
            scheme_id: "1".into(),
            valid_from: "2025-03-02".into(),
            via: "direct".into(),
            status: "certified".into(),
            ..MembershipForm::default()
        };
        let errors = form
            .validate(&[1], &guarantors, None, |_| existing.clone())
            .unwrap_err()
            .to_json();
        assert_eq!(errors["valid_from"], "registry-period-overlaps");
        let next_day = MembershipForm {
            valid_from: "2025-03-03".into(),
            ..form.clone()
        };
        assert!(next_day.validate(&[1], &guarantors, None, |_| existing.clone()).is_ok());
        let through_association = MembershipForm {
            via: "trade_association".into(),
            ..next_day.clone()
        };
        let errors = through_association
            .validate(&[1], &guarantors, None, |_| Vec::new())
            .unwrap_err()
            .to_json();
        assert_eq!(errors["guarantor_id"], "registry-guarantor-required");
        let with_guarantor = MembershipForm {
            guarantor_id: "7".into(),
            ..through_association
        };
        let valid = with_guarantor
            .validate(&[1], &guarantors, None, |_| Vec::new())
            .unwrap();
        assert_eq!(valid.fields.guarantor.as_deref(), Some("Fonds"));
        let unknown_scheme = MembershipForm {
            scheme_id: "99".into(),
            ..next_day
        };
        let errors = unknown_scheme
            .validate(&[1], &guarantors, None, |_| Vec::new())
            .unwrap_err()
            .to_json();
        assert_eq!(errors["scheme_id"], "registry-choose-option");
    }

    #[test]
    fn ending_a_membership_needs_an_end_date_on_or_after_its_start() {
        let fixed = Some((1, d(2020, 1, 1)));
        let form = MembershipForm {
            valid_until: "2019-12-31".into(),
            via: "direct".into(),
            status: "ended".into(),
            ..MembershipForm::default()
        };
        let errors = form.validate(&[1], &[], fixed, |_| Vec::new()).unwrap_err().to_json();
        assert_eq!(errors["valid_until"], "registry-period-reversed");
        let no_end = MembershipForm {
            valid_until: String::new(),
            ..form.clone()
        };
        let errors = no_end.validate(&[1], &[], fixed, |_| Vec::new()).unwrap_err().to_json();
        assert_eq!(errors["valid_until"], "registry-ended-needs-end");
        let ok = MembershipForm {
            valid_until: "2020-01-01".into(),
            ..form
        };
        assert!(ok.validate(&[1], &[], fixed, |_| Vec::new()).is_ok());
    }
}
