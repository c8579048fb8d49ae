//! The operations on a case that both the pages (`cases::handlers`) and the JSON API (`cases::api`)
//! offer: finding a case the caller may see, taking a step of the procedure, posting to the thread,
//! adding and reading documents. Each checks who asks and what they sent; the edges only translate
//! forms or JSON into these calls and the answers into redirects or JSON.

use actix_web::web;
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::lifecycle::{Action, CaseState};
use super::queries::{self, CaseRow};
use super::thread::{self, NewMessage};
use super::transition::{self, Applied, By, Change, Request};
use crate::db::schema::{documents, users};
use crate::db::{DbConnection, on_backend};
use crate::documents::{self as docs, StoreError};
use crate::policy::{self, Actor, CaseParties, CaseResource, Relation, Visibility};
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};

/// Steps with their own forms, which write their own rows (offers, rulings, hearings, compliance and the
/// guarantee) or carry more than a note (a refusal names its grounds), not taken through `take_action`.
pub const OWN_FORMS: [Action; 8] = [
    Action::Refuse,
    Action::AcceptSettlement,
    Action::IssueRuling,
    Action::ScheduleHearing,
    Action::ReportCompliance,
    Action::ConfirmCompliance,
    Action::ReportNonCompliance,
    Action::GuaranteePaid,
];

/// Steps whose text goes into the thread as a message everyone in the case reads.
pub fn carries_text(action: Action) -> bool {
    matches!(
        action,
        Action::RequestInformation
            | Action::ProvideInformation
            | Action::Refuse
            | Action::SubmitDefence
            | Action::ContestAdmissibility
            | Action::SubmitReply
            | Action::DeclareNotAdmissible
            | Action::ReportCompliance
            | Action::ReportNonCompliance
    )
}

pub const DOCUMENT_KINDS: [&str; 9] = [
    "written_complaint",
    "provider_answer",
    "invoice",
    "contract",
    "defence",
    "expert_report",
    "compliance_evidence",
    "correspondence",
    "other",
];

/// Loads a case the actor may see, or 404.
pub async fn visible_case(
    state: &web::Data<AppState>,
    actor: Actor,
    case_id: i64,
) -> AppResult<(CaseRow, CaseParties)> {
    let found = state
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(queries::case_with_parties(conn, case_id)?) })
        .await?;
    let (case, parties) = found.ok_or(AppError::NotFound)?;
    policy::ensure(policy::can_view_case(&actor, &parties))?;
    Ok((case, parties))
}

fn ensure_open(case: &CaseRow) -> AppResult<()> {
    let state: CaseState = case
        .state
        .parse()
        .map_err(|_| AppError::internal("unknown case state"))?;
    if state.is_open() {
        Ok(())
    } else {
        Err(AppError::Conflict("the case is closed".into()))
    }
}

/// A visibility the actor may choose for what they post, or 400.
fn choosable_visibility(relation: Relation, code: &str) -> AppResult<Visibility> {
    let visibility: Visibility = code
        .parse()
        .map_err(|_| AppError::BadRequest("unknown visibility".into()))?;
    if !thread::choosable_visibilities(relation).contains(&visibility) {
        return Err(AppError::BadRequest("that visibility is not available to you".into()));
    }
    Ok(visibility)
}

/// Takes a step of the procedure; a step with text also posts the text to the thread.
pub async fn take_action(
    state: &web::Data<AppState>,
    actor: Actor,
    case_id: i64,
    action: &str,
    version: i32,
    note: &str,
) -> AppResult<Applied> {
    let (case, parties) = visible_case(state, actor, case_id).await?;
    let action: Action = action
        .parse()
        .map_err(|_| AppError::BadRequest("unknown action".into()))?;
    if OWN_FORMS.contains(&action) {
        return Err(AppError::BadRequest("this step has its own form".into()));
    }
    let note = note.trim().to_owned();
    if carries_text(action) && note.is_empty() {
        return Err(AppError::BadRequest("this step needs an explanation".into()));
    }
    if note.chars().count() > thread::MAX_MESSAGE_CHARS {
        return Err(AppError::BadRequest("the text is too long".into()));
    }
    let now = Utc::now().naive_utc();
    let held = state.moderation.needs_review(&note);
    let state = state.clone();
    state
        .db
        .run({
            let state = state.clone();
            move |conn| -> Result<Applied, AppError> {
                crate::db::write_transaction(conn, |conn| -> Result<Applied, AppError> {
                    let applied = transition::apply(
                        conn,
                        &state.emails,
                        state.settings.base_url(),
                        Request {
                            case_id,
                            change: Change::Act(action),
                            by: By::User(&actor),
                            expected_version: Some(version),
                            note: (!note.is_empty()).then(|| note.clone()),
                            detail: json!({}),
                        },
                        now,
                    )?;
                    if carries_text(action) {
                        let message = NewMessage {
                            case: &case,
                            parties: &parties,
                            author: &actor,
                            body: &note,
                            visibility: Visibility::Everyone,
                            held,
                            reply_due_on: None,
                        };
                        thread::post(conn, &state.emails, state.settings.base_url(), message, now)?;
                    }
                    Ok(applied)
                })
            }
        })
        .await
}

/// A message as posted.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct PostedMessage {
    pub id: i64,
    /// Held for the secretariat's moderation instead of shown.
    pub held: bool,
}

/// Posts to the thread. Only the mediator and the secretariat may ask for a reaction (within the
/// scheme's reaction term).
pub async fn post_message(
    state: &web::Data<AppState>,
    actor: Actor,
    case_id: i64,
    body: &str,
    visibility: &str,
    ask_reaction: bool,
) -> AppResult<PostedMessage> {
    let (case, parties) = visible_case(state, actor, case_id).await?;
    let relation = policy::relation(&actor, &parties);
    let body = body.trim().to_owned();
    if body.is_empty() || body.chars().count() > thread::MAX_MESSAGE_CHARS {
        return Err(AppError::BadRequest(
            "a message needs text, at most 10,000 characters".into(),
        ));
    }
    let visibility = choosable_visibility(relation, visibility)?;
    ensure_open(&case)?;
    let now = Utc::now().naive_utc();
    let asks_reaction = ask_reaction && matches!(relation, Relation::Mediator | Relation::Secretariat);
    let held = state.moderation.needs_review(&body);
    let state = state.clone();
    state
        .db
        .run({
            let state = state.clone();
            move |conn| -> Result<PostedMessage, AppError> {
                let reply_due_on = if asks_reaction {
                    Some(
                        transition::rules_of(conn, &case)?
                            .rules
                            .reaction_term
                            .add_to(now.date()),
                    )
                } else {
                    None
                };
                let message = NewMessage {
                    case: &case,
                    parties: &parties,
                    author: &actor,
                    body: &body,
                    visibility,
                    held,
                    reply_due_on,
                };
                let id = thread::post(conn, &state.emails, state.settings.base_url(), message, now)?;
                Ok(PostedMessage { id, held })
            }
        })
        .await
}

/// A file sent for the case, as read from a multipart body.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub kind: String,
    pub visibility: String,
}

/// A document as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StoredDocument {
    pub id: i64,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
}

/// Checks (by content, size, kind, visibility) and stores a document for the case, with its event.
pub async fn add_document(
    state: &web::Data<AppState>,
    actor: Actor,
    case_id: i64,
    upload: Upload,
) -> AppResult<StoredDocument> {
    let (case, parties) = visible_case(state, actor, case_id).await?;
    ensure_open(&case)?;
    let relation = policy::relation(&actor, &parties);
    let visibility = choosable_visibility(relation, &upload.visibility)?;
    if !DOCUMENT_KINDS.contains(&upload.kind.as_str()) {
        return Err(AppError::BadRequest("unknown document kind".into()));
    }
    let storage = state.settings.storage_dir();
    let max = state.settings.upload_max_bytes;
    let now = Utc::now().naive_utc();
    state
        .db
        .run(move |conn| -> Result<StoredDocument, AppError> {
            let stored = docs::store(&storage, &upload.file_name, &upload.bytes, max).map_err(|e| match e {
                StoreError::Problem(docs::UploadProblem::TooLarge) => AppError::PayloadTooLarge,
                StoreError::Problem(problem) => AppError::BadRequest(problem.message_key().into()),
                StoreError::Io(io) => AppError::internal(io),
            })?;
            crate::db::write_transaction(conn, |conn| -> Result<StoredDocument, AppError> {
                let id: i64 = diesel::insert_into(documents::table)
                    .values((
                        documents::case_id.eq(case_id),
                        documents::uploaded_by.eq(actor.user_id),
                        documents::kind.eq(&upload.kind),
                        documents::file_name.eq(&stored.file_name),
                        documents::content_type.eq(stored.content_type),
                        documents::size_bytes.eq(stored.size_bytes),
                        documents::sha256.eq(&stored.sha256),
                        documents::storage_key.eq(&stored.storage_key),
                        documents::visibility.eq(visibility.as_str()),
                        documents::created_at.eq(now),
                    ))
                    .returning(documents::id)
                    .get_result(conn)?;
                let detail = json!({ "document_id": id, "sha256": stored.sha256, "visibility": visibility.as_str() });
                queries::record_event(conn, case_id, &actor, "document_uploaded", detail, now)?;
                Ok(StoredDocument {
                    id,
                    file_name: stored.file_name.clone(),
                    content_type: stored.content_type.to_owned(),
                    size_bytes: stored.size_bytes,
                    sha256: stored.sha256.clone(),
                })
            })
        })
        .await
}

/// One document of the case, as listed.
#[derive(Debug, Clone, Queryable, Serialize, utoipa::ToSchema)]
pub struct DocumentListing {
    pub id: i64,
    pub file_name: String,
    pub kind: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub visibility: String,
    #[serde(serialize_with = "crate::web::utc::serialize")]
    pub created_at: NaiveDateTime,
    pub uploaded_by: String,
}

/// The case's documents this actor may see, oldest first.
pub fn visible_documents(
    conn: &mut DbConnection,
    case_id: i64,
    actor: &Actor,
    parties: &CaseParties,
) -> QueryResult<Vec<DocumentListing>> {
    // Read on every view of the case page: on the backend's own connection (`db::on_backend`).
    let all: Vec<DocumentListing> = on_backend!(conn, |c| documents::table
        .inner_join(users::table.on(users::id.eq(documents::uploaded_by)))
        .filter(documents::case_id.eq(case_id))
        .order(documents::id)
        .select((
            documents::id,
            documents::file_name,
            documents::kind,
            documents::content_type,
            documents::size_bytes,
            documents::sha256,
            documents::visibility,
            documents::created_at,
            users::display_name,
        ))
        .load(c))?;
    Ok(visible(all, actor, parties))
}

/// The documents of a case that `actor` may read, of all of them.
pub fn visible(all: Vec<DocumentListing>, actor: &Actor, parties: &CaseParties) -> Vec<DocumentListing> {
    all.into_iter()
        .filter(|d| {
            let visibility = d.visibility.parse().unwrap_or(Visibility::MediatorOnly);
            policy::can_view(actor, parties, CaseResource::Document(visibility))
        })
        .collect()
}

/// A document's bytes with its name and type, if the actor may read it.
pub async fn read_document(
    state: &web::Data<AppState>,
    actor: Actor,
    case_id: i64,
    document_id: i64,
) -> AppResult<(String, String, Vec<u8>)> {
    let (_, parties) = visible_case(state, actor, case_id).await?;
    let storage = state.settings.storage_dir();
    let found = state
        .db
        .run(move |conn| -> Result<_, AppError> {
            Ok(documents::table
                .filter(documents::id.eq(document_id))
                .filter(documents::case_id.eq(case_id))
                .select((
                    documents::file_name,
                    documents::content_type,
                    documents::storage_key,
                    documents::visibility,
                ))
                .first::<(String, String, String, String)>(conn)
                .optional()?)
        })
        .await?;
    let (file_name, content_type, key, visibility) = found.ok_or(AppError::NotFound)?;
    let visibility: Visibility = visibility.parse().unwrap_or(Visibility::MediatorOnly);
    policy::ensure(policy::can_view(&actor, &parties, CaseResource::Document(visibility)))?;
    let path = docs::path_for(&storage, &key).ok_or(AppError::NotFound)?;
    let bytes = tokio::fs::read(&path).await.map_err(|e| {
        tracing::error!(%e, key, "a stored document is missing");
        AppError::NotFound
    })?;
    Ok((file_name, content_type, bytes))
}
