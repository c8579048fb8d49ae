//! The filing wizard, pure: its steps, the draft it fills in, and the reading of each step's answers into
//! typed values with a message key per field. The same [`Draft`] is the JSON API's request body, and
//! [`check_draft`] applies the rules that span fields (dates in the future, a contract after the
//! complaint, negative amounts) to both.

use std::str::FromStr;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::eligibility::{ComplaintChannel, CounterpartyKind, IntakeAnswers, Subject};
use crate::registry::rules::{UnknownCode, parse_code};

/// The longest texts the wizard keeps, in characters.
pub const MAX_OUTCOME_CHARS: usize = 2_000;
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
pub const MAX_PRIVATE_CHARS: usize = 5_000;
/// The largest claim, in cents (ten million euros): beyond it the number is a typing error.
pub const MAX_CLAIM_CENTS: i64 = 1_000_000_000;

/// The wizard's pages, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Who the complaint is against (registry search) and whether the applicant is a consumer.
    Provider,
    /// What it is about, and whether a court or another body has it.
    Subject,
    /// The contract.
    Contract,
    /// The complaint history: first contact, the written complaint, the provider's answer.
    Complaint,
    /// What the consumer wants: the outcome and an amount.
    Wish,
    /// The description.
    Description,
    /// Evidence uploads.
    Evidence,
    /// The private part for the provider and the mediator only.
    Private,
    /// Everything on one page, and the submit button.
    Review,
}

impl Step {
    pub const ALL: [Step; 9] = [
        Step::Provider,
        Step::Subject,
        Step::Contract,
        Step::Complaint,
        Step::Wish,
        Step::Description,
        Step::Evidence,
        Step::Private,
        Step::Review,
    ];

    /// The stable code (stored in `intake_drafts.step`, used in translation keys).
    pub const fn as_str(self) -> &'static str {
        match self {
            Step::Provider => "provider",
            Step::Subject => "subject",
            Step::Contract => "contract",
            Step::Complaint => "complaint",
            Step::Wish => "wish",
            Step::Description => "description",
            Step::Evidence => "evidence",
            Step::Private => "private",
            Step::Review => "review",
        }
    }

    /// The Dutch path segment of the step's page.
    pub const fn slug(self) -> &'static str {
        match self {
            Step::Provider => "aanbieder",
            Step::Subject => "onderwerp",
            Step::Contract => "overeenkomst",
            Step::Complaint => "klacht",
            Step::Wish => "wens",
            Step::Description => "omschrijving",
            Step::Evidence => "bewijs",
            Step::Private => "prive",
            Step::Review => "controle",
        }
    }

    pub fn from_slug(slug: &str) -> Option<Step> {
        Self::ALL.into_iter().find(|s| s.slug() == slug)
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }

    /// The step after this one (the review is last).
    pub fn next(self) -> Step {
        Self::ALL.get(self.index() + 1).copied().unwrap_or(Step::Review)
    }

    /// The step before this one, if any.
    pub fn previous(self) -> Option<Step> {
        self.index().checked_sub(1).map(|i| Self::ALL[i])
    }

    /// 1-based position, for "step 3 of 9".
    pub fn number(self) -> usize {
        self.index() + 1
    }
}

impl FromStr for Step {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("step", &Self::ALL, Self::as_str, s)
    }
}

/// What the complaint is about (the case's category).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Billing,
    ContractSwitching,
    OutageSpeed,
    DeliveredProduct,
    Privacy,
    CustomerService,
    Other,
}

impl Category {
    pub const ALL: [Category; 7] = [
        Category::Billing,
        Category::ContractSwitching,
        Category::OutageSpeed,
        Category::DeliveredProduct,
        Category::Privacy,
        Category::CustomerService,
        Category::Other,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Category::Billing => "billing",
            Category::ContractSwitching => "contract_switching",
            Category::OutageSpeed => "outage_speed",
            Category::DeliveredProduct => "delivered_product",
            Category::Privacy => "privacy",
            Category::CustomerService => "customer_service",
            Category::Other => "other",
        }
    }

    /// A delivered product goes to mediation (ICTWaarborg); everything else is a service or contract.
    pub const fn subject(self) -> Subject {
        match self {
            Category::DeliveredProduct => Subject::DeliveredProduct,
            _ => Subject::Services,
        }
    }
}

impl FromStr for Category {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("category", &Self::ALL, Self::as_str, s)
    }
}

/// How the provider reacted to the written complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderAnswer {
    /// No answer yet.
    None,
    /// An answer, but not its final word.
    Answered,
    /// Its final answer (deadlock): the consumer need not wait any longer.
    FinalAnswer,
}

impl ProviderAnswer {
    pub const ALL: [ProviderAnswer; 3] = [
        ProviderAnswer::None,
        ProviderAnswer::Answered,
        ProviderAnswer::FinalAnswer,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            ProviderAnswer::None => "none",
            ProviderAnswer::Answered => "answered",
            ProviderAnswer::FinalAnswer => "final_answer",
        }
    }
}

impl FromStr for ProviderAnswer {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, UnknownCode> {
        parse_code("provider_answer", &Self::ALL, Self::as_str, s)
    }
}

/// The consumer's answers so far, as stored in `intake_drafts.answers` and sent to the JSON API. Every
/// field is optional until the review; [`check_draft`] refuses values that cannot be right.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Draft {
    /// Who the complaint is against.
    #[schema(value_type = Option<String>)]
    pub counterparty: Option<CounterpartyKind>,
    /// Whether the applicant is a private person.
    pub applicant_is_consumer: Option<bool>,
    /// The provider in the registry (for a company).
    pub provider_id: Option<i64>,
    /// The consumer says the provider is not in the registry (searched, not found).
    pub provider_unlisted: Option<bool>,
    /// What it is about.
    #[schema(value_type = Option<String>)]
    pub category: Option<Category>,
    /// Whether a court or another dispute body has the dispute.
    pub before_court_or_other_body: Option<bool>,
    /// The day the contract was concluded.
    pub contract_date: Option<NaiveDate>,
    /// The customer or contract number at the provider.
    pub customer_number: Option<String>,
    /// The first contact about the problem (often by phone).
    pub first_contact_date: Option<NaiveDate>,
    /// How the consumer complained.
    #[schema(value_type = Option<String>)]
    pub written_complaint_channel: Option<ComplaintChannel>,
    /// The day of the written complaint.
    pub written_complaint_date: Option<NaiveDate>,
    /// The provider's reaction.
    #[schema(value_type = Option<String>)]
    pub provider_answer: Option<ProviderAnswer>,
    /// The day of the provider's answer.
    pub provider_answer_date: Option<NaiveDate>,
    /// What the consumer wants.
    pub desired_outcome: Option<String>,
    /// The amount claimed, in cents.
    pub claim_cents: Option<i64>,
    /// What happened.
    pub description: Option<String>,
    /// The private part: only the provider and the mediator read it.
    pub private_note: Option<String>,
}

impl Draft {
    /// The answers the eligibility check reads.
    pub fn answers(&self) -> IntakeAnswers {
        let final_answer = (self.provider_answer == Some(ProviderAnswer::FinalAnswer))
            .then_some(self.provider_answer_date)
            .flatten();
        IntakeAnswers {
            subject: self.category.map(Category::subject),
            counterparty: self.counterparty,
            applicant_is_consumer: self.applicant_is_consumer,
            contract_date: self.contract_date,
            written_complaint_date: self
                .written_complaint_channel
                .filter(|c| c.is_written())
                .and(self.written_complaint_date),
            written_complaint_channel: self.written_complaint_channel,
            provider_final_answer_date: final_answer,
            claim_cents: self.claim_cents,
            before_court_or_other_body: self.before_court_or_other_body,
        }
    }

    /// The first step that still misses a required answer, if any (the review sends the consumer there).
    pub fn first_missing_step(&self) -> Option<Step> {
        Step::ALL
            .into_iter()
            .find(|step| !missing_fields(self, *step).is_empty())
    }
}

/// The fields of a step that are required and not answered.
pub fn missing_fields(draft: &Draft, step: Step) -> Vec<&'static str> {
    let mut missing = Vec::new();
    let mut need = |present: bool, field: &'static str| {
        if !present {
            missing.push(field);
        }
    };
    match step {
        Step::Provider => {
            need(draft.counterparty.is_some(), "counterparty");
            need(draft.applicant_is_consumer.is_some(), "applicant_is_consumer");
            if draft.counterparty == Some(CounterpartyKind::Company) {
                need(
                    draft.provider_id.is_some() || draft.provider_unlisted == Some(true),
                    "provider_id",
                );
            }
        }
        Step::Subject => {
            need(draft.category.is_some(), "category");
            need(draft.before_court_or_other_body.is_some(), "before_court_or_other_body");
        }
        Step::Contract => need(draft.contract_date.is_some(), "contract_date"),
        Step::Complaint => {
            need(draft.written_complaint_channel.is_some(), "written_complaint_channel");
            if draft
                .written_complaint_channel
                .is_some_and(ComplaintChannel::is_written)
            {
                need(draft.written_complaint_date.is_some(), "written_complaint_date");
                need(draft.provider_answer.is_some(), "provider_answer");
                if matches!(
                    draft.provider_answer,
                    Some(ProviderAnswer::Answered | ProviderAnswer::FinalAnswer)
                ) {
                    need(draft.provider_answer_date.is_some(), "provider_answer_date");
                }
            }
        }
        Step::Wish => need(non_empty(&draft.desired_outcome), "desired_outcome"),
        Step::Description => need(non_empty(&draft.description), "description"),
        Step::Evidence | Step::Private | Step::Review => {}
    }
    missing
}

fn non_empty(text: &Option<String>) -> bool {
    text.as_deref().is_some_and(|t| !t.trim().is_empty())
}

/// Problems with answers: (field, message key), the first per field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(Vec<(&'static str, &'static str)>);

impl Problems {
    pub fn add(&mut self, field: &'static str, key: &'static str) {
        if !self.0.iter().any(|(f, _)| *f == field) {
            self.0.push((field, key));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.0.iter().copied()
    }

    pub fn get(&self, field: &str) -> Option<&'static str> {
        self.0.iter().find(|(f, _)| *f == field).map(|(_, k)| *k)
    }
}

/// The submitted form fields of one step, as typed.
pub struct FormInput<'a>(pub &'a [(String, String)]);

impl FormInput<'_> {
    /// The trimmed value of a field; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .unwrap_or_default()
    }
}

/// The fields each step's form holds.
pub fn step_fields(step: Step) -> &'static [&'static str] {
    match step {
        Step::Provider => &["counterparty", "applicant_is_consumer", "provider_id"],
        Step::Subject => &["category", "before_court_or_other_body"],
        Step::Contract => &["contract_date", "customer_number"],
        Step::Complaint => &[
            "first_contact_date",
            "written_complaint_channel",
            "written_complaint_date",
            "provider_answer",
            "provider_answer_date",
        ],
        Step::Wish => &["desired_outcome", "claim"],
        Step::Description => &["description"],
        Step::Private => &["private_note"],
        Step::Evidence | Step::Review => &[],
    }
}

/// Reads one step's form into `draft`: every field parsed, required answers checked, then the rules across
/// fields. On any problem nothing changes and the caller shows the form again with what was typed.
pub fn apply_step(step: Step, draft: &Draft, form: &FormInput<'_>, today: NaiveDate) -> Result<Draft, Problems> {
    let (next, problems) = read_step(step, draft, form, today);
    if problems.is_empty() { Ok(next) } else { Err(problems) }
}

/// Like [`apply_step`], but also returns the answers that did read (for going back a step, where a
/// missing answer does not stop the consumer but a wrong one does).
pub fn read_step(step: Step, draft: &Draft, form: &FormInput<'_>, today: NaiveDate) -> (Draft, Problems) {
    let mut next = draft.clone();
    let mut problems = Problems::default();
    match step {
        Step::Provider => {
            next.counterparty = choice(form, "counterparty", &mut problems);
            next.applicant_is_consumer = yes_no(form, "applicant_is_consumer", &mut problems);
            next.provider_unlisted = None;
            next.provider_id = match form.get("provider_id") {
                "" => None,
                "unlisted" => {
                    next.provider_unlisted = Some(true);
                    None
                }
                raw => match raw.parse::<i64>() {
                    Ok(id) if id > 0 => Some(id),
                    _ => {
                        problems.add("provider_id", "intake-error-choose-provider");
                        None
                    }
                },
            };
            if next.counterparty != Some(CounterpartyKind::Company) {
                next.provider_id = None;
                next.provider_unlisted = None;
            }
        }
        Step::Subject => {
            next.category = choice(form, "category", &mut problems);
            next.before_court_or_other_body = yes_no(form, "before_court_or_other_body", &mut problems);
        }
        Step::Contract => {
            next.contract_date = date(form, "contract_date", &mut problems);
            next.customer_number = text(form, "customer_number", 100, &mut problems);
        }
        Step::Complaint => {
            next.first_contact_date = date(form, "first_contact_date", &mut problems);
            next.written_complaint_channel = choice(form, "written_complaint_channel", &mut problems);
            next.written_complaint_date = date(form, "written_complaint_date", &mut problems);
            next.provider_answer = choice(form, "provider_answer", &mut problems);
            next.provider_answer_date = date(form, "provider_answer_date", &mut problems);
            // Answers that the channel makes meaningless are dropped rather than kept silently.
            if !next.written_complaint_channel.is_some_and(ComplaintChannel::is_written) {
                next.written_complaint_date = None;
                next.provider_answer = None;
                next.provider_answer_date = None;
            }
            if next.provider_answer == Some(ProviderAnswer::None) {
                next.provider_answer_date = None;
            }
        }
        Step::Wish => {
            next.desired_outcome = text(form, "desired_outcome", MAX_OUTCOME_CHARS, &mut problems);
            next.claim_cents = match parse_euros(form.get("claim")) {
                Ok(cents) => cents,
                Err(key) => {
                    problems.add("claim", key);
                    None
                }
            };
        }
        Step::Description => next.description = text(form, "description", MAX_DESCRIPTION_CHARS, &mut problems),
        Step::Private => next.private_note = text(form, "private_note", MAX_PRIVATE_CHARS, &mut problems),
        Step::Evidence | Step::Review => {}
    }
    for field in missing_fields(&next, step) {
        problems.add(field, "intake-error-required");
    }
    for (field, key) in check_draft(&next, today).iter() {
        if step_fields(step).contains(&field) || field == "claim_cents" && step == Step::Wish {
            problems.add(if field == "claim_cents" { "claim" } else { field }, key);
        }
    }
    (next, problems)
}

impl Problems {
    /// Whether every problem is only a missing answer.
    pub fn only_missing(&self) -> bool {
        self.0.iter().all(|(_, key)| *key == "intake-error-required")
    }
}

/// The rules across fields, for the wizard and the API alike. Field names are the draft's.
pub fn check_draft(draft: &Draft, today: NaiveDate) -> Problems {
    let mut problems = Problems::default();
    let dates = [
        ("contract_date", draft.contract_date),
        ("first_contact_date", draft.first_contact_date),
        ("written_complaint_date", draft.written_complaint_date),
        ("provider_answer_date", draft.provider_answer_date),
    ];
    for (field, value) in dates {
        if value.is_some_and(|d| d > today) {
            problems.add(field, "intake-error-date-in-future");
        }
    }
    if let (Some(contract), Some(complaint)) = (draft.contract_date, draft.written_complaint_date)
        && contract > complaint
    {
        problems.add("contract_date", "intake-error-contract-after-complaint");
        problems.add("written_complaint_date", "intake-error-complaint-before-contract");
    }
    if let (Some(first), Some(complaint)) = (draft.first_contact_date, draft.written_complaint_date)
        && first > complaint
    {
        problems.add("first_contact_date", "intake-error-first-contact-after-complaint");
    }
    if let (Some(answer), Some(complaint)) = (draft.provider_answer_date, draft.written_complaint_date)
        && answer < complaint
    {
        problems.add("provider_answer_date", "intake-error-answer-before-complaint");
    }
    match draft.claim_cents {
        Some(c) if c < 0 => problems.add("claim_cents", "intake-error-amount-negative"),
        Some(c) if c > MAX_CLAIM_CENTS => problems.add("claim_cents", "intake-error-amount-too-large"),
        _ => {}
    }
    if draft.provider_id.is_some_and(|id| id <= 0) {
        problems.add("provider_id", "intake-error-choose-provider");
    }
    let texts = [
        ("customer_number", &draft.customer_number, 100),
        ("desired_outcome", &draft.desired_outcome, MAX_OUTCOME_CHARS),
        ("description", &draft.description, MAX_DESCRIPTION_CHARS),
        ("private_note", &draft.private_note, MAX_PRIVATE_CHARS),
    ];
    for (field, value, max) in texts {
        if let Some(v) = value {
            if v.chars().count() > max {
                problems.add(field, "intake-error-too-long");
            } else if v.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
                problems.add(field, "intake-error-text-invalid");
            }
        }
    }
    problems
}

fn choice<T: FromStr>(form: &FormInput<'_>, field: &'static str, problems: &mut Problems) -> Option<T> {
    match form.get(field) {
        "" => None,
        raw => raw.parse().ok().or_else(|| {
            problems.add(field, "intake-error-choose");
            None
        }),
    }
}

fn yes_no(form: &FormInput<'_>, field: &'static str, problems: &mut Problems) -> Option<bool> {
    match form.get(field) {
        "" => None,
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            problems.add(field, "intake-error-choose");
            None
        }
    }
}

fn date(form: &FormInput<'_>, field: &'static str, problems: &mut Problems) -> Option<NaiveDate> {
    crate::registry::forms::parse_date_input(form.get(field)).unwrap_or_else(|_| {
        problems.add(field, "intake-error-date-invalid");
        None
    })
}

fn text(form: &FormInput<'_>, field: &'static str, max: usize, problems: &mut Problems) -> Option<String> {
    let value = form.get(field);
    if value.chars().count() > max {
        problems.add(field, "intake-error-too-long");
        return None;
    }
    (!value.is_empty()).then(|| value.replace("\r\n", "\n"))
}

/// Reads an amount in euros as people type it (`120`, `120,50`, `€ 1.234,56`, `120.50`) into cents.
/// Empty means no amount.
pub fn parse_euros(raw: &str) -> Result<Option<i64>, &'static str> {
    let cleaned: String = raw
        .trim()
        .trim_start_matches('€')
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if cleaned.is_empty() {
        return Ok(None);
    }
    if cleaned.len() > 20 {
        return Err("intake-error-amount-invalid");
    }
    if let Some(rest) = cleaned.strip_prefix('-')
        && rest.chars().next().is_some_and(|c| c.is_ascii_digit())
    {
        return Err("intake-error-amount-negative");
    }
    // A comma is the decimal separator (Dutch); without one, a dot followed by one or two digits is.
    let (whole, fraction) = if let Some((w, f)) = cleaned.rsplit_once(',') {
        (w.replace('.', ""), f.to_owned())
    } else {
        match cleaned.rsplit_once('.') {
            Some((w, f)) if f.len() <= 2 => (w.to_owned(), f.to_owned()),
            _ => (cleaned.replace('.', ""), String::new()),
        }
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(&whole) || !(fraction.is_empty() || digits(&fraction) && fraction.len() <= 2) {
        return Err("intake-error-amount-invalid");
    }
    let euros: i64 = whole.parse().map_err(|_| "intake-error-amount-too-large")?;
    let cents: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().unwrap_or(0) * 10,
        _ => fraction.parse().unwrap_or(0),
    };
    let total = euros
        .checked_mul(100)
        .and_then(|c| c.checked_add(cents))
        .ok_or("intake-error-amount-too-large")?;
    if total > MAX_CLAIM_CENTS {
        return Err("intake-error-amount-too-large");
    }
    Ok(Some(total))
}

/// Cents as the form shows them again (`120,50`).
pub fn format_euros_input(cents: i64) -> String {
    format!("{},{:02}", cents / 100, cents % 100)
}

/// The stored answers as the step forms show them (the same names as the form fields).
pub fn form_values(draft: &Draft) -> serde_json::Map<String, serde_json::Value> {
    use serde_json::json;
    // Shown as people write dates here (the hint says so); both this and YYYY-MM-DD are read back.
    let date = |d: Option<NaiveDate>| json!(d.map(|d| d.format("%d-%m-%Y").to_string()).unwrap_or_default());
    let yes_no = |b: Option<bool>| json!(b.map(|b| if b { "yes" } else { "no" }).unwrap_or_default());
    let text = |t: &Option<String>| json!(t.clone().unwrap_or_default());
    let mut map = serde_json::Map::new();
    map.insert(
        "counterparty".into(),
        json!(draft.counterparty.map(|c| c.as_str()).unwrap_or_default()),
    );
    map.insert("applicant_is_consumer".into(), yes_no(draft.applicant_is_consumer));
    map.insert(
        "provider_id".into(),
        json!(draft.provider_id.map(|id| id.to_string()).unwrap_or_default()),
    );
    map.insert(
        "category".into(),
        json!(draft.category.map(|c| c.as_str()).unwrap_or_default()),
    );
    map.insert(
        "before_court_or_other_body".into(),
        yes_no(draft.before_court_or_other_body),
    );
    map.insert("contract_date".into(), date(draft.contract_date));
    map.insert("customer_number".into(), text(&draft.customer_number));
    map.insert("first_contact_date".into(), date(draft.first_contact_date));
    map.insert(
        "written_complaint_channel".into(),
        json!(draft.written_complaint_channel.map(|c| c.as_str()).unwrap_or_default()),
    );
    map.insert("written_complaint_date".into(), date(draft.written_complaint_date));
    map.insert(
        "provider_answer".into(),
        json!(draft.provider_answer.map(|a| a.as_str()).unwrap_or_default()),
    );
    map.insert("provider_answer_date".into(), date(draft.provider_answer_date));
    map.insert("desired_outcome".into(), text(&draft.desired_outcome));
    map.insert(
        "claim".into(),
        json!(draft.claim_cents.map(format_euros_input).unwrap_or_default()),
    );
    map.insert("description".into(), text(&draft.description));
    map.insert("private_note".into(), text(&draft.private_note));
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    const TODAY: (i32, u32, u32) = (2026, 11, 22);

    fn today() -> NaiveDate {
        d(TODAY.0, TODAY.1, TODAY.2)
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn apply(step: Step, draft: &Draft, pairs: &[(&str, &str)]) -> Result<Draft, Problems> {
        apply_step(step, draft, &FormInput(&form(pairs)), today())
    }

    #[test]
    fn steps_run_in_order_and_slugs_round_trip() {
        assert_eq!(Step::Provider.previous(), None);
        assert_eq!(Step::Provider.next(), Step::Subject);
        assert_eq!(Step::Private.next(), Step::Review);
        assert_eq!(Step::Review.next(), Step::Review);
        assert_eq!(Step::Review.number(), 9);
        for step in Step::ALL {
            assert_eq!(Step::from_slug(step.slug()), Some(step));
            assert_eq!(step.as_str().parse::<Step>().unwrap(), step);
        }
        assert_eq!(Step::from_slug("../etc"), None);
    }

    #[test]
    fn amounts_are_read_as_people_type_them() {
        assert_eq!(parse_euros(""), Ok(None));
        assert_eq!(parse_euros("120"), Ok(Some(12_000)));
        assert_eq!(parse_euros("120,5"), Ok(Some(12_050)));
        assert_eq!(parse_euros("€ 1.234,56"), Ok(Some(123_456)));
        assert_eq!(parse_euros("120.50"), Ok(Some(12_050)));
        assert_eq!(parse_euros("1.234"), Ok(Some(123_400)));
        assert_eq!(parse_euros("0"), Ok(Some(0)));
        assert_eq!(parse_euros("-5"), Err("intake-error-amount-negative"));
        assert_eq!(parse_euros("vijftig"), Err("intake-error-amount-invalid"));
        assert_eq!(parse_euros("12,345"), Err("intake-error-amount-invalid"));
        assert_eq!(parse_euros("10000000,01"), Err("intake-error-amount-too-large"));
        assert_eq!(parse_euros("10000000"), Ok(Some(MAX_CLAIM_CENTS)));
        assert_eq!(
            parse_euros("99999999999999999999"),
            Err("intake-error-amount-too-large")
        );
        assert_eq!(format_euros_input(12_050), "120,50");
    }

    #[test]
    fn the_provider_step_needs_a_provider_for_a_company_but_not_for_a_municipality() {
        let missing = apply(
            Step::Provider,
            &Draft::default(),
            &[("counterparty", "company"), ("applicant_is_consumer", "yes")],
        )
        .unwrap_err();
        assert_eq!(missing.get("provider_id"), Some("intake-error-required"));
        let government = apply(
            Step::Provider,
            &Draft::default(),
            &[
                ("counterparty", "government"),
                ("applicant_is_consumer", "yes"),
                ("provider_id", "7"),
            ],
        )
        .unwrap();
        assert_eq!(
            government.provider_id, None,
            "a public body has no provider in the registry"
        );
        let forged = apply(
            Step::Provider,
            &Draft::default(),
            &[("counterparty", "alien"), ("applicant_is_consumer", "maybe")],
        )
        .unwrap_err();
        assert_eq!(forged.get("counterparty"), Some("intake-error-choose"));
        assert_eq!(forged.get("applicant_is_consumer"), Some("intake-error-choose"));
    }

    #[test]
    fn dates_in_the_future_and_a_contract_after_the_complaint_are_refused_beside_their_field() {
        let draft = Draft {
            contract_date: Some(d(2026, 6, 1)),
            ..Draft::default()
        };
        let problems = apply(
            Step::Complaint,
            &draft,
            &[
                ("written_complaint_channel", "letter"),
                ("written_complaint_date", "2026-05-01"),
                ("provider_answer", "answered"),
                ("provider_answer_date", "2026-11-23"),
                ("first_contact_date", "31-02-2026"),
            ],
        )
        .unwrap_err();
        assert_eq!(
            problems.get("provider_answer_date"),
            Some("intake-error-date-in-future")
        );
        assert_eq!(problems.get("first_contact_date"), Some("intake-error-date-invalid"));
        // The contract is on another step; its problem shows on the draft as a whole.
        assert_eq!(problems.get("contract_date"), None);
        let all = check_draft(
            &Draft {
                written_complaint_date: Some(d(2026, 5, 1)),
                ..draft
            },
            today(),
        );
        assert_eq!(all.get("contract_date"), Some("intake-error-contract-after-complaint"));
        let on_the_day = check_draft(
            &Draft {
                contract_date: Some(today()),
                written_complaint_date: Some(today()),
                ..Draft::default()
            },
            today(),
        );
        assert!(
            on_the_day.is_empty(),
            "today is not the future, and the same day is not after"
        );
    }

    #[test]
    fn a_phone_only_complaint_drops_the_written_complaint_answers() {
        let draft = apply(
            Step::Complaint,
            &Draft::default(),
            &[
                ("written_complaint_channel", "phone_only"),
                ("written_complaint_date", "2026-10-01"),
                ("provider_answer", "final_answer"),
                ("provider_answer_date", "2026-10-02"),
            ],
        )
        .unwrap();
        assert_eq!(draft.written_complaint_date, None);
        assert_eq!(draft.provider_answer, None);
        assert_eq!(draft.answers().provider_final_answer_date, None);
    }

    #[test]
    fn a_final_answer_reaches_the_eligibility_check_and_an_ordinary_answer_does_not() {
        let mut draft = Draft {
            written_complaint_channel: Some(ComplaintChannel::Email),
            written_complaint_date: Some(d(2026, 11, 1)),
            provider_answer: Some(ProviderAnswer::FinalAnswer),
            provider_answer_date: Some(d(2026, 11, 5)),
            category: Some(Category::DeliveredProduct),
            ..Draft::default()
        };
        assert_eq!(draft.answers().provider_final_answer_date, Some(d(2026, 11, 5)));
        assert_eq!(draft.answers().subject, Some(Subject::DeliveredProduct));
        draft.provider_answer = Some(ProviderAnswer::Answered);
        assert_eq!(draft.answers().provider_final_answer_date, None);
    }

    #[test]
    fn the_wish_step_refuses_negative_and_absurd_amounts_and_overlong_text() {
        let negative = apply(
            Step::Wish,
            &Draft::default(),
            &[("desired_outcome", "Geld terug"), ("claim", "-10")],
        )
        .unwrap_err();
        assert_eq!(negative.get("claim"), Some("intake-error-amount-negative"));
        let long = "x".repeat(MAX_OUTCOME_CHARS + 1);
        let too_long = apply(Step::Wish, &Draft::default(), &[("desired_outcome", &long)]).unwrap_err();
        assert_eq!(too_long.get("desired_outcome"), Some("intake-error-too-long"));
        let fine = apply(
            Step::Wish,
            &Draft::default(),
            &[("desired_outcome", "Geld terug"), ("claim", "80")],
        )
        .unwrap();
        assert_eq!(fine.claim_cents, Some(8_000));
        let empty = apply(Step::Wish, &Draft::default(), &[("desired_outcome", "  ")]).unwrap_err();
        assert_eq!(empty.get("desired_outcome"), Some("intake-error-required"));
    }

    #[test]
    fn the_api_draft_is_checked_with_the_same_rules() {
        let draft = Draft {
            claim_cents: Some(-1),
            description: Some("a\u{0}b".into()),
            provider_id: Some(0),
            ..Draft::default()
        };
        let problems = check_draft(&draft, today());
        assert_eq!(problems.get("claim_cents"), Some("intake-error-amount-negative"));
        assert_eq!(problems.get("description"), Some("intake-error-text-invalid"));
        assert_eq!(problems.get("provider_id"), Some("intake-error-choose-provider"));
    }

    #[test]
    fn the_first_missing_step_leads_the_review_back() {
        assert_eq!(Draft::default().first_missing_step(), Some(Step::Provider));
        let draft = Draft {
            counterparty: Some(CounterpartyKind::Government),
            applicant_is_consumer: Some(true),
            category: Some(Category::Other),
            before_court_or_other_body: Some(false),
            contract_date: Some(d(2025, 1, 1)),
            written_complaint_channel: Some(ComplaintChannel::PhoneOnly),
            desired_outcome: Some("Excuses".into()),
            ..Draft::default()
        };
        assert_eq!(draft.first_missing_step(), Some(Step::Description));
    }

    fn parse_date_round_trip(shown: &str) -> Option<NaiveDate> {
        crate::registry::forms::parse_date_input(shown).unwrap()
    }

    #[test]
    fn stored_answers_come_back_into_the_form_as_typed() {
        let draft = Draft {
            contract_date: Some(d(2025, 3, 1)),
            claim_cents: Some(12_345),
            applicant_is_consumer: Some(false),
            ..Draft::default()
        };
        let values = form_values(&draft);
        assert_eq!(values["contract_date"], "01-03-2025");
        let reread = parse_date_round_trip(values["contract_date"].as_str().unwrap());
        assert_eq!(reread, Some(d(2025, 3, 1)));
        assert_eq!(values["claim"], "123,45");
        assert_eq!(values["applicant_is_consumer"], "no");
        assert_eq!(values["description"], "");
    }
}
