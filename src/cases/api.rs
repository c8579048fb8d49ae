//! The JSON API for cases (`/api/v1/cases…`), for providers' ticketing systems and the secretariat's
//! tools: list and read one's cases, take a step of the procedure, post to the thread, add and fetch
//! documents. Personal API tokens (`Authorization: Bearer`) authenticate; writing needs a token with the
//! `write` scope. Every call goes through the same `cases::service` functions as the pages, so the
//! same policy, state machine and validation apply.

use actix_multipart::Multipart;
use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::handlers::{ListQuery, PAGE_SIZE, attachment, filter_for, read_upload_form, upload_from};
use super::lifecycle::{self, CaseState};
use super::queries::{self, CaseListItem, DueCursor};
use super::service::{self, DocumentListing, PostedMessage, StoredDocument};
use super::thread;
use crate::accounts::api_tokens::ApiCaller;
use crate::db::schema::{case_events, providers, users};
use crate::policy;
use crate::web::error::{AppError, AppResult};

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(list)
        .service(read)
        .service(take_action)
        .service(post_message)
        .service(upload_document)
        .service(download_document);
}

/// One page of the caller's cases, sorted by due date (none last), then id.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CasePage {
    pub items: Vec<CaseListItem>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next: Option<String>,
}

/// The caller's cases, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/cases",
    tag = "cases",
    security(("bearer" = [])),
    params(
        ("state" = Option<String>, Query, description = "Only cases in this state"),
        ("scheme" = Option<i64>, Query, description = "Only cases of this scheme (id)"),
        ("overdue" = Option<String>, Query, description = "Any value: only cases past their due date"),
        ("after" = Option<String>, Query, description = "The `next` cursor of the previous page")
    ),
    responses(
        (status = 200, description = "One page of cases", body = CasePage),
        (status = 400, description = "`after` is not a cursor", content_type = "application/problem+json"),
        (status = 401, description = "No valid token", content_type = "application/problem+json")
    )
)]
#[get("/api/v1/cases")]
pub async fn list(
    caller: ApiCaller,
    state: web::Data<crate::startup::AppState>,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let filter = filter_for(&caller.actor, &query);
    let cursor = match query.after.as_deref() {
        Some(raw) => Some(DueCursor::decode(raw).ok_or_else(|| AppError::BadRequest("after is not a cursor".into()))?),
        None => None,
    };
    let mut items = state
        .db
        .run(move |conn| -> Result<_, AppError> {
            Ok(match &filter {
                Some(filter) => queries::list_cases(conn, filter, cursor, PAGE_SIZE + 1)?,
                None => Vec::new(),
            })
        })
        .await?;
    let next = (items.len() as i64 > PAGE_SIZE).then(|| {
        items.truncate(PAGE_SIZE as usize);
        let last = items.last().expect("a full page");
        DueCursor {
            due: last.state_due_on,
            id: last.id,
        }
        .encode()
    });
    Ok(HttpResponse::Ok().json(CasePage { items, next }))
}

/// A case as the caller may see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseFile {
    pub id: i64,
    pub reference: String,
    pub scheme: String,
    pub state: String,
    /// Who must act now: `consumer`, `provider`, `mediator`, `secretariat` or `nobody`.
    pub who_acts: &'static str,
    pub due_on: Option<NaiveDate>,
    /// The 90-day target once the file is complete.
    pub outcome_due_on: Option<NaiveDate>,
    /// Checked by every step: send it back as `version` so a step on a stale view is refused.
    pub version: i32,
    pub category: String,
    pub language: String,
    pub provider: String,
    pub consumer: String,
    /// Only for those who may contact the consumer (not the provider).
    pub consumer_email: Option<String>,
    pub contract_date: Option<NaiveDate>,
    pub written_complaint_date: NaiveDate,
    pub written_complaint_channel: String,
    pub claim_cents: Option<i64>,
    pub desired_outcome: String,
    pub description: String,
    /// The private part: only for the provider, the mediator and the secretariat.
    pub private_note: Option<String>,
    #[serde(serialize_with = "crate::web::utc::serialize")]
    pub submitted_at: NaiveDateTime,
    /// The steps the caller may take now (`POST …/actions`).
    pub actions: Vec<&'static str>,
    pub messages: Vec<MessageOut>,
    pub documents: Vec<DocumentListing>,
    pub events: Vec<EventOut>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MessageOut {
    pub id: i64,
    pub author: String,
    pub author_role: String,
    pub body: String,
    pub visibility: String,
    /// `visible`, `held` (only the author and the secretariat see it) or `removed`.
    pub moderation: String,
    pub reply_due_on: Option<NaiveDate>,
    #[serde(serialize_with = "crate::web::utc::serialize")]
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Serialize, Queryable, utoipa::ToSchema)]
pub struct EventOut {
    #[serde(serialize_with = "crate::web::utc::serialize")]
    pub at: NaiveDateTime,
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub actor: Option<String>,
}

/// One case with its thread, documents, events and the steps the caller may take.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}",
    tag = "cases",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case id")),
    responses(
        (status = 200, description = "The case as the caller may see it", body = CaseFile),
        (status = 401, description = "No valid token", content_type = "application/problem+json"),
        (status = 404, description = "No such case, or not one of the caller's", content_type = "application/problem+json")
    )
)]
#[get("/api/v1/cases/{id}")]
pub async fn read(
    caller: ApiCaller,
    state: web::Data<crate::startup::AppState>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let actor = caller.actor;
    let (case, parties) = service::visible_case(&state, actor, path.into_inner()).await?;
    let relation = policy::relation(&actor, &parties);
    let procedure_role = super::transition::procedure_role(&actor, relation).ok_or(AppError::NotFound)?;
    let loaded = state
        .db
        .run({
            let case = case.clone();
            move |conn| -> Result<_, AppError> {
                let rules = super::transition::rules_of(conn, &case)?;
                let provider: String = providers::table
                    .find(case.provider_id)
                    .select(providers::legal_name)
                    .first(conn)?;
                let consumer: (String, String) = users::table
                    .find(case.consumer_id)
                    .select((users::display_name, users::email))
                    .first(conn)?;
                let messages = thread::visible_messages(conn, case.id, &actor, &parties)?;
                let documents = service::visible_documents(conn, case.id, &actor, &parties)?;
                let events: Vec<EventOut> = case_events::table
                    .left_join(users::table.on(users::id.nullable().eq(case_events::actor_id)))
                    .filter(case_events::case_id.eq(case.id))
                    .order(case_events::id)
                    .select((
                        case_events::at,
                        case_events::kind,
                        case_events::from_state,
                        case_events::to_state,
                        users::display_name.nullable(),
                    ))
                    .load(conn)?;
                Ok((rules, provider, consumer, messages, documents, events, parties))
            }
        })
        .await?;
    let (rules, provider, consumer, messages, documents, events, parties) = loaded;
    let case_state: CaseState = case
        .state
        .parse()
        .map_err(|_| AppError::internal("unknown case state"))?;
    let actions = lifecycle::allowed_actions(
        rules.rules.scheme_kind,
        rules.rules.fee_due(),
        case_state,
        procedure_role,
    )
    .into_iter()
    .filter(|a| !service::OWN_FORMS.contains(a))
    .map(|a| a.as_str())
    .collect();
    let sees_private = policy::can_view(
        &actor,
        &parties,
        policy::CaseResource::Message(policy::Visibility::ProviderAndMediator),
    );
    Ok(HttpResponse::Ok().json(CaseFile {
        id: case.id,
        reference: case.reference,
        scheme: rules.scheme_name,
        state: case.state,
        who_acts: super::handlers::who_acts(case_state).trim_start_matches("who-acts-"),
        due_on: case.state_due_on,
        outcome_due_on: case.outcome_due_on,
        version: case.version,
        category: case.category,
        language: case.language,
        provider,
        consumer: consumer.0,
        consumer_email: policy::sees_consumer_contact(&actor, &parties).then_some(consumer.1),
        contract_date: case.contract_date,
        written_complaint_date: case.written_complaint_date,
        written_complaint_channel: case.written_complaint_channel,
        claim_cents: case.claim_cents,
        desired_outcome: case.desired_outcome,
        description: case.description,
        private_note: sees_private.then_some(case.private_note),
        submitted_at: case.submitted_at,
        actions,
        messages: messages
            .into_iter()
            .map(|m| MessageOut {
                id: m.id,
                author: m.author_name,
                author_role: m.author_role,
                body: m.body,
                visibility: m.visibility,
                moderation: m.moderation,
                reply_due_on: m.reply_due_on,
                created_at: m.created_at,
            })
            .collect(),
        documents,
        events,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct ActionIn {
    pub action: String,
    pub version: i32,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActionOut {
    pub from: &'static str,
    pub state: &'static str,
    pub version: i32,
}

/// Takes a step of the procedure (one of the case's `actions`), checked against `version`.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/actions",
    tag = "cases",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case id")),
    request_body = ActionIn,
    responses(
        (status = 200, description = "The step was taken", body = ActionOut),
        (status = 400, description = "Unknown action, or a note that is needed or too long", content_type = "application/problem+json"),
        (status = 401, description = "No valid token", content_type = "application/problem+json"),
        (status = 403, description = "The token may only read (`read` scope)", content_type = "application/problem+json"),
        (status = 404, description = "No such case, or not one of the caller's", content_type = "application/problem+json"),
        (status = 409, description = "The step is not possible now, or `version` is stale", content_type = "application/problem+json")
    )
)]
#[post("/api/v1/cases/{id}/actions")]
pub async fn take_action(
    caller: ApiCaller,
    state: web::Data<crate::startup::AppState>,
    path: web::Path<i64>,
    body: web::Json<ActionIn>,
) -> AppResult<HttpResponse> {
    caller.require_write()?;
    let applied = service::take_action(
        &state,
        caller.actor,
        path.into_inner(),
        &body.action,
        body.version,
        &body.note,
    )
    .await?;
    Ok(HttpResponse::Ok().json(ActionOut {
        from: applied.from.as_str(),
        state: applied.to.as_str(),
        version: applied.version,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct MessageIn {
    pub body: String,
    #[serde(default = "everyone")]
    pub visibility: String,
    #[serde(default)]
    pub ask_reaction: bool,
}

/// The `multipart/form-data` body of a document upload (for the OpenAPI document only).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct DocumentUpload {
    /// The file (PDF, image, text, office document; sniffed by content).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// What the document is (for example `evidence`).
    kind: Option<String>,
    /// Who may see it: `everyone` (default) or a narrower circle.
    visibility: Option<String>,
}

fn everyone() -> String {
    "everyone".into()
}

/// Posts a message to the case's thread.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/messages",
    tag = "cases",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case id")),
    request_body = MessageIn,
    responses(
        (status = 201, description = "Posted (or held for moderation)", body = PostedMessage),
        (status = 400, description = "Empty or too long body, unknown visibility, or a reaction the caller may not ask", content_type = "application/problem+json"),
        (status = 401, description = "No valid token", content_type = "application/problem+json"),
        (status = 403, description = "The token may only read (`read` scope)", content_type = "application/problem+json"),
        (status = 404, description = "No such case, or not one of the caller's", content_type = "application/problem+json"),
        (status = 409, description = "The case is closed for messages", content_type = "application/problem+json")
    )
)]
#[post("/api/v1/cases/{id}/messages")]
pub async fn post_message(
    caller: ApiCaller,
    state: web::Data<crate::startup::AppState>,
    path: web::Path<i64>,
    body: web::Json<MessageIn>,
) -> AppResult<HttpResponse> {
    caller.require_write()?;
    let MessageIn {
        body,
        visibility,
        ask_reaction,
    } = body.into_inner();
    let posted: PostedMessage = service::post_message(
        &state,
        caller.actor,
        path.into_inner(),
        &body,
        &visibility,
        ask_reaction,
    )
    .await?;
    Ok(HttpResponse::Created().json(posted))
}

/// `multipart/form-data` with `file`, and optionally `kind` and `visibility`.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/documents",
    tag = "cases",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case id")),
    request_body(content = DocumentUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = StoredDocument),
        (status = 400, description = "No file, an unknown kind or visibility, or a file type that is not accepted", content_type = "application/problem+json"),
        (status = 401, description = "No valid token", content_type = "application/problem+json"),
        (status = 403, description = "The token may only read (`read` scope)", content_type = "application/problem+json"),
        (status = 404, description = "No such case, or not one of the caller's", content_type = "application/problem+json"),
        (status = 409, description = "The case is closed", content_type = "application/problem+json"),
        (status = 413, description = "Larger than the upload limit", content_type = "application/problem+json")
    )
)]
#[post("/api/v1/cases/{id}/documents")]
pub async fn upload_document(
    caller: ApiCaller,
    state: web::Data<crate::startup::AppState>,
    path: web::Path<i64>,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    caller.require_write()?;
    let case_id = path.into_inner();
    service::visible_case(&state, caller.actor, case_id).await?;
    let form = read_upload_form(payload, state.settings.upload_max_bytes).await?;
    let stored: StoredDocument = service::add_document(&state, caller.actor, case_id, upload_from(form)?).await?;
    Ok(HttpResponse::Created().json(stored))
}

/// The file itself, as an attachment.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/documents/{document}",
    tag = "cases",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "The case id"),
        ("document" = i64, Path, description = "The document id")
    ),
    responses(
        // The accepted kinds of `documents::ACCEPTED`; a test keeps the two lists equal.
        (status = 200, description = "The file, with its stored content type", content(
            (Vec<u8> = "application/pdf"),
            (Vec<u8> = "image/png"),
            (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "image/gif"),
            (Vec<u8> = "image/webp"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (Vec<u8> = "application/vnd.oasis.opendocument.text"),
            (Vec<u8> = "application/vnd.oasis.opendocument.spreadsheet"),
            (Vec<u8> = "text/plain")
        )),
        (status = 401, description = "No valid token", content_type = "application/problem+json"),
        (status = 404, description = "No such case or document, or not visible to the caller", content_type = "application/problem+json")
    )
)]
#[get("/api/v1/cases/{id}/documents/{document}")]
pub async fn download_document(
    caller: ApiCaller,
    state: web::Data<crate::startup::AppState>,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (case_id, document_id) = path.into_inner();
    let (file_name, content_type, bytes) = service::read_document(&state, caller.actor, case_id, document_id).await?;
    Ok(attachment(file_name, content_type, bytes))
}
