//! The intake admissibility check: which scheme a complaint belongs to and whether it may be filed today.
//!
//! Every check yields an outcome, a reason code, a next step and the dates its explanation needs, so the
//! wizard can show results while the consumer is still answering (missing answers give `Unknown`, not a
//! refusal). The result is codes only; the web layer translates them.

use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::registry::period::Period;
use crate::registry::rules::{Coverage, MembershipDateBasis, SchemeKind, SchemeRules, UnknownCode, parse_code};

/// What the complaint is about; decides the kind of scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// A service or the contract for it (a sector commission).
    Services,
    /// A product that was delivered (ICTWaarborg mediation).
    DeliveredProduct,
}

impl Subject {
    /// Every variant, in a stable order.
    pub const ALL: [Subject; 2] = [Subject::Services, Subject::DeliveredProduct];

    /// The stable code stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            Subject::Services => "services",
            Subject::DeliveredProduct => "delivered_product",
        }
    }
}

impl FromStr for Subject {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("subject", &Self::ALL, Self::as_str, s)
    }
}

/// Who the complaint is against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CounterpartyKind {
    /// A Dutch company, possibly affiliated with a scheme.
    Company,
    /// A public body such as a municipality (Nationale Ombudsman).
    Government,
    /// A company abroad (European Consumer Centre).
    ForeignCompany,
}

impl CounterpartyKind {
    /// Every variant, in a stable order.
    pub const ALL: [CounterpartyKind; 3] = [
        CounterpartyKind::Company,
        CounterpartyKind::Government,
        CounterpartyKind::ForeignCompany,
    ];

    /// The stable code stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            CounterpartyKind::Company => "company",
            CounterpartyKind::Government => "government",
            CounterpartyKind::ForeignCompany => "foreign_company",
        }
    }
}

impl FromStr for CounterpartyKind {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("counterparty_kind", &Self::ALL, Self::as_str, s)
    }
}

/// How the consumer complained to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintChannel {
    /// An ordinary letter (written).
    Letter,
    /// A registered letter (written; what seed 000 advises).
    RegisteredLetter,
    /// An e-mail (written).
    Email,
    /// The provider's web form (written).
    WebForm,
    /// Only by phone: not written, so the procedure cannot start yet.
    PhoneOnly,
    /// Not at all yet.
    None,
}

impl ComplaintChannel {
    /// Every variant, in a stable order.
    pub const ALL: [ComplaintChannel; 6] = [
        ComplaintChannel::Letter,
        ComplaintChannel::RegisteredLetter,
        ComplaintChannel::Email,
        ComplaintChannel::WebForm,
        ComplaintChannel::PhoneOnly,
        ComplaintChannel::None,
    ];

    /// The stable code stored in the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            ComplaintChannel::Letter => "letter",
            ComplaintChannel::RegisteredLetter => "registered_letter",
            ComplaintChannel::Email => "email",
            ComplaintChannel::WebForm => "web_form",
            ComplaintChannel::PhoneOnly => "phone_only",
            ComplaintChannel::None => "none",
        }
    }

    /// Whether this counts as complaining in writing.
    pub const fn is_written(self) -> bool {
        matches!(
            self,
            ComplaintChannel::Letter
                | ComplaintChannel::RegisteredLetter
                | ComplaintChannel::Email
                | ComplaintChannel::WebForm
        )
    }
}

impl FromStr for ComplaintChannel {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("complaint_channel", &Self::ALL, Self::as_str, s)
    }
}

/// The consumer's answers so far; `None` means not answered yet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntakeAnswers {
    /// What the complaint is about.
    pub subject: Option<Subject>,
    /// Who the complaint is against.
    pub counterparty: Option<CounterpartyKind>,
    /// Whether the applicant is a private person rather than a business.
    pub applicant_is_consumer: Option<bool>,
    /// The day the contract was concluded.
    pub contract_date: Option<NaiveDate>,
    /// The day of the written complaint to the provider (later additions do not move it).
    pub written_complaint_date: Option<NaiveDate>,
    /// How the consumer complained.
    pub written_complaint_channel: Option<ComplaintChannel>,
    /// The day of the provider's final answer (deadlock), if it gave one.
    pub provider_final_answer_date: Option<NaiveDate>,
    /// The amount claimed, in cents.
    pub claim_cents: Option<i64>,
    /// Whether the dispute is already before a court or another dispute body.
    pub before_court_or_other_body: Option<bool>,
}

/// The registry status of a membership (one type for the registry and intake).
pub use crate::registry::membership::MembershipStatus;

/// One validity period of a provider's membership of a scheme, as the registry holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipFact {
    /// The scheme.
    pub scheme_id: i64,
    /// What the scheme covers.
    pub scheme_covers: Coverage,
    /// How the scheme resolves disputes.
    pub scheme_kind: SchemeKind,
    /// First day of membership.
    pub valid_from: NaiveDate,
    /// Last day of membership, inclusive; `None` while it lasts.
    pub valid_until: Option<NaiveDate>,
    /// Current registry status.
    pub status: MembershipStatus,
}

impl MembershipFact {
    /// Whether `date` falls within the validity period, both ends inclusive.
    pub fn valid_on(&self, date: NaiveDate) -> bool {
        self.valid_from <= date && self.valid_until.is_none_or(|until| date <= until)
    }
}

/// What the registry knows about the provider the consumer named.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProviderFacts {
    /// Whether the provider is in the registry at all.
    pub found: bool,
    /// Its memberships, in the caller's order of preference (the first qualifying one is chosen).
    pub memberships: Vec<MembershipFact>,
}

/// The checks, in the order the wizard shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// The applicant is a consumer, not a business.
    ApplicantIsConsumer,
    /// The counterparty is a company the portal's schemes can handle.
    CounterpartyInScope,
    /// The provider is in the registry.
    ProviderFound,
    /// The provider was a member on the day the scheme's rules name.
    MembershipOnDate,
    /// The consumer complained to the provider in writing.
    WrittenComplaint,
    /// The provider had its answer period, or gave a final answer.
    ProviderHadTime,
    /// The filing limit after the written complaint has not passed.
    WithinFilingLimit,
    /// The claim is within the scheme's limits.
    ClaimWithinLimits,
    /// The dispute is not before a court or another body.
    NotBeforeCourt,
}

impl CheckKind {
    /// Every variant, in display order.
    pub const ALL: [CheckKind; 9] = [
        CheckKind::ApplicantIsConsumer,
        CheckKind::CounterpartyInScope,
        CheckKind::ProviderFound,
        CheckKind::MembershipOnDate,
        CheckKind::WrittenComplaint,
        CheckKind::ProviderHadTime,
        CheckKind::WithinFilingLimit,
        CheckKind::ClaimWithinLimits,
        CheckKind::NotBeforeCourt,
    ];

    /// The stable code of the check.
    pub const fn as_str(self) -> &'static str {
        match self {
            CheckKind::ApplicantIsConsumer => "applicant_is_consumer",
            CheckKind::CounterpartyInScope => "counterparty_in_scope",
            CheckKind::ProviderFound => "provider_found",
            CheckKind::MembershipOnDate => "membership_on_date",
            CheckKind::WrittenComplaint => "written_complaint",
            CheckKind::ProviderHadTime => "provider_had_time",
            CheckKind::WithinFilingLimit => "within_filing_limit",
            CheckKind::ClaimWithinLimits => "claim_within_limits",
            CheckKind::NotBeforeCourt => "not_before_court",
        }
    }
}

impl FromStr for CheckKind {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("check_kind", &Self::ALL, Self::as_str, s)
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// The rule is met.
    Passed,
    /// The rule is not met; the reason says why.
    Failed,
    /// Not decidable yet: an answer (or the scheme, or its rules) is missing.
    Unknown,
}

impl CheckOutcome {
    /// The stable code of the outcome.
    pub const fn as_str(self) -> &'static str {
        match self {
            CheckOutcome::Passed => "passed",
            CheckOutcome::Failed => "failed",
            CheckOutcome::Unknown => "unknown",
        }
    }
}

/// Why a check came out as it did; one code per distinct explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    // Passed.
    /// The applicant is a consumer.
    IsConsumer,
    /// The counterparty is a company.
    CompanyInScope,
    /// The provider is in the registry.
    ProviderInRegistry,
    /// The provider was a member on the contract date.
    MemberOnContractDate,
    /// The provider is a certified member today.
    CertifiedOnRequestDate,
    /// The consumer complained in writing.
    ComplainedInWriting,
    /// The provider's answer period is over.
    AnswerPeriodOver,
    /// The provider gave its final answer, so the consumer need not wait.
    ProviderGaveFinalAnswer,
    /// No written complaint yet, so the filing limit has not started running.
    FilingClockNotStarted,
    /// Filed on or before the last day of the filing limit.
    FiledInTime,
    /// The claim is within the scheme's limits.
    ClaimWithinLimits,
    /// The scheme sets no claim limits.
    NoClaimLimits,
    /// No court or other body is handling the dispute.
    NoOtherProcedure,
    // Unknown.
    /// The consumer has not answered the question this check needs.
    AnswerMissing,
    /// This check depends on a date that another check refused.
    AnswerInvalid,
    /// The scheme is not known yet (the subject is not answered).
    SchemeNotDetermined,
    /// The registry has no rules for the chosen scheme (a configuration error).
    SchemeRulesMissing,
    // Failed.
    /// The applicant is a business.
    BusinessApplicant,
    /// The counterparty is a public body.
    Government,
    /// The counterparty is a company abroad.
    ForeignCompany,
    /// The provider is not in the registry.
    ProviderNotInRegistry,
    /// The provider has no membership of a scheme for this subject.
    NoMembershipForSubject,
    /// The provider joined the scheme after the contract date.
    MembershipStartedAfterContract,
    /// The provider's membership ended before the contract date.
    MembershipEndedBeforeContract,
    /// The provider is not a certified member today (on hold, ended or not yet started).
    NotCertifiedOnRequestDate,
    /// The consumer only phoned.
    ComplaintOnlyByPhone,
    /// The consumer has not complained at all.
    NoWrittenComplaint,
    /// The contract date is after the written complaint.
    ContractAfterComplaint,
    /// A date lies after today.
    DateInFuture,
    /// The provider's final answer is dated before the written complaint.
    FinalAnswerBeforeComplaint,
    /// The provider's answer period is still running.
    WaitingPeriodRunning {
        /// The first day the consumer may file.
        earliest_filing: NaiveDate,
    },
    /// The answer period starts with the written complaint, which has not been sent.
    WaitingPeriodNotStarted {
        /// The first day to file if the complaint is sent today.
        earliest_filing: NaiveDate,
    },
    /// The filing limit has passed.
    FilingLimitPassed {
        /// The last day on which filing was possible.
        deadline: NaiveDate,
    },
    /// The claimed amount is negative.
    NegativeClaim,
    /// The claim is below the scheme's minimum.
    ClaimBelowMinimum {
        /// The minimum, in cents.
        minimum_cents: i64,
    },
    /// The claim is above the scheme's maximum.
    ClaimAboveMaximum {
        /// The maximum, in cents.
        maximum_cents: i64,
    },
    /// A court or another body is handling the dispute.
    BeforeCourt,
}

impl ReasonCode {
    /// The stable snake_case code (without its data), for translation keys and reporting per ground.
    pub const fn code(self) -> &'static str {
        match self {
            ReasonCode::IsConsumer => "is_consumer",
            ReasonCode::CompanyInScope => "company_in_scope",
            ReasonCode::ProviderInRegistry => "provider_in_registry",
            ReasonCode::MemberOnContractDate => "member_on_contract_date",
            ReasonCode::CertifiedOnRequestDate => "certified_on_request_date",
            ReasonCode::ComplainedInWriting => "complained_in_writing",
            ReasonCode::AnswerPeriodOver => "answer_period_over",
            ReasonCode::ProviderGaveFinalAnswer => "provider_gave_final_answer",
            ReasonCode::FilingClockNotStarted => "filing_clock_not_started",
            ReasonCode::FiledInTime => "filed_in_time",
            ReasonCode::ClaimWithinLimits => "claim_within_limits",
            ReasonCode::NoClaimLimits => "no_claim_limits",
            ReasonCode::NoOtherProcedure => "no_other_procedure",
            ReasonCode::AnswerMissing => "answer_missing",
            ReasonCode::AnswerInvalid => "answer_invalid",
            ReasonCode::SchemeNotDetermined => "scheme_not_determined",
            ReasonCode::SchemeRulesMissing => "scheme_rules_missing",
            ReasonCode::BusinessApplicant => "business_applicant",
            ReasonCode::Government => "government",
            ReasonCode::ForeignCompany => "foreign_company",
            ReasonCode::ProviderNotInRegistry => "provider_not_in_registry",
            ReasonCode::NoMembershipForSubject => "no_membership_for_subject",
            ReasonCode::MembershipStartedAfterContract => "membership_started_after_contract",
            ReasonCode::MembershipEndedBeforeContract => "membership_ended_before_contract",
            ReasonCode::NotCertifiedOnRequestDate => "not_certified_on_request_date",
            ReasonCode::ComplaintOnlyByPhone => "complaint_only_by_phone",
            ReasonCode::NoWrittenComplaint => "no_written_complaint",
            ReasonCode::ContractAfterComplaint => "contract_after_complaint",
            ReasonCode::DateInFuture => "date_in_future",
            ReasonCode::FinalAnswerBeforeComplaint => "final_answer_before_complaint",
            ReasonCode::WaitingPeriodRunning { .. } => "waiting_period_running",
            ReasonCode::WaitingPeriodNotStarted { .. } => "waiting_period_not_started",
            ReasonCode::FilingLimitPassed { .. } => "filing_limit_passed",
            ReasonCode::NegativeClaim => "negative_claim",
            ReasonCode::ClaimBelowMinimum { .. } => "claim_below_minimum",
            ReasonCode::ClaimAboveMaximum { .. } => "claim_above_maximum",
            ReasonCode::BeforeCourt => "before_court",
        }
    }

    /// Whether this failure goes away by writing to the provider or by waiting: the cases in which the
    /// portal prepares a complaint letter instead of refusing.
    pub const fn is_cured_by_writing_or_waiting(self) -> bool {
        matches!(
            self,
            ReasonCode::ComplaintOnlyByPhone
                | ReasonCode::NoWrittenComplaint
                | ReasonCode::WaitingPeriodRunning { .. }
                | ReasonCode::WaitingPeriodNotStarted { .. }
        )
    }
}

/// What the consumer should do about a check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NextStep {
    /// Send the provider a written (ideally registered) complaint; the portal can prepare it.
    WriteComplaintLetter,
    /// Wait until this day, then file.
    WaitUntil(NaiveDate),
    /// Go to the Nationale Ombudsman.
    ReferToNationaleOmbudsman,
    /// Go to the European Consumer Centre (ECC Nederland).
    ReferToEcc,
    /// Go to the business commissions.
    ReferToBusinessCommission,
    /// No scheme can take it: the court remains.
    ReferToCourt,
    /// Complain to the provider first (never contacted); the portal can prepare the letter.
    ContactProviderFirst,
    /// File the case.
    FileCase,
    /// The scheme can only forward the complaint to the member; no mediation.
    ForwardOnly,
    /// Answer (or correct) the question this check needs.
    AnswerQuestion,
    /// Nothing to do for this check.
    None,
}

impl NextStep {
    /// The stable code (without its date).
    pub const fn code(self) -> &'static str {
        match self {
            NextStep::WriteComplaintLetter => "write_complaint_letter",
            NextStep::WaitUntil(_) => "wait_until",
            NextStep::ReferToNationaleOmbudsman => "refer_to_nationale_ombudsman",
            NextStep::ReferToEcc => "refer_to_ecc",
            NextStep::ReferToBusinessCommission => "refer_to_business_commission",
            NextStep::ReferToCourt => "refer_to_court",
            NextStep::ContactProviderFirst => "contact_provider_first",
            NextStep::FileCase => "file_case",
            NextStep::ForwardOnly => "forward_only",
            NextStep::AnswerQuestion => "answer_question",
            NextStep::None => "none",
        }
    }
}

/// What a date in a check's explanation stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateRole {
    /// The contract date the consumer gave.
    ContractDate,
    /// Today, as the day of the request.
    RequestDate,
    /// First day of the membership the check looked at.
    MembershipFrom,
    /// Last day of that membership.
    MembershipUntil,
    /// The day of the written complaint.
    WrittenComplaint,
    /// The day of the provider's final answer.
    FinalAnswer,
    /// The first day the consumer may file.
    EarliestFiling,
    /// The last day the consumer may file.
    FilingDeadline,
}

impl DateRole {
    /// The stable code of the role.
    pub const fn as_str(self) -> &'static str {
        match self {
            DateRole::ContractDate => "contract_date",
            DateRole::RequestDate => "request_date",
            DateRole::MembershipFrom => "membership_from",
            DateRole::MembershipUntil => "membership_until",
            DateRole::WrittenComplaint => "written_complaint",
            DateRole::FinalAnswer => "final_answer",
            DateRole::EarliestFiling => "earliest_filing",
            DateRole::FilingDeadline => "filing_deadline",
        }
    }
}

/// The result of one check, with everything its explanation needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Which check.
    pub check: CheckKind,
    /// Passed, failed or unknown.
    pub outcome: CheckOutcome,
    /// Why.
    pub reason: ReasonCode,
    /// What the consumer should do.
    pub next_step: NextStep,
    /// The dates the explanation mentions.
    pub dates: Vec<(DateRole, NaiveDate)>,
}

/// Where the complaint goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    /// A scheme of the portal whose rules were applied; the verdict says whether a case may be filed.
    Scheme {
        /// The scheme.
        scheme_id: i64,
        /// Its kind.
        kind: SchemeKind,
    },
    /// The member is not certified today: the scheme may forward the complaint, without mediation.
    ForwardOnly {
        /// The scheme that forwards.
        scheme_id: i64,
    },
    /// Complaints about public bodies.
    NationaleOmbudsman,
    /// Complaints about foreign companies.
    EuropeanConsumerCentre,
    /// Complaints by businesses.
    BusinessCommission,
    /// No scheme of the portal can take it (provider unknown or not affiliated for this subject).
    NoScheme,
    /// Not enough answers to route yet.
    Undetermined,
}

impl Route {
    /// The stable code (without its data).
    pub const fn code(self) -> &'static str {
        match self {
            Route::Scheme { .. } => "scheme",
            Route::ForwardOnly { .. } => "forward_only",
            Route::NationaleOmbudsman => "nationale_ombudsman",
            Route::EuropeanConsumerCentre => "european_consumer_centre",
            Route::BusinessCommission => "business_commission",
            Route::NoScheme => "no_scheme",
            Route::Undetermined => "undetermined",
        }
    }
}

/// The overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every check passed: the consumer may file with this scheme.
    Eligible {
        /// The scheme to file with.
        scheme_id: i64,
    },
    /// Only a written complaint or waiting stands in the way: the portal prepares a complaint letter.
    NotYet {
        /// True when every other check passed, false when some are still unknown.
        only_needs_written_complaint_or_waiting: bool,
        /// The first day to file, when the scheme's answer period is known.
        earliest_filing: Option<NaiveDate>,
    },
    /// At least one check failed for a reason that writing or waiting does not cure.
    Ineligible,
    /// Nothing failed, but some checks still wait for answers.
    Incomplete,
}

impl Verdict {
    /// The stable code (without its data).
    pub const fn code(self) -> &'static str {
        match self {
            Verdict::Eligible { .. } => "eligible",
            Verdict::NotYet { .. } => "not_yet",
            Verdict::Ineligible => "ineligible",
            Verdict::Incomplete => "incomplete",
        }
    }
}

/// The outcome of [`check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Eligibility {
    /// The checks, each at most once, in [`CheckKind::ALL`] order. Checks against a scheme are left out
    /// when the complaint is referred elsewhere or no scheme can be found, since they have nothing to
    /// check against.
    pub checks: Vec<CheckResult>,
    /// Where the complaint goes.
    pub route: Route,
    /// The overall answer.
    pub verdict: Verdict,
}

impl Eligibility {
    /// The result of one check, if it was made.
    pub fn result(&self, kind: CheckKind) -> Option<&CheckResult> {
        self.checks.iter().find(|c| c.check == kind)
    }
}

/// Checks a complaint's admissibility on `today`.
///
/// `rules_for` gives the rules in force for a scheme id (the caller loads them); a scheme without rules
/// yields `Unknown` checks rather than a guess, because every number must come from the scheme.
pub fn check(
    answers: &IntakeAnswers,
    provider: &ProviderFacts,
    rules_for: impl Fn(i64) -> Option<SchemeRules>,
    today: NaiveDate,
) -> Eligibility {
    let mut checks = vec![consumer_check(answers), counterparty_check(answers)];
    let referral = referral(answers);
    let mut scheme: Option<(Route, SchemeLookup)> = None;
    let route = if let Some(route) = referral {
        route
    } else {
        checks.push(provider_found_check(provider));
        if provider.found {
            let choice = choose_scheme(answers, provider, &rules_for, today);
            checks.push(choice.membership);
            scheme = Some((choice.route, choice.rules));
            choice.route
        } else {
            Route::NoScheme
        }
    };

    let complaint = complaint_date(answers, today);
    checks.push(written_complaint_check(answers, today));
    if let Some((route, rules)) = &scheme
        && *route != Route::NoScheme
    {
        checks.push(provider_had_time_check(answers, complaint, rules, today));
        checks.push(filing_limit_check(complaint, rules, today));
        checks.push(claim_check(answers.claim_cents, rules));
    }
    checks.push(not_before_court_check(answers));

    let verdict = verdict(&checks, route);
    Eligibility { checks, route, verdict }
}

/// Like [`check`], while the consumer has not named the provider yet: the provider check stays unknown
/// instead of failing, and the route is undetermined (unless the answers already refer the complaint
/// elsewhere), so the wizard can show the other checks early without a false refusal.
pub fn check_without_provider(answers: &IntakeAnswers, today: NaiveDate) -> Eligibility {
    let mut eligibility = check(answers, &ProviderFacts::default(), |_| None, today);
    if referral(answers).is_none() {
        for c in &mut eligibility.checks {
            if c.check == CheckKind::ProviderFound {
                *c = result(CheckKind::ProviderFound, unknown_parts(ReasonCode::AnswerMissing));
            }
        }
        eligibility.route = Route::Undetermined;
        eligibility.verdict = verdict(&eligibility.checks, eligibility.route);
    }
    eligibility
}

/// The rules the scheme-dependent checks use, or why there are none.
#[derive(Debug, Clone)]
enum SchemeLookup {
    Known(Box<SchemeRules>),
    NotDetermined,
    Missing,
}

impl SchemeLookup {
    fn rules(&self) -> Result<&SchemeRules, CheckResultParts> {
        match self {
            SchemeLookup::Known(rules) => Ok(rules),
            SchemeLookup::NotDetermined => Err(unknown_parts(ReasonCode::SchemeNotDetermined)),
            SchemeLookup::Missing => Err(unknown_parts(ReasonCode::SchemeRulesMissing)),
        }
    }
}

/// A check result before its kind is attached, so helpers can build it for any check.
type CheckResultParts = (CheckOutcome, ReasonCode, NextStep, Vec<(DateRole, NaiveDate)>);

fn result(check: CheckKind, parts: CheckResultParts) -> CheckResult {
    let (outcome, reason, next_step, dates) = parts;
    CheckResult {
        check,
        outcome,
        reason,
        next_step,
        dates,
    }
}

fn passed(reason: ReasonCode, dates: Vec<(DateRole, NaiveDate)>) -> CheckResultParts {
    (CheckOutcome::Passed, reason, NextStep::None, dates)
}

fn failed(reason: ReasonCode, next_step: NextStep, dates: Vec<(DateRole, NaiveDate)>) -> CheckResultParts {
    (CheckOutcome::Failed, reason, next_step, dates)
}

fn unknown_parts(reason: ReasonCode) -> CheckResultParts {
    // A missing scheme or missing rules is not something the consumer can answer; a missing answer is.
    let next_step = match reason {
        ReasonCode::AnswerMissing | ReasonCode::AnswerInvalid => NextStep::AnswerQuestion,
        _ => NextStep::None,
    };
    (CheckOutcome::Unknown, reason, next_step, Vec::new())
}

/// The refer-away routes, which need no registry lookup.
fn referral(answers: &IntakeAnswers) -> Option<Route> {
    if answers.applicant_is_consumer == Some(false) {
        return Some(Route::BusinessCommission);
    }
    match answers.counterparty {
        Some(CounterpartyKind::Government) => Some(Route::NationaleOmbudsman),
        Some(CounterpartyKind::ForeignCompany) => Some(Route::EuropeanConsumerCentre),
        Some(CounterpartyKind::Company) | None => None,
    }
}

fn consumer_check(answers: &IntakeAnswers) -> CheckResult {
    let parts = match answers.applicant_is_consumer {
        None => unknown_parts(ReasonCode::AnswerMissing),
        Some(true) => passed(ReasonCode::IsConsumer, Vec::new()),
        Some(false) => failed(
            ReasonCode::BusinessApplicant,
            NextStep::ReferToBusinessCommission,
            Vec::new(),
        ),
    };
    result(CheckKind::ApplicantIsConsumer, parts)
}

fn counterparty_check(answers: &IntakeAnswers) -> CheckResult {
    let parts = match answers.counterparty {
        None => unknown_parts(ReasonCode::AnswerMissing),
        Some(CounterpartyKind::Company) => passed(ReasonCode::CompanyInScope, Vec::new()),
        Some(CounterpartyKind::Government) => {
            failed(ReasonCode::Government, NextStep::ReferToNationaleOmbudsman, Vec::new())
        }
        Some(CounterpartyKind::ForeignCompany) => failed(ReasonCode::ForeignCompany, NextStep::ReferToEcc, Vec::new()),
    };
    result(CheckKind::CounterpartyInScope, parts)
}

fn provider_found_check(provider: &ProviderFacts) -> CheckResult {
    let parts = if provider.found {
        passed(ReasonCode::ProviderInRegistry, Vec::new())
    } else {
        failed(ReasonCode::ProviderNotInRegistry, NextStep::ReferToCourt, Vec::new())
    };
    result(CheckKind::ProviderFound, parts)
}

/// The chosen scheme, the membership check that chose it, and the rules for the other checks.
struct SchemeChoice {
    route: Route,
    membership: CheckResult,
    rules: SchemeLookup,
}

/// Routes by subject to the matching kind of scheme, then checks membership on the day that scheme's rules
/// name. The first membership (in the caller's order) that qualifies wins; if none does, the first
/// candidate's scheme explains why.
fn choose_scheme(
    answers: &IntakeAnswers,
    provider: &ProviderFacts,
    rules_for: &impl Fn(i64) -> Option<SchemeRules>,
    today: NaiveDate,
) -> SchemeChoice {
    let membership = |parts| result(CheckKind::MembershipOnDate, parts);
    let Some(subject) = answers.subject else {
        return SchemeChoice {
            route: Route::Undetermined,
            membership: membership(unknown_parts(ReasonCode::AnswerMissing)),
            rules: SchemeLookup::NotDetermined,
        };
    };
    let (kind, covers) = match subject {
        Subject::Services => (SchemeKind::BindingAdvice, Coverage::Services),
        Subject::DeliveredProduct => (SchemeKind::Mediation, Coverage::Products),
    };
    let candidates: Vec<&MembershipFact> = provider
        .memberships
        .iter()
        .filter(|m| m.scheme_kind == kind && m.scheme_covers == covers)
        .collect();
    let Some(first) = candidates.first() else {
        return SchemeChoice {
            route: Route::NoScheme,
            membership: membership(failed(
                ReasonCode::NoMembershipForSubject,
                NextStep::ReferToCourt,
                Vec::new(),
            )),
            rules: SchemeLookup::NotDetermined,
        };
    };

    for m in &candidates {
        let Some(rules) = rules_for(m.scheme_id) else {
            continue;
        };
        let (qualifies, reason, role, date) = match rules.membership_date_basis {
            MembershipDateBasis::ContractDate => match answers.contract_date {
                Some(cd) if cd <= today => (
                    m.valid_on(cd),
                    ReasonCode::MemberOnContractDate,
                    DateRole::ContractDate,
                    cd,
                ),
                _ => continue,
            },
            MembershipDateBasis::RequestDate => (
                m.valid_on(today) && m.status == MembershipStatus::Certified,
                ReasonCode::CertifiedOnRequestDate,
                DateRole::RequestDate,
                today,
            ),
        };
        if qualifies {
            let mut dates = vec![(role, date)];
            dates.extend(membership_dates(m));
            return SchemeChoice {
                route: Route::Scheme {
                    scheme_id: m.scheme_id,
                    kind,
                },
                membership: membership(passed(reason, dates)),
                rules: SchemeLookup::Known(Box::new(rules)),
            };
        }
    }

    let scheme_id = first.scheme_id;
    let records: Vec<&MembershipFact> = candidates
        .iter()
        .copied()
        .filter(|m| m.scheme_id == scheme_id)
        .collect();
    let route = Route::Scheme { scheme_id, kind };
    let Some(rules) = rules_for(scheme_id) else {
        return SchemeChoice {
            route,
            membership: membership(unknown_parts(ReasonCode::SchemeRulesMissing)),
            rules: SchemeLookup::Missing,
        };
    };
    let (route, parts) = match rules.membership_date_basis {
        MembershipDateBasis::ContractDate => match answers.contract_date {
            None => (route, unknown_parts(ReasonCode::AnswerMissing)),
            Some(cd) if cd > today => (
                route,
                failed(
                    ReasonCode::DateInFuture,
                    NextStep::AnswerQuestion,
                    vec![(DateRole::ContractDate, cd)],
                ),
            ),
            Some(cd) => (route, explain_contract_date_gap(&records, cd)),
        },
        MembershipDateBasis::RequestDate => {
            let mut dates = vec![(DateRole::RequestDate, today)];
            if let Some(m) = nearest_record(&records, today) {
                dates.extend(membership_dates(m));
            }
            (
                Route::ForwardOnly { scheme_id },
                failed(ReasonCode::NotCertifiedOnRequestDate, NextStep::ForwardOnly, dates),
            )
        }
    };
    SchemeChoice {
        route,
        membership: membership(parts),
        rules: SchemeLookup::Known(Box::new(rules)),
    }
}

fn membership_dates(m: &MembershipFact) -> Vec<(DateRole, NaiveDate)> {
    let mut dates = vec![(DateRole::MembershipFrom, m.valid_from)];
    dates.extend(m.valid_until.map(|until| (DateRole::MembershipUntil, until)));
    dates
}

/// The record that best explains membership on `date`: one valid that day, else the nearest one (the
/// earlier one on a tie, since "it ended" is the more common story).
fn nearest_record<'a>(records: &[&'a MembershipFact], date: NaiveDate) -> Option<&'a MembershipFact> {
    if let Some(m) = records.iter().find(|m| m.valid_on(date)) {
        return Some(m);
    }
    records.iter().copied().min_by_key(|m| {
        let distance = match m.valid_until {
            Some(until) if until < date => (date - until).num_days(),
            _ => (m.valid_from - date).num_days(),
        };
        (distance, m.valid_from > date)
    })
}

fn explain_contract_date_gap(records: &[&MembershipFact], contract: NaiveDate) -> CheckResultParts {
    let contract_date = (DateRole::ContractDate, contract);
    match nearest_record(records, contract) {
        Some(m) if m.valid_from > contract => {
            let mut dates = vec![contract_date];
            dates.extend(membership_dates(m));
            failed(
                ReasonCode::MembershipStartedAfterContract,
                NextStep::ReferToCourt,
                dates,
            )
        }
        Some(m) if !m.valid_on(contract) => {
            let mut dates = vec![contract_date];
            dates.extend(membership_dates(m));
            failed(ReasonCode::MembershipEndedBeforeContract, NextStep::ReferToCourt, dates)
        }
        // Unreachable when called after the qualifying search, but a valid record is not a gap.
        _ => failed(
            ReasonCode::NoMembershipForSubject,
            NextStep::ReferToCourt,
            vec![contract_date],
        ),
    }
}

/// The written complaint as the date checks need it.
#[derive(Debug, Clone, Copy)]
enum ComplaintDate {
    /// Phoned only or never complained: the next step the written-complaint check gives.
    NotWritten(NextStep),
    /// Channel or date not answered.
    Unknown,
    /// The date was refused by the written-complaint check.
    Invalid,
    /// A usable date.
    Valid(NaiveDate),
}

fn complaint_date(answers: &IntakeAnswers, today: NaiveDate) -> ComplaintDate {
    match written_complaint_parts(answers, today) {
        (CheckOutcome::Passed, ..) => answers
            .written_complaint_date
            .map_or(ComplaintDate::Unknown, ComplaintDate::Valid),
        (CheckOutcome::Unknown, ..) => ComplaintDate::Unknown,
        (CheckOutcome::Failed, reason, next, _) if reason.is_cured_by_writing_or_waiting() => {
            ComplaintDate::NotWritten(next)
        }
        (CheckOutcome::Failed, ..) => ComplaintDate::Invalid,
    }
}

fn written_complaint_check(answers: &IntakeAnswers, today: NaiveDate) -> CheckResult {
    result(CheckKind::WrittenComplaint, written_complaint_parts(answers, today))
}

fn written_complaint_parts(answers: &IntakeAnswers, today: NaiveDate) -> CheckResultParts {
    match answers.written_complaint_channel {
        None => unknown_parts(ReasonCode::AnswerMissing),
        Some(ComplaintChannel::PhoneOnly) => failed(
            ReasonCode::ComplaintOnlyByPhone,
            NextStep::WriteComplaintLetter,
            Vec::new(),
        ),
        Some(ComplaintChannel::None) => failed(
            ReasonCode::NoWrittenComplaint,
            NextStep::ContactProviderFirst,
            Vec::new(),
        ),
        Some(_) => match answers.written_complaint_date {
            None => unknown_parts(ReasonCode::AnswerMissing),
            Some(wd) if wd > today => failed(
                ReasonCode::DateInFuture,
                NextStep::AnswerQuestion,
                vec![(DateRole::WrittenComplaint, wd)],
            ),
            Some(wd) => match answers.contract_date {
                Some(cd) if cd > wd => failed(
                    ReasonCode::ContractAfterComplaint,
                    NextStep::AnswerQuestion,
                    vec![(DateRole::ContractDate, cd), (DateRole::WrittenComplaint, wd)],
                ),
                _ => passed(ReasonCode::ComplainedInWriting, vec![(DateRole::WrittenComplaint, wd)]),
            },
        },
    }
}

fn provider_had_time_check(
    answers: &IntakeAnswers,
    complaint: ComplaintDate,
    rules: &SchemeLookup,
    today: NaiveDate,
) -> CheckResult {
    let answer_period =
        |rules: &SchemeLookup| -> Result<Period, CheckResultParts> { rules.rules().map(|r| r.provider_answer_period) };
    let parts = match complaint {
        ComplaintDate::Unknown => unknown_parts(ReasonCode::AnswerMissing),
        ComplaintDate::Invalid => unknown_parts(ReasonCode::AnswerInvalid),
        ComplaintDate::NotWritten(next_step) => match answer_period(rules) {
            Err(parts) => parts,
            Ok(period) => {
                // The period starts with the letter; if it goes today, this is the first filing day.
                let earliest_filing = period.add_to(today);
                failed(
                    ReasonCode::WaitingPeriodNotStarted { earliest_filing },
                    next_step,
                    vec![(DateRole::EarliestFiling, earliest_filing)],
                )
            }
        },
        ComplaintDate::Valid(wd) => match answers.provider_final_answer_date {
            Some(fa) if fa > today => failed(
                ReasonCode::DateInFuture,
                NextStep::AnswerQuestion,
                vec![(DateRole::FinalAnswer, fa)],
            ),
            Some(fa) if fa < wd => failed(
                ReasonCode::FinalAnswerBeforeComplaint,
                NextStep::AnswerQuestion,
                vec![(DateRole::WrittenComplaint, wd), (DateRole::FinalAnswer, fa)],
            ),
            Some(fa) => passed(
                ReasonCode::ProviderGaveFinalAnswer,
                vec![(DateRole::WrittenComplaint, wd), (DateRole::FinalAnswer, fa)],
            ),
            None => match answer_period(rules) {
                Err(parts) => parts,
                Ok(period) => {
                    let earliest_filing = period.add_to(wd);
                    let dates = vec![
                        (DateRole::WrittenComplaint, wd),
                        (DateRole::EarliestFiling, earliest_filing),
                    ];
                    if today >= earliest_filing {
                        passed(ReasonCode::AnswerPeriodOver, dates)
                    } else {
                        failed(
                            ReasonCode::WaitingPeriodRunning { earliest_filing },
                            NextStep::WaitUntil(earliest_filing),
                            dates,
                        )
                    }
                }
            },
        },
    };
    result(CheckKind::ProviderHadTime, parts)
}

fn filing_limit_check(complaint: ComplaintDate, rules: &SchemeLookup, today: NaiveDate) -> CheckResult {
    let parts = match complaint {
        ComplaintDate::Unknown => unknown_parts(ReasonCode::AnswerMissing),
        ComplaintDate::Invalid => unknown_parts(ReasonCode::AnswerInvalid),
        ComplaintDate::NotWritten(_) => passed(ReasonCode::FilingClockNotStarted, Vec::new()),
        ComplaintDate::Valid(wd) => match rules.rules() {
            Err(parts) => parts,
            Ok(rules) => {
                let deadline = rules.filing_limit.add_to(wd);
                let dates = vec![(DateRole::WrittenComplaint, wd), (DateRole::FilingDeadline, deadline)];
                // The last day of the limit is still in time.
                if today <= deadline {
                    passed(ReasonCode::FiledInTime, dates)
                } else {
                    failed(
                        ReasonCode::FilingLimitPassed { deadline },
                        NextStep::ReferToCourt,
                        dates,
                    )
                }
            }
        },
    };
    result(CheckKind::WithinFilingLimit, parts)
}

fn claim_check(claim: Option<i64>, rules: &SchemeLookup) -> CheckResult {
    let parts = match (claim, rules.rules()) {
        (Some(c), _) if c < 0 => failed(ReasonCode::NegativeClaim, NextStep::AnswerQuestion, Vec::new()),
        (_, Err(parts)) => parts,
        (claim, Ok(rules)) => match (rules.min_claim_cents, rules.max_claim_cents, claim) {
            (None, None, _) => passed(ReasonCode::NoClaimLimits, Vec::new()),
            (_, _, None) => unknown_parts(ReasonCode::AnswerMissing),
            (Some(minimum_cents), _, Some(c)) if c < minimum_cents => failed(
                ReasonCode::ClaimBelowMinimum { minimum_cents },
                NextStep::ReferToCourt,
                Vec::new(),
            ),
            (_, Some(maximum_cents), Some(c)) if c > maximum_cents => failed(
                ReasonCode::ClaimAboveMaximum { maximum_cents },
                NextStep::ReferToCourt,
                Vec::new(),
            ),
            _ => passed(ReasonCode::ClaimWithinLimits, Vec::new()),
        },
    };
    result(CheckKind::ClaimWithinLimits, parts)
}

fn not_before_court_check(answers: &IntakeAnswers) -> CheckResult {
    let parts = match answers.before_court_or_other_body {
        None => unknown_parts(ReasonCode::AnswerMissing),
        Some(false) => passed(ReasonCode::NoOtherProcedure, Vec::new()),
        // The dispute simply continues where it already is.
        Some(true) => failed(ReasonCode::BeforeCourt, NextStep::None, Vec::new()),
    };
    result(CheckKind::NotBeforeCourt, parts)
}

fn verdict(checks: &[CheckResult], route: Route) -> Verdict {
    let mut failures = checks.iter().filter(|c| c.outcome == CheckOutcome::Failed).peekable();
    let any_unknown = checks.iter().any(|c| c.outcome == CheckOutcome::Unknown);
    if failures.peek().is_some() {
        if failures.all(|c| c.reason.is_cured_by_writing_or_waiting()) {
            let earliest_filing = checks.iter().find_map(|c| match c.reason {
                ReasonCode::WaitingPeriodRunning { earliest_filing }
                | ReasonCode::WaitingPeriodNotStarted { earliest_filing } => Some(earliest_filing),
                _ => None,
            });
            return Verdict::NotYet {
                only_needs_written_complaint_or_waiting: !any_unknown,
                earliest_filing,
            };
        }
        return Verdict::Ineligible;
    }
    if any_unknown {
        return Verdict::Incomplete;
    }
    match route {
        Route::Scheme { scheme_id, .. } => Verdict::Eligible { scheme_id },
        // Every check passed without a scheme route cannot happen; refusing is the safe answer.
        _ => Verdict::Ineligible,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TELECOM: i64 = 1;
    const ICT: i64 = 2;
    const NO_RULES: i64 = 99;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn rules_for(id: i64) -> Option<SchemeRules> {
        match id {
            TELECOM => Some(SchemeRules::commission_defaults()),
            ICT => Some(SchemeRules::mediation_defaults()),
            _ => None,
        }
    }

    fn telecom(from: NaiveDate, until: Option<NaiveDate>) -> MembershipFact {
        MembershipFact {
            scheme_id: TELECOM,
            scheme_covers: Coverage::Services,
            scheme_kind: SchemeKind::BindingAdvice,
            valid_from: from,
            valid_until: until,
            status: if until.is_some() {
                MembershipStatus::Ended
            } else {
                MembershipStatus::Certified
            },
        }
    }

    fn ict(from: NaiveDate, until: Option<NaiveDate>, status: MembershipStatus) -> MembershipFact {
        MembershipFact {
            scheme_id: ICT,
            scheme_covers: Coverage::Products,
            scheme_kind: SchemeKind::Mediation,
            valid_from: from,
            valid_until: until,
            status,
        }
    }

    fn provider(memberships: Vec<MembershipFact>) -> ProviderFacts {
        ProviderFacts {
            found: true,
            memberships,
        }
    }

    /// An ISP, telecom member since 2015.
    fn isp() -> ProviderFacts {
        provider(vec![telecom(d(2015, 1, 1), None)])
    }

    /// A complete, admissible set of answers about a service; complaint sent on 10 January 2024.
    fn answers() -> IntakeAnswers {
        IntakeAnswers {
            subject: Some(Subject::Services),
            counterparty: Some(CounterpartyKind::Company),
            applicant_is_consumer: Some(true),
            contract_date: Some(d(2023, 3, 1)),
            written_complaint_date: Some(d(2024, 1, 10)),
            written_complaint_channel: Some(ComplaintChannel::RegisteredLetter),
            provider_final_answer_date: None,
            claim_cents: Some(20_000),
            before_court_or_other_body: Some(false),
        }
    }

    fn run(answers: &IntakeAnswers, provider: &ProviderFacts, today: NaiveDate) -> Eligibility {
        check(answers, provider, rules_for, today)
    }

    fn outcome(e: &Eligibility, kind: CheckKind) -> (CheckOutcome, ReasonCode) {
        let r = e.result(kind).unwrap_or_else(|| panic!("{kind:?} missing"));
        (r.outcome, r.reason)
    }

    fn kinds(e: &Eligibility) -> Vec<CheckKind> {
        e.checks.iter().map(|c| c.check).collect()
    }

    #[test]
    fn seed_a_an_isp_that_ignored_a_registered_letter_for_five_weeks_can_be_taken_to_the_telecom_commission() {
        let today = d(2024, 2, 14); // 35 days after 10 January
        let e = run(&answers(), &isp(), today);
        assert_eq!(e.verdict, Verdict::Eligible { scheme_id: TELECOM });
        assert_eq!(
            e.route,
            Route::Scheme {
                scheme_id: TELECOM,
                kind: SchemeKind::BindingAdvice
            }
        );
        assert_eq!(kinds(&e), CheckKind::ALL.to_vec());
        assert!(
            e.checks
                .iter()
                .all(|c| c.outcome == CheckOutcome::Passed && c.next_step == NextStep::None)
        );
        let time = e.result(CheckKind::ProviderHadTime).unwrap();
        assert_eq!(time.reason, ReasonCode::AnswerPeriodOver);
        assert_eq!(
            time.dates,
            vec![
                (DateRole::WrittenComplaint, d(2024, 1, 10)),
                (DateRole::EarliestFiling, d(2024, 2, 7))
            ]
        );
        let limit = e.result(CheckKind::WithinFilingLimit).unwrap();
        assert_eq!(limit.dates[1], (DateRole::FilingDeadline, d(2025, 1, 10)));
    }

    #[test]
    fn seed_b_a_consumer_who_only_phoned_is_asked_to_write_a_complaint_letter_first() {
        let today = d(2024, 2, 14);
        let a = IntakeAnswers {
            written_complaint_channel: Some(ComplaintChannel::PhoneOnly),
            written_complaint_date: None,
            ..answers()
        };
        let e = run(&a, &isp(), today);
        let written = e.result(CheckKind::WrittenComplaint).unwrap();
        assert_eq!(written.outcome, CheckOutcome::Failed);
        assert_eq!(written.reason, ReasonCode::ComplaintOnlyByPhone);
        assert_eq!(written.next_step, NextStep::WriteComplaintLetter);
        let earliest = d(2024, 3, 13);
        assert_eq!(
            outcome(&e, CheckKind::ProviderHadTime),
            (
                CheckOutcome::Failed,
                ReasonCode::WaitingPeriodNotStarted {
                    earliest_filing: earliest
                }
            )
        );
        assert_eq!(
            outcome(&e, CheckKind::WithinFilingLimit),
            (CheckOutcome::Passed, ReasonCode::FilingClockNotStarted)
        );
        assert_eq!(
            e.verdict,
            Verdict::NotYet {
                only_needs_written_complaint_or_waiting: true,
                earliest_filing: Some(earliest)
            }
        );
    }

    #[test]
    fn a_consumer_who_never_complained_is_told_to_contact_the_provider_first() {
        let a = IntakeAnswers {
            written_complaint_channel: Some(ComplaintChannel::None),
            written_complaint_date: None,
            ..answers()
        };
        let e = run(&a, &isp(), d(2024, 2, 14));
        let written = e.result(CheckKind::WrittenComplaint).unwrap();
        assert_eq!(written.reason, ReasonCode::NoWrittenComplaint);
        assert_eq!(written.next_step, NextStep::ContactProviderFirst);
        assert_eq!(
            e.result(CheckKind::ProviderHadTime).unwrap().next_step,
            NextStep::ContactProviderFirst
        );
        assert!(matches!(
            e.verdict,
            Verdict::NotYet {
                only_needs_written_complaint_or_waiting: true,
                ..
            }
        ));
    }

    #[test]
    fn seed_c_a_provider_that_joined_after_the_contract_date_is_refused_with_both_dates() {
        let p = provider(vec![telecom(d(2023, 6, 1), None)]);
        let e = run(&answers(), &p, d(2024, 2, 14));
        let m = e.result(CheckKind::MembershipOnDate).unwrap();
        assert_eq!(m.outcome, CheckOutcome::Failed);
        assert_eq!(m.reason, ReasonCode::MembershipStartedAfterContract);
        assert_eq!(m.next_step, NextStep::ReferToCourt);
        assert_eq!(
            m.dates,
            vec![
                (DateRole::ContractDate, d(2023, 3, 1)),
                (DateRole::MembershipFrom, d(2023, 6, 1))
            ]
        );
        assert_eq!(e.verdict, Verdict::Ineligible);
    }

    #[test]
    fn seed_d_a_delivered_product_from_a_certified_ictwaarborg_member_goes_to_mediation() {
        let today = d(2024, 2, 14);
        let p = provider(vec![
            telecom(d(2015, 1, 1), None),
            ict(d(2020, 1, 1), None, MembershipStatus::Certified),
        ]);
        let a = IntakeAnswers {
            subject: Some(Subject::DeliveredProduct),
            ..answers()
        };
        let e = run(&a, &p, today);
        assert_eq!(
            e.route,
            Route::Scheme {
                scheme_id: ICT,
                kind: SchemeKind::Mediation
            }
        );
        assert_eq!(e.verdict, Verdict::Eligible { scheme_id: ICT });
        let m = e.result(CheckKind::MembershipOnDate).unwrap();
        assert_eq!(m.reason, ReasonCode::CertifiedOnRequestDate);
        assert_eq!(m.dates[0], (DateRole::RequestDate, today));
    }

    #[test]
    fn seed_e_a_complaint_about_a_municipality_is_referred_to_the_nationale_ombudsman() {
        let a = IntakeAnswers {
            counterparty: Some(CounterpartyKind::Government),
            ..answers()
        };
        let e = run(&a, &ProviderFacts::default(), d(2024, 2, 14));
        assert_eq!(e.route, Route::NationaleOmbudsman);
        assert_eq!(e.verdict, Verdict::Ineligible);
        let c = e.result(CheckKind::CounterpartyInScope).unwrap();
        assert_eq!((c.outcome, c.reason), (CheckOutcome::Failed, ReasonCode::Government));
        assert_eq!(c.next_step, NextStep::ReferToNationaleOmbudsman);
        // No registry lookups for a body that is not in the registry.
        assert_eq!(
            kinds(&e),
            vec![
                CheckKind::ApplicantIsConsumer,
                CheckKind::CounterpartyInScope,
                CheckKind::WrittenComplaint,
                CheckKind::NotBeforeCourt
            ]
        );
    }

    #[test]
    fn a_foreign_company_is_referred_to_the_european_consumer_centre() {
        let a = IntakeAnswers {
            counterparty: Some(CounterpartyKind::ForeignCompany),
            ..answers()
        };
        let e = run(&a, &isp(), d(2024, 2, 14));
        assert_eq!(e.route, Route::EuropeanConsumerCentre);
        assert_eq!(
            e.result(CheckKind::CounterpartyInScope).unwrap().next_step,
            NextStep::ReferToEcc
        );
        assert_eq!(e.verdict, Verdict::Ineligible);
    }

    #[test]
    fn a_business_applicant_is_referred_to_the_business_commissions() {
        let a = IntakeAnswers {
            applicant_is_consumer: Some(false),
            ..answers()
        };
        let e = run(&a, &isp(), d(2024, 2, 14));
        assert_eq!(e.route, Route::BusinessCommission);
        let c = e.result(CheckKind::ApplicantIsConsumer).unwrap();
        assert_eq!(c.reason, ReasonCode::BusinessApplicant);
        assert_eq!(c.next_step, NextStep::ReferToBusinessCommission);
        assert_eq!(e.verdict, Verdict::Ineligible);
    }

    #[test]
    fn filing_is_allowed_exactly_four_weeks_after_the_written_complaint() {
        let e = run(&answers(), &isp(), d(2024, 2, 7));
        assert_eq!(
            outcome(&e, CheckKind::ProviderHadTime),
            (CheckOutcome::Passed, ReasonCode::AnswerPeriodOver)
        );
        assert_eq!(e.verdict, Verdict::Eligible { scheme_id: TELECOM });
    }

    #[test]
    fn filing_one_day_before_four_weeks_must_wait_until_the_next_day() {
        let earliest = d(2024, 2, 7);
        let e = run(&answers(), &isp(), d(2024, 2, 6));
        let r = e.result(CheckKind::ProviderHadTime).unwrap();
        assert_eq!(
            r.reason,
            ReasonCode::WaitingPeriodRunning {
                earliest_filing: earliest
            }
        );
        assert_eq!(r.next_step, NextStep::WaitUntil(earliest));
        assert_eq!(
            e.verdict,
            Verdict::NotYet {
                only_needs_written_complaint_or_waiting: true,
                earliest_filing: Some(earliest)
            }
        );
    }

    #[test]
    fn the_four_week_wait_crosses_a_leap_day() {
        let a = IntakeAnswers {
            written_complaint_date: Some(d(2024, 2, 10)),
            ..answers()
        };
        assert_eq!(
            run(&a, &isp(), d(2024, 3, 9)).verdict,
            Verdict::Eligible { scheme_id: TELECOM }
        );
        assert_eq!(
            outcome(&run(&a, &isp(), d(2024, 3, 8)), CheckKind::ProviderHadTime).1,
            ReasonCode::WaitingPeriodRunning {
                earliest_filing: d(2024, 3, 9)
            }
        );
    }

    #[test]
    fn a_final_answer_from_the_provider_allows_filing_at_once() {
        let a = IntakeAnswers {
            written_complaint_date: Some(d(2024, 2, 12)),
            provider_final_answer_date: Some(d(2024, 2, 14)),
            ..answers()
        };
        let e = run(&a, &isp(), d(2024, 2, 14));
        assert_eq!(
            outcome(&e, CheckKind::ProviderHadTime),
            (CheckOutcome::Passed, ReasonCode::ProviderGaveFinalAnswer)
        );
        assert_eq!(e.verdict, Verdict::Eligible { scheme_id: TELECOM });
        // A final answer on the day of the complaint also counts.
        let same_day = IntakeAnswers {
            provider_final_answer_date: Some(d(2024, 2, 12)),
            ..a.clone()
        };
        assert_eq!(
            run(&same_day, &isp(), d(2024, 2, 12)).verdict,
            Verdict::Eligible { scheme_id: TELECOM }
        );
    }

    #[test]
    fn a_final_answer_dated_in_the_future_or_before_the_complaint_is_refused() {
        let future = IntakeAnswers {
            provider_final_answer_date: Some(d(2024, 2, 15)),
            ..answers()
        };
        let e = run(&future, &isp(), d(2024, 2, 14));
        let r = e.result(CheckKind::ProviderHadTime).unwrap();
        assert_eq!(
            (r.reason, r.next_step),
            (ReasonCode::DateInFuture, NextStep::AnswerQuestion)
        );
        assert_eq!(r.dates, vec![(DateRole::FinalAnswer, d(2024, 2, 15))]);
        assert_eq!(e.verdict, Verdict::Ineligible);
        let before = IntakeAnswers {
            provider_final_answer_date: Some(d(2024, 1, 9)),
            ..answers()
        };
        assert_eq!(
            outcome(&run(&before, &isp(), d(2024, 2, 14)), CheckKind::ProviderHadTime).1,
            ReasonCode::FinalAnswerBeforeComplaint
        );
    }

    #[test]
    fn filing_is_allowed_on_the_last_day_of_the_twelve_month_limit() {
        let a = IntakeAnswers {
            contract_date: Some(d(2022, 6, 1)),
            written_complaint_date: Some(d(2023, 2, 20)),
            ..answers()
        };
        let e = run(&a, &isp(), d(2024, 2, 20));
        let r = e.result(CheckKind::WithinFilingLimit).unwrap();
        assert_eq!(r.reason, ReasonCode::FiledInTime);
        assert_eq!(r.dates[1], (DateRole::FilingDeadline, d(2024, 2, 20)));
        assert_eq!(e.verdict, Verdict::Eligible { scheme_id: TELECOM });
        assert_eq!(
            run(&a, &isp(), d(2024, 2, 19)).verdict,
            Verdict::Eligible { scheme_id: TELECOM }
        );
    }

    #[test]
    fn filing_is_refused_one_day_after_the_twelve_month_limit() {
        let a = IntakeAnswers {
            contract_date: Some(d(2022, 6, 1)),
            written_complaint_date: Some(d(2023, 2, 20)),
            ..answers()
        };
        let e = run(&a, &isp(), d(2024, 2, 21));
        let r = e.result(CheckKind::WithinFilingLimit).unwrap();
        assert_eq!(r.outcome, CheckOutcome::Failed);
        assert_eq!(
            r.reason,
            ReasonCode::FilingLimitPassed {
                deadline: d(2024, 2, 20)
            }
        );
        assert_eq!(r.next_step, NextStep::ReferToCourt);
        assert_eq!(e.verdict, Verdict::Ineligible);
    }

    #[test]
    fn the_filing_limit_after_a_leap_day_complaint_ends_on_the_twenty_eighth_of_february() {
        let a = IntakeAnswers {
            contract_date: Some(d(2024, 1, 1)),
            written_complaint_date: Some(d(2024, 2, 29)),
            ..answers()
        };
        assert_eq!(
            outcome(&run(&a, &isp(), d(2025, 2, 28)), CheckKind::WithinFilingLimit).1,
            ReasonCode::FiledInTime
        );
        assert_eq!(
            outcome(&run(&a, &isp(), d(2025, 3, 1)), CheckKind::WithinFilingLimit).1,
            ReasonCode::FilingLimitPassed {
                deadline: d(2025, 2, 28)
            }
        );
    }

    #[test]
    fn the_filing_limit_after_a_complaint_on_a_month_end_keeps_the_month_end() {
        let a = IntakeAnswers {
            written_complaint_date: Some(d(2023, 3, 31)),
            ..answers()
        };
        assert_eq!(
            outcome(&run(&a, &isp(), d(2024, 3, 31)), CheckKind::WithinFilingLimit).1,
            ReasonCode::FiledInTime
        );
        assert_eq!(
            outcome(&run(&a, &isp(), d(2024, 4, 1)), CheckKind::WithinFilingLimit).1,
            ReasonCode::FilingLimitPassed {
                deadline: d(2024, 3, 31)
            }
        );
    }

    #[test]
    fn a_contract_concluded_on_the_first_day_of_membership_is_covered() {
        let p = provider(vec![telecom(d(2023, 3, 1), None)]);
        let e = run(&answers(), &p, d(2024, 2, 14));
        let m = e.result(CheckKind::MembershipOnDate).unwrap();
        assert_eq!(m.reason, ReasonCode::MemberOnContractDate);
        assert_eq!(
            m.dates,
            vec![
                (DateRole::ContractDate, d(2023, 3, 1)),
                (DateRole::MembershipFrom, d(2023, 3, 1))
            ]
        );
        assert_eq!(e.verdict, Verdict::Eligible { scheme_id: TELECOM });
    }

    #[test]
    fn a_contract_concluded_the_day_before_membership_started_is_not_covered() {
        let p = provider(vec![telecom(d(2023, 3, 2), None)]);
        let e = run(&answers(), &p, d(2024, 2, 14));
        assert_eq!(
            outcome(&e, CheckKind::MembershipOnDate),
            (CheckOutcome::Failed, ReasonCode::MembershipStartedAfterContract)
        );
    }

    #[test]
    fn a_contract_concluded_on_the_last_day_of_membership_is_covered_even_after_the_provider_left() {
        let p = provider(vec![telecom(d(2015, 1, 1), Some(d(2023, 3, 1)))]);
        let e = run(&answers(), &p, d(2024, 2, 14));
        assert_eq!(
            outcome(&e, CheckKind::MembershipOnDate).1,
            ReasonCode::MemberOnContractDate
        );
        assert_eq!(e.verdict, Verdict::Eligible { scheme_id: TELECOM });
    }

    #[test]
    fn a_contract_concluded_the_day_after_membership_ended_is_refused_with_the_membership_dates() {
        let p = provider(vec![telecom(d(2015, 1, 1), Some(d(2023, 2, 28)))]);
        let e = run(&answers(), &p, d(2024, 2, 14));
        let m = e.result(CheckKind::MembershipOnDate).unwrap();
        assert_eq!(m.reason, ReasonCode::MembershipEndedBeforeContract);
        assert_eq!(
            m.dates,
            vec![
                (DateRole::ContractDate, d(2023, 3, 1)),
                (DateRole::MembershipFrom, d(2015, 1, 1)),
                (DateRole::MembershipUntil, d(2023, 2, 28))
            ]
        );
        assert_eq!(e.verdict, Verdict::Ineligible);
    }

    #[test]
    fn a_contract_in_a_gap_between_two_memberships_is_explained_by_the_nearer_one() {
        let p = provider(vec![
            telecom(d(2015, 1, 1), Some(d(2023, 1, 31))),
            telecom(d(2023, 3, 5), None),
        ]);
        let e = run(&answers(), &p, d(2024, 2, 14));
        let m = e.result(CheckKind::MembershipOnDate).unwrap();
        assert_eq!(m.reason, ReasonCode::MembershipStartedAfterContract);
        assert_eq!(m.dates[1], (DateRole::MembershipFrom, d(2023, 3, 5)));
        let rejoined_later = provider(vec![
            telecom(d(2015, 1, 1), Some(d(2023, 2, 27))),
            telecom(d(2023, 9, 1), None),
        ]);
        let e = run(&answers(), &rejoined_later, d(2024, 2, 14));
        assert_eq!(
            outcome(&e, CheckKind::MembershipOnDate).1,
            ReasonCode::MembershipEndedBeforeContract
        );
    }

    #[test]
    fn a_second_validity_period_covering_the_contract_date_is_found() {
        let p = provider(vec![
            telecom(d(2015, 1, 1), Some(d(2020, 12, 31))),
            telecom(d(2022, 1, 1), None),
        ]);
        assert_eq!(
            run(&answers(), &p, d(2024, 2, 14)).verdict,
            Verdict::Eligible { scheme_id: TELECOM }
        );
    }

    #[test]
    fn membership_validity_is_inclusive_at_both_ends_and_may_be_open() {
        let closed = telecom(d(2024, 2, 1), Some(d(2024, 2, 29)));
        assert!(!closed.valid_on(d(2024, 1, 31)));
        assert!(closed.valid_on(d(2024, 2, 1)));
        assert!(closed.valid_on(d(2024, 2, 29)));
        assert!(!closed.valid_on(d(2024, 3, 1)));
        let open = telecom(d(2024, 2, 1), None);
        assert!(!open.valid_on(d(2024, 1, 31)));
        assert!(open.valid_on(d(2099, 12, 31)));
        let one_day = telecom(d(2024, 2, 29), Some(d(2024, 2, 29)));
        assert!(one_day.valid_on(d(2024, 2, 29)));
        assert!(!one_day.valid_on(d(2024, 2, 28)));
    }

    #[test]
    fn ictwaarborg_counts_membership_on_the_request_date_not_the_contract_date() {
        let today = d(2024, 2, 14);
        // Certified only since yesterday, long after the purchase: still mediation.
        let p = provider(vec![ict(d(2024, 2, 13), None, MembershipStatus::Certified)]);
        let a = IntakeAnswers {
            subject: Some(Subject::DeliveredProduct),
            ..answers()
        };
        assert_eq!(run(&a, &p, today).verdict, Verdict::Eligible { scheme_id: ICT });
        // Certified from today: the first day counts.
        let p = provider(vec![ict(today, None, MembershipStatus::Certified)]);
        assert_eq!(run(&a, &p, today).verdict, Verdict::Eligible { scheme_id: ICT });
        // Certified until today: the last day counts.
        let p = provider(vec![ict(d(2020, 1, 1), Some(today), MembershipStatus::Certified)]);
        assert_eq!(run(&a, &p, today).verdict, Verdict::Eligible { scheme_id: ICT });
    }

    #[test]
    fn an_ictwaarborg_member_on_hold_gets_the_complaint_forwarded_only() {
        let today = d(2024, 2, 14);
        let p = provider(vec![ict(d(2020, 1, 1), None, MembershipStatus::OnHold)]);
        let a = IntakeAnswers {
            subject: Some(Subject::DeliveredProduct),
            ..answers()
        };
        let e = run(&a, &p, today);
        assert_eq!(e.route, Route::ForwardOnly { scheme_id: ICT });
        let m = e.result(CheckKind::MembershipOnDate).unwrap();
        assert_eq!(
            (m.reason, m.next_step),
            (ReasonCode::NotCertifiedOnRequestDate, NextStep::ForwardOnly)
        );
        assert_eq!(
            m.dates,
            vec![
                (DateRole::RequestDate, today),
                (DateRole::MembershipFrom, d(2020, 1, 1))
            ]
        );
        assert_eq!(e.verdict, Verdict::Ineligible);
    }

    #[test]
    fn an_ictwaarborg_membership_that_ended_yesterday_or_starts_tomorrow_is_forward_only() {
        let today = d(2024, 2, 14);
        let a = IntakeAnswers {
            subject: Some(Subject::DeliveredProduct),
            ..answers()
        };
        for m in [
            ict(d(2020, 1, 1), Some(d(2024, 2, 13)), MembershipStatus::Certified),
            ict(d(2024, 2, 15), None, MembershipStatus::Certified),
        ] {
            let e = run(&a, &provider(vec![m]), today);
            assert_eq!(e.route, Route::ForwardOnly { scheme_id: ICT });
            assert_eq!(
                outcome(&e, CheckKind::MembershipOnDate).1,
                ReasonCode::NotCertifiedOnRequestDate
            );
        }
    }

    #[test]
    fn a_service_complaint_against_a_provider_with_only_a_product_scheme_finds_no_scheme() {
        let p = provider(vec![ict(d(2020, 1, 1), None, MembershipStatus::Certified)]);
        let e = run(&answers(), &p, d(2024, 2, 14));
        assert_eq!(e.route, Route::NoScheme);
        let m = e.result(CheckKind::MembershipOnDate).unwrap();
        assert_eq!(
            (m.reason, m.next_step),
            (ReasonCode::NoMembershipForSubject, NextStep::ReferToCourt)
        );
        assert!(e.result(CheckKind::ProviderHadTime).is_none());
        assert_eq!(e.verdict, Verdict::Ineligible);
    }

    #[test]
    fn a_provider_missing_from_the_registry_is_refused_without_a_scheme() {
        let e = run(&answers(), &ProviderFacts::default(), d(2024, 2, 14));
        assert_eq!(
            outcome(&e, CheckKind::ProviderFound),
            (CheckOutcome::Failed, ReasonCode::ProviderNotInRegistry)
        );
        assert_eq!(e.route, Route::NoScheme);
        assert!(e.result(CheckKind::MembershipOnDate).is_none());
        assert_eq!(e.verdict, Verdict::Ineligible);
    }

    #[test]
    fn a_scheme_without_rules_leaves_its_checks_unknown_instead_of_guessing() {
        let m = MembershipFact {
            scheme_id: NO_RULES,
            ..telecom(d(2015, 1, 1), None)
        };
        let e = run(&answers(), &provider(vec![m]), d(2024, 2, 14));
        for kind in [
            CheckKind::MembershipOnDate,
            CheckKind::ProviderHadTime,
            CheckKind::WithinFilingLimit,
        ] {
            let r = e.result(kind).unwrap();
            assert_eq!(
                (r.outcome, r.reason, r.next_step),
                (CheckOutcome::Unknown, ReasonCode::SchemeRulesMissing, NextStep::None)
            );
        }
        assert_eq!(e.verdict, Verdict::Incomplete);
    }

    #[test]
    fn claims_on_the_minimum_and_maximum_are_accepted_and_one_cent_beyond_is_refused() {
        let limited = |id| {
            rules_for(id).map(|r| SchemeRules {
                min_claim_cents: Some(2_500),
                max_claim_cents: Some(500_000),
                ..r
            })
        };
        let today = d(2024, 2, 14);
        let claim = |cents| {
            let a = IntakeAnswers {
                claim_cents: cents,
                ..answers()
            };
            let e = check(&a, &isp(), limited, today);
            (outcome(&e, CheckKind::ClaimWithinLimits), e.verdict)
        };
        let passed = (CheckOutcome::Passed, ReasonCode::ClaimWithinLimits);
        assert_eq!(claim(Some(2_500)).0, passed);
        assert_eq!(claim(Some(500_000)).0, passed);
        assert_eq!(
            claim(Some(2_499)),
            (
                (
                    CheckOutcome::Failed,
                    ReasonCode::ClaimBelowMinimum { minimum_cents: 2_500 }
                ),
                Verdict::Ineligible
            )
        );
        assert_eq!(
            claim(Some(500_001)).0,
            (
                CheckOutcome::Failed,
                ReasonCode::ClaimAboveMaximum { maximum_cents: 500_000 }
            )
        );
        assert_eq!(
            claim(None),
            ((CheckOutcome::Unknown, ReasonCode::AnswerMissing), Verdict::Incomplete)
        );
    }

    #[test]
    fn unset_claim_limits_are_not_checked_but_a_negative_claim_is_refused() {
        let today = d(2024, 2, 14);
        let no_claim = IntakeAnswers {
            claim_cents: None,
            ..answers()
        };
        let e = run(&no_claim, &isp(), today);
        assert_eq!(
            outcome(&e, CheckKind::ClaimWithinLimits),
            (CheckOutcome::Passed, ReasonCode::NoClaimLimits)
        );
        assert_eq!(e.verdict, Verdict::Eligible { scheme_id: TELECOM });
        let huge = IntakeAnswers {
            claim_cents: Some(i64::MAX),
            ..answers()
        };
        assert_eq!(
            run(&huge, &isp(), today).verdict,
            Verdict::Eligible { scheme_id: TELECOM }
        );
        let negative = IntakeAnswers {
            claim_cents: Some(-1),
            ..answers()
        };
        assert_eq!(
            outcome(&run(&negative, &isp(), today), CheckKind::ClaimWithinLimits).1,
            ReasonCode::NegativeClaim
        );
    }

    #[test]
    fn a_contract_date_in_the_future_is_refused() {
        let today = d(2024, 2, 14);
        let a = IntakeAnswers {
            contract_date: Some(d(2024, 2, 15)),
            written_complaint_date: Some(d(2024, 2, 15)),
            ..answers()
        };
        let e = run(&a, &isp(), today);
        let m = e.result(CheckKind::MembershipOnDate).unwrap();
        assert_eq!(
            (m.reason, m.next_step),
            (ReasonCode::DateInFuture, NextStep::AnswerQuestion)
        );
        assert_eq!(m.dates, vec![(DateRole::ContractDate, d(2024, 2, 15))]);
        assert_eq!(e.verdict, Verdict::Ineligible);
    }

    #[test]
    fn a_complaint_dated_tomorrow_is_refused_but_one_dated_today_only_waits() {
        let today = d(2024, 2, 14);
        let tomorrow = IntakeAnswers {
            written_complaint_date: Some(d(2024, 2, 15)),
            ..answers()
        };
        let e = run(&tomorrow, &isp(), today);
        assert_eq!(
            outcome(&e, CheckKind::WrittenComplaint),
            (CheckOutcome::Failed, ReasonCode::DateInFuture)
        );
        // The dependent checks do not repeat the refusal.
        assert_eq!(
            outcome(&e, CheckKind::ProviderHadTime),
            (CheckOutcome::Unknown, ReasonCode::AnswerInvalid)
        );
        assert_eq!(
            outcome(&e, CheckKind::WithinFilingLimit),
            (CheckOutcome::Unknown, ReasonCode::AnswerInvalid)
        );
        assert_eq!(e.verdict, Verdict::Ineligible);
        let same_day = IntakeAnswers {
            written_complaint_date: Some(today),
            ..answers()
        };
        assert_eq!(
            run(&same_day, &isp(), today).verdict,
            Verdict::NotYet {
                only_needs_written_complaint_or_waiting: true,
                earliest_filing: Some(d(2024, 3, 13))
            }
        );
    }

    #[test]
    fn a_contract_concluded_after_the_complaint_is_refused_but_the_same_day_is_fine() {
        let today = d(2024, 2, 14);
        let after = IntakeAnswers {
            contract_date: Some(d(2024, 1, 11)),
            ..answers()
        };
        let e = run(&after, &isp(), today);
        let w = e.result(CheckKind::WrittenComplaint).unwrap();
        assert_eq!(w.reason, ReasonCode::ContractAfterComplaint);
        assert_eq!(
            w.dates,
            vec![
                (DateRole::ContractDate, d(2024, 1, 11)),
                (DateRole::WrittenComplaint, d(2024, 1, 10))
            ]
        );
        assert_eq!(e.verdict, Verdict::Ineligible);
        let same_day = IntakeAnswers {
            contract_date: Some(d(2024, 1, 10)),
            ..answers()
        };
        assert_eq!(
            run(&same_day, &isp(), today).verdict,
            Verdict::Eligible { scheme_id: TELECOM }
        );
    }

    #[test]
    fn a_dispute_already_before_a_court_is_refused() {
        let a = IntakeAnswers {
            before_court_or_other_body: Some(true),
            ..answers()
        };
        let e = run(&a, &isp(), d(2024, 2, 14));
        assert_eq!(
            outcome(&e, CheckKind::NotBeforeCourt),
            (CheckOutcome::Failed, ReasonCode::BeforeCourt)
        );
        assert_eq!(e.verdict, Verdict::Ineligible);
    }

    #[test]
    fn an_empty_wizard_is_incomplete_and_every_check_asks_a_question_or_waits_for_the_scheme() {
        let e = run(&IntakeAnswers::default(), &isp(), d(2024, 2, 14));
        assert_eq!(e.verdict, Verdict::Incomplete);
        assert_eq!(e.route, Route::Undetermined);
        assert_eq!(kinds(&e), CheckKind::ALL.to_vec());
        for c in &e.checks {
            match c.check {
                CheckKind::ProviderFound => assert_eq!(c.outcome, CheckOutcome::Passed),
                CheckKind::ClaimWithinLimits => {
                    assert_eq!(
                        (c.reason, c.next_step),
                        (ReasonCode::SchemeNotDetermined, NextStep::None)
                    );
                }
                _ => assert_eq!(
                    (c.outcome, c.reason, c.next_step),
                    (
                        CheckOutcome::Unknown,
                        ReasonCode::AnswerMissing,
                        NextStep::AnswerQuestion
                    ),
                    "{:?}",
                    c.check
                ),
            }
        }
    }

    #[test]
    fn a_phone_only_complaint_with_other_answers_missing_is_not_yet_but_not_only_a_letter_away() {
        let a = IntakeAnswers {
            written_complaint_channel: Some(ComplaintChannel::PhoneOnly),
            ..IntakeAnswers::default()
        };
        let e = run(&a, &isp(), d(2024, 2, 14));
        assert_eq!(
            e.verdict,
            Verdict::NotYet {
                only_needs_written_complaint_or_waiting: false,
                earliest_filing: None
            }
        );
    }

    #[test]
    fn only_phone_no_complaint_and_waiting_are_cured_by_writing_or_waiting() {
        let day = d(2024, 1, 1);
        let cured = [
            ReasonCode::ComplaintOnlyByPhone,
            ReasonCode::NoWrittenComplaint,
            ReasonCode::WaitingPeriodRunning { earliest_filing: day },
            ReasonCode::WaitingPeriodNotStarted { earliest_filing: day },
        ];
        for r in cured {
            assert!(r.is_cured_by_writing_or_waiting(), "{r:?}");
        }
        let not_cured = [
            ReasonCode::FilingLimitPassed { deadline: day },
            ReasonCode::MembershipStartedAfterContract,
            ReasonCode::DateInFuture,
            ReasonCode::BeforeCourt,
        ];
        for r in not_cured {
            assert!(!r.is_cured_by_writing_or_waiting(), "{r:?}");
        }
        assert_eq!(
            ReasonCode::WaitingPeriodRunning { earliest_filing: day }.code(),
            "waiting_period_running"
        );
    }

    #[test]
    fn every_stored_answer_code_parses_back_to_its_variant() {
        for v in Subject::ALL {
            assert_eq!(v.as_str().parse::<Subject>(), Ok(v));
        }
        for v in CounterpartyKind::ALL {
            assert_eq!(v.as_str().parse::<CounterpartyKind>(), Ok(v));
        }
        for v in ComplaintChannel::ALL {
            assert_eq!(v.as_str().parse::<ComplaintChannel>(), Ok(v));
        }
        for v in MembershipStatus::ALL {
            assert_eq!(v.as_str().parse::<MembershipStatus>(), Ok(v));
        }
        for v in CheckKind::ALL {
            assert_eq!(v.as_str().parse::<CheckKind>(), Ok(v));
        }
        assert!("PhoneOnly".parse::<ComplaintChannel>().is_err());
    }

    #[test]
    fn letters_email_and_web_forms_are_written_but_a_phone_call_is_not() {
        let written: Vec<_> = ComplaintChannel::ALL.into_iter().filter(|c| c.is_written()).collect();
        assert_eq!(
            written,
            vec![
                ComplaintChannel::Letter,
                ComplaintChannel::RegisteredLetter,
                ComplaintChannel::Email,
                ComplaintChannel::WebForm
            ]
        );
    }

    #[test]
    fn an_unnamed_provider_is_unknown_not_refused_and_a_referral_still_shows() {
        let mut early = answers();
        early.counterparty = Some(CounterpartyKind::Company);
        let e = check_without_provider(&early, d(2024, 2, 20));
        assert_eq!(
            outcome(&e, CheckKind::ProviderFound),
            (CheckOutcome::Unknown, ReasonCode::AnswerMissing)
        );
        assert_eq!(e.route, Route::Undetermined);
        assert_eq!(e.verdict, Verdict::Incomplete);
        early.written_complaint_channel = Some(ComplaintChannel::PhoneOnly);
        let phoned = check_without_provider(&early, d(2024, 2, 20));
        assert!(matches!(phoned.verdict, Verdict::NotYet { .. }), "{:?}", phoned.verdict);
        early.counterparty = Some(CounterpartyKind::Government);
        let municipality = check_without_provider(&early, d(2024, 2, 20));
        assert_eq!(municipality.route, Route::NationaleOmbudsman);
        assert_eq!(municipality.verdict, Verdict::Ineligible);
    }
}
