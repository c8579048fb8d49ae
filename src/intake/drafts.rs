//! The queries of intake: drafts (saved at every step), the registry facts the eligibility check needs,
//! evidence on a draft, the filing transaction, and the reminder when the provider's answer period ends.

use chrono::{Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::eligibility::{self, Eligibility, MembershipFact, ProviderFacts, Verdict};
use super::wizard::{self, Draft, Step};
use crate::cases::lifecycle::{self, CaseState};
use crate::db::schema::{case_events, cases, documents, intake_drafts, users};
use crate::db::{DbConnection, StorageError};
use crate::i18n::Language;
use crate::jobs;
use crate::mail::templates::EmailTemplates;
use crate::policy::Visibility;
use crate::registry::queries::ProviderRow;
use crate::registry::rules::SchemeRules;
use crate::registry::{self, Scheme};

/// The job that tells the consumer the provider's answer period is over.
pub const WAITING_OVER_JOB: &str = "intake_waiting_over";
/// At what time of day (UTC) the reminder goes out on the day the answer period ends.
const REMINDER_HOUR: u32 = 7;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = intake_drafts)]
pub struct DraftRow {
    pub id: i64,
    pub consumer_id: i64,
    pub step: String,
    pub answers: String,
    pub waiting_until: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub case_id: Option<i64>,
    pub forwarded_at: Option<NaiveDateTime>,
}

impl DraftRow {
    /// The stored answers; a row that no longer reads (edited by hand) starts again empty rather than failing.
    pub fn draft(&self) -> Draft {
        serde_json::from_str(&self.answers).unwrap_or_default()
    }

    pub fn step(&self) -> Step {
        self.step.parse().unwrap_or(Step::Provider)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("no such draft")]
    NotFound,
    #[error("the draft misses answers (step {0:?})")]
    Incomplete(Step),
    #[error("the complaint cannot be filed yet")]
    NotEligible(Box<Eligibility>),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("e-mail: {0}")]
    Render(String),
}

impl From<diesel::result::Error> for IntakeError {
    fn from(e: diesel::result::Error) -> Self {
        Self::Storage(e.into())
    }
}

impl From<handlebars::RenderError> for IntakeError {
    fn from(e: handlebars::RenderError) -> Self {
        Self::Render(e.to_string())
    }
}

impl From<IntakeError> for crate::web::error::AppError {
    fn from(e: IntakeError) -> Self {
        use crate::web::error::AppError;
        match e {
            IntakeError::NotFound => AppError::NotFound,
            IntakeError::Incomplete(_) => AppError::Conflict("the draft misses answers".into()),
            IntakeError::NotEligible(_) => AppError::Conflict("the complaint cannot be filed yet".into()),
            IntakeError::Storage(e) => e.into(),
            IntakeError::Render(e) => AppError::Internal(e),
        }
    }
}

/// Starts a draft with these answers, at `step`, and schedules the reminder for the end of the
/// provider's answer period when waiting is what is left (`waiting`). One transaction, one round trip
/// for the row: the API files a whole draft in two requests, and each statement counts on PostgreSQL.
pub fn create(
    conn: &mut DbConnection,
    consumer_id: i64,
    draft: &Draft,
    step: Step,
    waiting: Option<NaiveDate>,
    now: NaiveDateTime,
) -> QueryResult<DraftRow> {
    crate::db::write_transaction(conn, |conn| {
        let row = diesel::insert_into(intake_drafts::table)
            .values((
                intake_drafts::consumer_id.eq(consumer_id),
                intake_drafts::step.eq(step.as_str()),
                intake_drafts::answers.eq(to_json(draft)),
                intake_drafts::waiting_until.eq(waiting),
                intake_drafts::created_at.eq(now),
                intake_drafts::updated_at.eq(now),
            ))
            // `as_returning()` does not reach both backends through the multi-backend connection;
            // the row's fields are the table's columns in order.
            .returning(intake_drafts::all_columns)
            .get_result::<DraftRow>(conn)?;
        if let Some(day) = waiting {
            schedule_reminder(conn, row.id, day, now)?;
        }
        Ok(row)
    })
}

fn to_json(draft: &Draft) -> String {
    serde_json::to_string(draft).unwrap_or_else(|_| "{}".into())
}

/// A draft of this consumer (filed or not), or none.
pub fn find(conn: &mut DbConnection, id: i64, consumer_id: i64) -> QueryResult<Option<DraftRow>> {
    intake_drafts::table
        .filter(intake_drafts::id.eq(id))
        .filter(intake_drafts::consumer_id.eq(consumer_id))
        .select(DraftRow::as_select())
        .first(conn)
        .optional()
}

/// At most this many unfiled drafts per consumer.
pub const MAX_OPEN_DRAFTS: usize = 20;

/// The consumer's drafts that are not filed yet, most recent first (at most [`MAX_OPEN_DRAFTS`]).
pub fn open_drafts(conn: &mut DbConnection, consumer_id: i64) -> QueryResult<Vec<DraftRow>> {
    intake_drafts::table
        .filter(intake_drafts::consumer_id.eq(consumer_id))
        .filter(intake_drafts::case_id.is_null())
        .order((intake_drafts::updated_at.desc(), intake_drafts::id.desc()))
        .limit(MAX_OPEN_DRAFTS as i64)
        .select(DraftRow::as_select())
        .load(conn)
}

/// What the registry says about the draft's provider and the schemes concerned.
pub struct Evaluation {
    pub eligibility: Eligibility,
    pub provider: Option<ProviderRow>,
    /// The scheme the complaint is routed to, with its rules in force today.
    pub scheme: Option<(Scheme, SchemeRules, i64)>,
}

/// Runs the eligibility check on the draft with today's registry.
pub fn evaluate(conn: &mut DbConnection, draft: &Draft, today: NaiveDate) -> QueryResult<Evaluation> {
    let provider = match draft.provider_id {
        Some(id) => registry::queries::find_provider(conn, id)?,
        None => None,
    };
    let mut facts = ProviderFacts::default();
    let mut rules: Vec<(Scheme, SchemeRules, i64)> = Vec::new();
    if let Some(p) = &provider {
        facts.found = true;
        let rows = registry::queries::memberships_with_rules_in_force(conn, p.id, today)?;
        for (m, scheme, rules_in_force) in rows {
            let (Ok(kind), Ok(covers)) = (scheme.kind.parse(), scheme.covers.parse()) else {
                continue;
            };
            facts.memberships.push(MembershipFact {
                scheme_id: scheme.id,
                scheme_covers: covers,
                scheme_kind: kind,
                valid_from: m.valid_from,
                valid_until: m.valid_until,
                // An unreadable status is never taken for certified.
                status: m.status.parse().unwrap_or(eligibility::MembershipStatus::OnHold),
            });
            if !rules.iter().any(|(s, _, _)| s.id == scheme.id)
                && let Some(row) = rules_in_force
                && let Ok(parsed) = row.to_rules(&scheme)
            {
                rules.push((scheme, parsed, row.id));
            }
        }
    }
    // Not named yet: the provider check waits. Named but not found, or "not in the list": it fails.
    let named = draft.provider_id.is_some() || draft.provider_unlisted == Some(true);
    let result = if named {
        eligibility::check(
            &draft.answers(),
            &facts,
            |id| rules.iter().find(|(s, _, _)| s.id == id).map(|(_, r, _)| r.clone()),
            today,
        )
    } else {
        eligibility::check_without_provider(&draft.answers(), today)
    };
    let routed = match result.route {
        eligibility::Route::Scheme { scheme_id, .. } | eligibility::Route::ForwardOnly { scheme_id } => Some(scheme_id),
        _ => None,
    };
    let scheme = routed.and_then(|id| rules.into_iter().find(|(s, _, _)| s.id == id));
    Ok(Evaluation {
        eligibility: result,
        provider,
        scheme,
    })
}

/// The day to remind the consumer, when waiting is all that is left (or all that is left besides answers
/// still to give).
pub fn waiting_until(eligibility: &Eligibility, today: NaiveDate) -> Option<NaiveDate> {
    match eligibility.verdict {
        Verdict::NotYet {
            earliest_filing: Some(day),
            ..
        } if day > today => Some(day),
        _ => None,
    }
}

/// Saves a step's answers, the step to resume at, and the reminder day. A new reminder day schedules the
/// reminder job (one per draft and day; an outdated one finds nothing to do when it runs).
pub fn save(
    conn: &mut DbConnection,
    row: &DraftRow,
    draft: &Draft,
    step: Step,
    waiting: Option<NaiveDate>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    crate::db::write_transaction(conn, |conn| {
        let updated = diesel::update(
            intake_drafts::table
                .filter(intake_drafts::id.eq(row.id))
                .filter(intake_drafts::case_id.is_null()),
        )
        .set((
            intake_drafts::answers.eq(to_json(draft)),
            intake_drafts::step.eq(step.as_str()),
            intake_drafts::waiting_until.eq(waiting),
            intake_drafts::updated_at.eq(now),
        ))
        .execute(conn)?;
        if updated == 1
            && let Some(day) = waiting
            && row.waiting_until != Some(day)
        {
            schedule_reminder(conn, row.id, day, now)?;
        }
        Ok(())
    })
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct WaitingOver {
    pub draft_id: i64,
    pub waiting_until: NaiveDate,
}

fn schedule_reminder(conn: &mut DbConnection, draft_id: i64, day: NaiveDate, now: NaiveDateTime) -> QueryResult<()> {
    let run_at = day.and_time(NaiveTime::from_hms_opt(REMINDER_HOUR, 0, 0).unwrap_or_default());
    jobs::enqueue(
        conn,
        WAITING_OVER_JOB,
        &WaitingOver {
            draft_id,
            waiting_until: day,
        },
        run_at,
        Some(&format!("intake-waiting-{draft_id}-{day}")),
        now,
    )
}

/// The reminder job: e-mails the consumer that the answer period is over, once. In one transaction it
/// claims the draft's reminder day (clearing it), so a repeated run, a filed draft, a deleted draft or a
/// reminder day that moved meanwhile sends nothing.
pub fn send_waiting_over(
    conn: &mut DbConnection,
    emails: &EmailTemplates,
    base_url: &str,
    job: &WaitingOver,
    now: NaiveDateTime,
) -> Result<bool, IntakeError> {
    crate::db::write_transaction(conn, |conn| {
        let claimed = diesel::update(
            intake_drafts::table
                .filter(intake_drafts::id.eq(job.draft_id))
                .filter(intake_drafts::case_id.is_null())
                .filter(intake_drafts::waiting_until.eq(job.waiting_until)),
        )
        .set(intake_drafts::waiting_until.eq(None::<NaiveDate>))
        .execute(conn)?;
        if claimed != 1 {
            return Ok(false);
        }
        let (email, name, language, wants, deactivated): (String, String, String, bool, Option<NaiveDateTime>) =
            intake_drafts::table
                .inner_join(users::table)
                .filter(intake_drafts::id.eq(job.draft_id))
                .select((
                    users::email,
                    users::display_name,
                    users::language,
                    users::notify_by_email,
                    users::deactivated_at,
                ))
                .first(conn)?;
        if !wants || deactivated.is_some() {
            return Ok(false);
        }
        let language = Language::from_code(&language).unwrap_or_default();
        let mail = emails.render(
            "intake_waiting_over",
            language,
            &email,
            json!({
                "name": name,
                "date": registry::check::format_date(language, job.waiting_until),
                "link": format!("{base_url}/zaak-indienen/{}/{}", job.draft_id, Step::Review.slug()),
            }),
        )?;
        jobs::enqueue_email(conn, &mail, now)?;
        Ok(true)
    })
}

/// A document on a draft.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct DraftDocument {
    pub id: i64,
    pub kind: String,
    pub file_name: String,
    pub size_bytes: i64,
    pub visibility: String,
}

pub fn draft_documents(conn: &mut DbConnection, draft_id: i64) -> QueryResult<Vec<DraftDocument>> {
    documents::table
        .filter(documents::draft_id.eq(draft_id))
        .order(documents::id)
        .select((
            documents::id,
            documents::kind,
            documents::file_name,
            documents::size_bytes,
            documents::visibility,
        ))
        .load(conn)
}

/// A draft's document for its owner's download: file name, content type, storage key.
pub fn draft_document_file(
    conn: &mut DbConnection,
    draft_id: i64,
    document_id: i64,
) -> QueryResult<Option<(String, String, String)>> {
    documents::table
        .filter(documents::id.eq(document_id))
        .filter(documents::draft_id.eq(draft_id))
        .filter(documents::case_id.is_null())
        .select((documents::file_name, documents::content_type, documents::storage_key))
        .first(conn)
        .optional()
}

/// At most this many files on one draft.
pub const MAX_DRAFT_DOCUMENTS: i64 = 20;

pub fn add_document(
    conn: &mut DbConnection,
    draft_id: i64,
    uploaded_by: i64,
    kind: &str,
    visibility: Visibility,
    stored: &crate::documents::StoredFile,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    diesel::insert_into(documents::table)
        .values((
            documents::draft_id.eq(draft_id),
            documents::uploaded_by.eq(uploaded_by),
            documents::kind.eq(kind),
            documents::file_name.eq(&stored.file_name),
            documents::content_type.eq(stored.content_type),
            documents::size_bytes.eq(stored.size_bytes),
            documents::sha256.eq(&stored.sha256),
            documents::storage_key.eq(&stored.storage_key),
            documents::visibility.eq(visibility.as_str()),
            documents::created_at.eq(now),
        ))
        .returning(documents::id)
        .get_result(conn)
}

/// Removes a document from a draft; returns its storage key so the caller removes the file.
pub fn remove_document(conn: &mut DbConnection, draft_id: i64, document_id: i64) -> QueryResult<Option<String>> {
    let key: Option<String> = documents::table
        .filter(documents::id.eq(document_id))
        .filter(documents::draft_id.eq(draft_id))
        .filter(documents::case_id.is_null())
        .select(documents::storage_key)
        .first(conn)
        .optional()?;
    if key.is_some() {
        diesel::delete(documents::table.find(document_id)).execute(conn)?;
    }
    Ok(key)
}

/// Deletes an unfiled draft with its documents; returns the storage keys to remove.
pub fn delete(conn: &mut DbConnection, draft_id: i64, consumer_id: i64) -> QueryResult<Option<Vec<String>>> {
    crate::db::write_transaction(conn, |conn| {
        let Some(row) = find(conn, draft_id, consumer_id)? else {
            return Ok(None);
        };
        if row.case_id.is_some() {
            return Ok(None);
        }
        let keys: Vec<String> = documents::table
            .filter(documents::draft_id.eq(draft_id))
            .filter(documents::case_id.is_null())
            .select(documents::storage_key)
            .load(conn)?;
        diesel::delete(
            documents::table
                .filter(documents::draft_id.eq(draft_id))
                .filter(documents::case_id.is_null()),
        )
        .execute(conn)?;
        diesel::delete(intake_drafts::table.find(draft_id)).execute(conn)?;
        Ok(Some(keys))
    })
}

/// The result of filing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filed {
    pub case_id: i64,
    pub reference: String,
    /// False when this draft had been filed already (a double submit): nothing new happened.
    pub new: bool,
    pub fee_cents: i64,
}

/// Files the draft as a case, in one transaction: the draft is taken (so a second submit finds the case),
/// checked again against today's registry, given a reference and the rules version in force, written as a
/// case in `submitted` with its event, its documents moved to the case, and the e-mails to the consumer
/// and the secretariat queued.
pub fn file(
    conn: &mut DbConnection,
    emails: &EmailTemplates,
    base_url: &str,
    draft_id: i64,
    consumer_id: i64,
    language: Language,
    now: NaiveDateTime,
) -> Result<Filed, IntakeError> {
    let today = now.date();
    crate::db::write_transaction(conn, |conn| {
        // Touching the row first takes its lock (PostgreSQL) before anything is read; SQLite's
        // BEGIN IMMEDIATE already holds the write lock.
        let row = diesel::update(
            intake_drafts::table
                .filter(intake_drafts::id.eq(draft_id))
                .filter(intake_drafts::consumer_id.eq(consumer_id)),
        )
        .set(intake_drafts::updated_at.eq(now))
        .returning(intake_drafts::all_columns)
        .get_result::<DraftRow>(conn)
        .optional()?
        .ok_or(IntakeError::NotFound)?;
        if let Some(case_id) = row.case_id {
            let (reference, fee_cents): (String, i64) = cases::table
                .find(case_id)
                .select((cases::reference, cases::fee_cents))
                .first(conn)?;
            return Ok(Filed {
                case_id,
                reference,
                new: false,
                fee_cents,
            });
        }
        let draft = row.draft();
        if let Some(step) = draft.first_missing_step() {
            return Err(IntakeError::Incomplete(step));
        }
        if let Some((field, _)) = wizard::check_draft(&draft, today).iter().next() {
            let step = Step::ALL
                .into_iter()
                .find(|s| wizard::step_fields(*s).contains(&field) || field == "claim_cents" && *s == Step::Wish)
                .unwrap_or(Step::Provider);
            return Err(IntakeError::Incomplete(step));
        }
        let evaluation = evaluate(conn, &draft, today)?;
        let (Verdict::Eligible { .. }, Some((scheme, rules, rules_id)), Some(provider)) = (
            evaluation.eligibility.verdict,
            evaluation.scheme.as_ref(),
            evaluation.provider.as_ref(),
        ) else {
            return Err(IntakeError::NotEligible(Box::new(evaluation.eligibility)));
        };
        let (Some(category), Some(complaint_date), Some(channel)) = (
            draft.category,
            draft.written_complaint_date,
            draft.written_complaint_channel,
        ) else {
            return Err(IntakeError::Incomplete(Step::Complaint));
        };
        // The reference's number is taken last: its counter row stays locked until the transaction
        // commits, so every other filing of the scheme and year waits that long. Taken first, the
        // lock covered the whole filing (PostgreSQL: waits of 100 ms at 32 connections,
        // docs/PERFORMANCE.md item 22); the case is written under a placeholder until then.
        let placeholder = format!("filing-{draft_id}");
        let fee_due = rules.fee_due();
        let fee_cents = if fee_due { rules.complaint_fee_cents } else { 0 };
        let due_on = lifecycle::deadline_for(CaseState::Submitted, rules, today, false);
        let case_id: i64 = diesel::insert_into(cases::table)
            .values((
                cases::reference.eq(&placeholder),
                cases::scheme_id.eq(scheme.id),
                cases::rules_id.eq(*rules_id),
                cases::consumer_id.eq(consumer_id),
                cases::provider_id.eq(provider.id),
                cases::category.eq(category.as_str()),
                cases::language.eq(language.code()),
                cases::state.eq(CaseState::Submitted.as_str()),
                cases::state_entered_at.eq(now),
                cases::state_due_on.eq(due_on),
                cases::contract_date.eq(draft.contract_date),
                cases::written_complaint_date.eq(complaint_date),
                cases::written_complaint_channel.eq(channel.as_str()),
                cases::provider_answer_date.eq(draft.provider_answer_date),
                cases::provider_final_answer.eq(draft.provider_answer == Some(wizard::ProviderAnswer::FinalAnswer)),
                cases::claim_cents.eq(draft.claim_cents),
                cases::desired_outcome.eq(draft.desired_outcome.clone().unwrap_or_default()),
                cases::description.eq(draft.description.clone().unwrap_or_default()),
                cases::private_note.eq(draft.private_note.clone().unwrap_or_default()),
                cases::fee_cents.eq(fee_cents),
                cases::fee_status.eq(if fee_due { "due" } else { "none" }),
                cases::submitted_at.eq(now),
                cases::updated_at.eq(now),
            ))
            .returning(cases::id)
            .get_result(conn)?;
        diesel::insert_into(case_events::table)
            .values((
                case_events::case_id.eq(case_id),
                case_events::at.eq(now),
                case_events::actor_id.eq(consumer_id),
                case_events::actor_role.eq("consumer"),
                case_events::kind.eq("filed"),
                case_events::to_state.eq(CaseState::Submitted.as_str()),
                case_events::detail.eq(json!({
                    "draft_id": draft_id,
                    "rules_id": rules_id,
                    "due_on": due_on,
                    "checks": evaluation.eligibility.checks.iter()
                        .map(|c| json!({ "check": c.check.as_str(), "outcome": c.outcome.as_str(), "reason": c.reason.code() }))
                        .collect::<Vec<_>>(),
                })
                .to_string()),
            ))
            .execute(conn)?;
        crate::statistics::aggregates::mark(conn, case_id, now)?;
        diesel::update(documents::table.filter(documents::draft_id.eq(draft_id)))
            .set((documents::case_id.eq(case_id), documents::draft_id.eq(None::<i64>)))
            .execute(conn)?;
        // The draft is consumed: it keeps only the link to its case.
        diesel::update(intake_drafts::table.find(draft_id))
            .set((
                intake_drafts::case_id.eq(case_id),
                intake_drafts::answers.eq("{}"),
                intake_drafts::waiting_until.eq(None::<NaiveDate>),
                intake_drafts::step.eq(Step::Review.as_str()),
            ))
            .execute(conn)?;
        let recipients = filing_recipients(conn, consumer_id)?;
        let reference = crate::cases::next_reference(conn, scheme.id, &scheme.reference_prefix, today.year())?;
        diesel::update(cases::table.find(case_id))
            .set(cases::reference.eq(&reference))
            .execute(conn)?;
        notify_filed(
            conn,
            emails,
            base_url,
            recipients,
            case_id,
            &reference,
            fee_cents,
            &scheme.name,
            &provider.legal_name,
            now,
        )?;
        Ok(Filed {
            case_id,
            reference,
            new: true,
            fee_cents,
        })
    })
}

/// Who is told of a filing: the consumer and the secretariat who take e-mail (id, address, name,
/// language).
struct FilingRecipients {
    consumer: (String, String, String),
    secretariat: Vec<(i64, String, String, String)>,
}

/// The consumer and the secretariat who take e-mail, in one query.
fn filing_recipients(conn: &mut DbConnection, consumer_id: i64) -> Result<FilingRecipients, IntakeError> {
    let (consumer, secretariat): (Vec<_>, Vec<_>) = users::table
        .filter(
            users::id.eq(consumer_id).or(users::role
                .eq(crate::accounts::Role::Secretariat.as_str())
                .and(users::deactivated_at.is_null())
                .and(users::email_confirmed_at.is_not_null())
                .and(users::notify_by_email.eq(true))),
        )
        .select((users::id, users::email, users::display_name, users::language))
        .load::<(i64, String, String, String)>(conn)?
        .into_iter()
        .partition(|(id, ..)| *id == consumer_id);
    let Some((_, email, name, language)) = consumer.into_iter().next() else {
        return Err(diesel::result::Error::NotFound.into());
    };
    Ok(FilingRecipients {
        consumer: (email, name, language),
        secretariat,
    })
}

#[expect(clippy::too_many_arguments, reason = "the facts of one filing notice")]
fn notify_filed(
    conn: &mut DbConnection,
    emails: &EmailTemplates,
    base_url: &str,
    recipients: FilingRecipients,
    case_id: i64,
    reference: &str,
    fee_cents: i64,
    scheme_name: &str,
    provider_name: &str,
    now: NaiveDateTime,
) -> Result<(), IntakeError> {
    let link = format!("{base_url}/zaken/{case_id}");
    let (email, name, language) = recipients.consumer;
    let secretariat = recipients.secretariat;
    let language = Language::from_code(&language).unwrap_or_default();
    let mut mails = Vec::new();
    mails.push(emails.render(
        "intake_filed",
        language,
        &email,
        json!({
            "name": name,
            "reference": reference,
            "scheme": scheme_name,
            "provider": provider_name,
            "fee": (fee_cents > 0).then(|| crate::web::templates::format_euros(fee_cents)),
            "link": link,
        }),
    )?);
    for (_, email, name, language) in secretariat {
        let language = Language::from_code(&language).unwrap_or_default();
        mails.push(emails.render(
            "intake_new_case",
            language,
            &email,
            json!({
                "name": name,
                "reference": reference,
                "scheme": scheme_name,
                "provider": provider_name,
                "link": link,
            }),
        )?);
    }
    jobs::enqueue_emails(conn, &mails, now)?;
    Ok(())
}

/// The worker's entry for [`WAITING_OVER_JOB`].
pub async fn run_waiting_over(context: &crate::startup::WorkerContext, payload: &str) -> Result<(), String> {
    let job: WaitingOver = serde_json::from_str(payload).map_err(|e| format!("bad payload: {e}"))?;
    let emails = context.emails.clone();
    let base_url = context.settings.base_url().to_owned();
    context
        .db
        .run(move |conn| send_waiting_over(conn, &emails, &base_url, &job, chrono::Utc::now().naive_utc()))
        .await
        .map(|sent| tracing::info!(sent, "waiting-period reminder handled"))
        .map_err(|e| e.to_string())
}

/// What the forwarded complaint says.
pub struct Forwarding<'a> {
    pub draft_id: i64,
    pub consumer_name: &'a str,
    pub consumer_email: &'a str,
    pub consumer_language: Language,
    pub provider_name: &'a str,
    pub provider_email: &'a str,
    pub scheme_name: &'a str,
    pub draft: &'a Draft,
}

/// Forwards the complaint to a member that cannot mediate (not certified, on hold): an e-mail to the
/// provider's complaint address in Dutch, with the consumer's address to answer to, and a copy to the
/// consumer. Once per draft: `false` when it was forwarded (or filed) already.
pub fn forward(
    conn: &mut DbConnection,
    emails: &EmailTemplates,
    forwarding: &Forwarding<'_>,
    now: NaiveDateTime,
) -> Result<bool, IntakeError> {
    crate::db::write_transaction(conn, |conn| {
        let claimed = diesel::update(
            intake_drafts::table
                .filter(intake_drafts::id.eq(forwarding.draft_id))
                .filter(intake_drafts::case_id.is_null())
                .filter(intake_drafts::forwarded_at.is_null()),
        )
        .set(intake_drafts::forwarded_at.eq(Some(now)))
        .execute(conn)?;
        if claimed != 1 {
            return Ok(false);
        }
        let draft = forwarding.draft;
        let category = |language| {
            draft
                .category
                .map(|c| crate::i18n::translate(language, &format!("category-{}", c.as_str())))
                .unwrap_or_default()
        };
        let data = |language| {
            json!({
                "consumer": forwarding.consumer_name,
                "consumer_email": forwarding.consumer_email,
                "provider": forwarding.provider_name,
                "scheme": forwarding.scheme_name,
                "category": category(language),
                "customer_number": draft.customer_number.clone().unwrap_or_default(),
                "description": draft.description.clone().unwrap_or_default(),
                "desired_outcome": draft.desired_outcome.clone().unwrap_or_default(),
                "claim": draft.claim_cents.filter(|c| *c > 0).map(crate::web::templates::format_euros),
            })
        };
        let to_provider = emails.render(
            "intake_forwarded",
            Language::Nl,
            forwarding.provider_email,
            data(Language::Nl),
        )?;
        jobs::enqueue_email(conn, &to_provider, now)?;
        let copy = emails.render(
            "intake_forwarded",
            forwarding.consumer_language,
            forwarding.consumer_email,
            data(forwarding.consumer_language),
        )?;
        jobs::enqueue_email(conn, &copy, now)?;
        Ok(true)
    })
}
