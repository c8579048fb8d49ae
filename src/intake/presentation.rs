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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use chrono::NaiveDate;

    use fluent_templates::fluent_bundle::FluentValue;

    use super::super::completeness::RefusalGround;
    use super::super::eligibility::{CheckKind, NextStep, ReasonCode, Route, Verdict};
    use super::super::wizard::{Category, ProviderAnswer, Step};
    use super::ROLES;
    use crate::i18n::{Language, try_translate};
    use crate::registry::rules::SchemeKind;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()
    }

    /// Every code the eligibility check can produce, so a branch no page test reaches still has its words.
    fn keys() -> Vec<String> {
        let d = day();
        let reasons = [
            ReasonCode::IsConsumer,
            ReasonCode::CompanyInScope,
            ReasonCode::ProviderInRegistry,
            ReasonCode::MemberOnContractDate,
            ReasonCode::CertifiedOnRequestDate,
            ReasonCode::ComplainedInWriting,
            ReasonCode::AnswerPeriodOver,
            ReasonCode::ProviderGaveFinalAnswer,
            ReasonCode::FilingClockNotStarted,
            ReasonCode::FiledInTime,
            ReasonCode::ClaimWithinLimits,
            ReasonCode::NoClaimLimits,
            ReasonCode::NoOtherProcedure,
            ReasonCode::AnswerMissing,
            ReasonCode::AnswerInvalid,
            ReasonCode::SchemeNotDetermined,
            ReasonCode::SchemeRulesMissing,
            ReasonCode::BusinessApplicant,
            ReasonCode::Government,
            ReasonCode::ForeignCompany,
            ReasonCode::ProviderNotInRegistry,
            ReasonCode::NoMembershipForSubject,
            ReasonCode::MembershipStartedAfterContract,
            ReasonCode::MembershipEndedBeforeContract,
            ReasonCode::NotCertifiedOnRequestDate,
            ReasonCode::ComplaintOnlyByPhone,
            ReasonCode::NoWrittenComplaint,
            ReasonCode::ContractAfterComplaint,
            ReasonCode::DateInFuture,
            ReasonCode::FinalAnswerBeforeComplaint,
            ReasonCode::WaitingPeriodRunning { earliest_filing: d },
            ReasonCode::WaitingPeriodNotStarted { earliest_filing: d },
            ReasonCode::FilingLimitPassed { deadline: d },
            ReasonCode::NegativeClaim,
            ReasonCode::ClaimBelowMinimum { minimum_cents: 1 },
            ReasonCode::ClaimAboveMaximum { maximum_cents: 1 },
            ReasonCode::BeforeCourt,
        ];
        let next_steps = [
            NextStep::WriteComplaintLetter,
            NextStep::WaitUntil(d),
            NextStep::ReferToNationaleOmbudsman,
            NextStep::ReferToEcc,
            NextStep::ReferToBusinessCommission,
            NextStep::ReferToCourt,
            NextStep::ContactProviderFirst,
            NextStep::FileCase,
            NextStep::ForwardOnly,
            NextStep::AnswerQuestion,
        ];
        let routes = [
            Route::Scheme {
                scheme_id: 1,
                kind: SchemeKind::BindingAdvice,
            },
            Route::ForwardOnly { scheme_id: 1 },
            Route::NationaleOmbudsman,
            Route::EuropeanConsumerCentre,
            Route::BusinessCommission,
            Route::NoScheme,
            Route::Undetermined,
        ];
        let verdicts = [
            Verdict::Eligible { scheme_id: 1 },
            Verdict::NotYet {
                only_needs_written_complaint_or_waiting: true,
                earliest_filing: None,
            },
            Verdict::Ineligible,
            Verdict::Incomplete,
        ];
        let mut keys: Vec<String> = Vec::new();
        keys.extend(reasons.iter().map(|r| format!("intake-reason-{}", r.code())));
        keys.extend(next_steps.iter().map(|n| format!("intake-next-{}", n.code())));
        keys.extend(routes.iter().map(|r| format!("intake-route-{}", r.code())));
        keys.extend(verdicts.iter().map(|v| format!("intake-verdict-{}", v.code())));
        keys.extend(CheckKind::ALL.iter().map(|c| format!("intake-check-{}", c.as_str())));
        keys.extend(Step::ALL.iter().map(|s| format!("intake-step-{}", s.as_str())));
        keys.extend(Category::ALL.iter().map(|c| format!("category-{}", c.as_str())));
        keys.extend(
            ProviderAnswer::ALL
                .iter()
                .map(|a| format!("intake-provider-answer-{}", a.as_str())),
        );
        keys.extend(
            RefusalGround::ALL
                .iter()
                .map(|g| format!("intake-ground-{}", g.as_str())),
        );
        keys
    }

    #[test]
    fn every_code_the_check_produces_has_words_in_every_language() {
        // The arguments `describe` always passes.
        let mut args = HashMap::new();
        for name in ROLES
            .iter()
            .map(|r| r.as_str())
            .chain(["date", "wait", "minimum", "maximum", "scheme"])
        {
            args.insert(std::borrow::Cow::Borrowed(name), FluentValue::from("x"));
        }
        for language in Language::ALL {
            for key in keys() {
                assert!(
                    try_translate(language, &key, &args).is_some(),
                    "{key} in {}",
                    language.code()
                );
            }
        }
    }
}
