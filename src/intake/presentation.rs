//! The eligibility result in words: each check's label, explanation and next step in the reader's language
//! (for the wizard's pages and the JSON API), with the dates it names.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::NaiveDate;
use fluent_templates::fluent_bundle::FluentValue;
use serde::Serialize;

use super::eligibility::{CheckOutcome, CheckResult, DateRole, Eligibility, NextStep, ReasonCode, Route, Verdict};
use crate::i18n::{self, Language};
use crate::registry::check::format_date;
use crate::web::templates::format_euros;

const ROLES: [DateRole; 8] = [
    DateRole::ContractDate,
    DateRole::RequestDate,
    DateRole::MembershipFrom,
    DateRole::MembershipUntil,
    DateRole::WrittenComplaint,
    DateRole::FinalAnswer,
    DateRole::EarliestFiling,
    DateRole::FilingDeadline,
];

/// One check as the reader sees it.
#[derive(Debug, Clone, Serialize)]
pub struct CheckView {
    pub check: &'static str,
    pub outcome: &'static str,
    pub reason: &'static str,
    pub next_step: &'static str,
    pub label: String,
    pub explanation: String,
    /// Empty when there is nothing to do.
    pub next: String,
    pub dates: HashMap<&'static str, NaiveDate>,
    pub failed: bool,
    pub passed: bool,
}

/// The whole result as the reader sees it.
#[derive(Debug, Clone, Serialize)]
pub struct EligibilityView {
    pub verdict: &'static str,
    pub verdict_text: String,
    pub route: &'static str,
    pub route_text: String,
    pub earliest_filing: Option<NaiveDate>,
    pub checks: Vec<CheckView>,
    pub failed: Vec<CheckView>,
    pub eligible: bool,
    pub not_yet: bool,
    /// Writing to the provider or waiting is all that stands in the way: the letter is offered.
    pub letter: bool,
    pub ineligible: bool,
}

fn args(language: Language, check: &CheckResult, scheme: &str) -> HashMap<Cow<'static, str>, FluentValue<'static>> {
    let mut map: HashMap<Cow<'static, str>, FluentValue<'static>> = HashMap::new();
    for role in ROLES {
        let value = check
            .dates
            .iter()
            .find(|(r, _)| *r == role)
            .map(|(_, d)| format_date(language, *d))
            .unwrap_or_else(|| "—".into());
        map.insert(Cow::Borrowed(role.as_str()), FluentValue::from(value));
    }
    let (date, minimum, maximum) = match (check.reason, check.next_step) {
        (
            ReasonCode::WaitingPeriodRunning { earliest_filing }
            | ReasonCode::WaitingPeriodNotStarted { earliest_filing },
            _,
        ) => (Some(earliest_filing), None, None),
        (ReasonCode::FilingLimitPassed { deadline }, _) => (Some(deadline), None, None),
        (ReasonCode::ClaimBelowMinimum { minimum_cents }, _) => (None, Some(minimum_cents), None),
        (ReasonCode::ClaimAboveMaximum { maximum_cents }, _) => (None, None, Some(maximum_cents)),
        (_, NextStep::WaitUntil(day)) => (Some(day), None, None),
        _ => (None, None, None),
    };
    let wait = match check.next_step {
        NextStep::WaitUntil(day) => Some(day),
        _ => date,
    };
    map.insert(
        "date".into(),
        FluentValue::from(date.map(|d| format_date(language, d)).unwrap_or_default()),
    );
    map.insert(
        "wait".into(),
        FluentValue::from(wait.map(|d| format_date(language, d)).unwrap_or_default()),
    );
    map.insert(
        "minimum".into(),
        FluentValue::from(minimum.map(format_euros).unwrap_or_default()),
    );
    map.insert(
        "maximum".into(),
        FluentValue::from(maximum.map(format_euros).unwrap_or_default()),
    );
    map.insert("scheme".into(), FluentValue::from(scheme.to_owned()));
    map
}

/// Describes `eligibility` in `language`; `scheme` names the scheme the route leads to (may be empty).
pub fn describe(eligibility: &Eligibility, language: Language, scheme: &str) -> EligibilityView {
    let checks: Vec<CheckView> = eligibility
        .checks
        .iter()
        .map(|c| {
            let args = args(language, c, scheme);
            CheckView {
                check: c.check.as_str(),
                outcome: c.outcome.as_str(),
                reason: c.reason.code(),
                next_step: c.next_step.code(),
                label: i18n::translate(language, &format!("intake-check-{}", c.check.as_str())),
                explanation: i18n::translate_with(language, &format!("intake-reason-{}", c.reason.code()), &args),
                next: match c.next_step {
                    NextStep::None => String::new(),
                    step => i18n::translate_with(language, &format!("intake-next-{}", step.code()), &args),
                },
                dates: c.dates.iter().map(|(r, d)| (r.as_str(), *d)).collect(),
                failed: c.outcome == CheckOutcome::Failed,
                passed: c.outcome == CheckOutcome::Passed,
            }
        })
        .collect();
    let mut route_args: HashMap<Cow<'static, str>, FluentValue<'static>> = HashMap::new();
    route_args.insert("scheme".into(), FluentValue::from(scheme.to_owned()));
    let earliest_filing = match eligibility.verdict {
        Verdict::NotYet { earliest_filing, .. } => earliest_filing,
        _ => None,
    };
    route_args.insert(
        "date".into(),
        FluentValue::from(earliest_filing.map(|d| format_date(language, d)).unwrap_or_default()),
    );
    let letter = matches!(eligibility.verdict, Verdict::NotYet { .. });
    EligibilityView {
        verdict: eligibility.verdict.code(),
        verdict_text: i18n::translate_with(
            language,
            &format!("intake-verdict-{}", eligibility.verdict.code()),
            &route_args,
        ),
        route: eligibility.route.code(),
        route_text: i18n::translate_with(
            language,
            &format!("intake-route-{}", eligibility.route.code()),
            &route_args,
        ),
        earliest_filing,
        failed: checks.iter().filter(|c| c.failed).cloned().collect(),
        checks,
        eligible: matches!(eligibility.verdict, Verdict::Eligible { .. }),
        not_yet: letter,
        letter,
        ineligible: matches!(eligibility.verdict, Verdict::Ineligible),
    }
}

/// Whether the route sends the consumer away from the portal's schemes (for the result page's wording).
pub fn refers_elsewhere(route: Route) -> bool {
    matches!(
        route,
        Route::NationaleOmbudsman | Route::EuropeanConsumerCentre | Route::BusinessCommission | Route::NoScheme
    )
}
