//! The case pages: one page per case with each role's own view of it (status, next step
//! and who acts by when, timeline, parties, amounts, documents, thread, and the actions
//! this user may take now), the actions themselves, the thread, documents, moderation,
//! and the dashboards.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use super::lifecycle::{self, Action, CaseState};
use super::queries::{self, CaseFilter, CaseListItem, CaseRow, DueCursor};
use super::thread::{self, NewMessage};
use super::transition::{self, By, Change, Request};
use crate::accounts::Role;
use crate::accounts::identity::CurrentUser;
use crate::db::schema::{case_assignments, case_events, documents, providers, users};
use crate::documents::{self as docs, StoreError};
use crate::policy::{self, Actor, CaseParties, CaseResource, Relation, Visibility};
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::page::{CsrfForm, PageContext, see_other};

pub const PAGE_SIZE: i64 = 25;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(case_page)
        .service(act)
        .service(post_message)
        .service(extend)
        .service(upload_document)
        .service(download_document)
        .service(moderation_page)
        .service(moderate)
        .service(dashboard)
        .service(export_csv);
}

/// Actions with their own pages (offers, rulings, hearings), not the generic buttons.
const OWN_PAGES: [Action; 3] = [Action::AcceptSettlement, Action::IssueRuling, Action::ScheduleHearing];

/// Actions whose text goes into the thread as a message everyone in the case reads.
fn carries_text(action: Action) -> bool {
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

/// Loads a case the actor may see, or 404.
async fn load_visible(state: &web::Data<AppState>, actor: Actor, case_id: i64) -> AppResult<(CaseRow, CaseParties)> {
    let found = state
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(queries::case_with_parties(conn, case_id)?) })
        .await?;
    let (case, parties) = found.ok_or(AppError::NotFound)?;
    policy::ensure(policy::can_view_case(&actor, &parties))?;
    Ok((case, parties))
}

fn date(d: Option<NaiveDate>) -> Value {
    d.map(|d| json!(d.format("%d-%m-%Y").to_string()))
        .unwrap_or(Value::Null)
}

fn when(t: NaiveDateTime) -> String {
    t.format("%d-%m-%Y %H:%M").to_string()
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

const CASE_NOTICES: [&str; 4] = [
    "notice-action-done",
    "notice-message-posted",
    "notice-message-held",
    "notice-document-added",
];

#[get("/zaken/{id}")]
async fn case_page(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    query: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let (case, parties) = load_visible(&state, actor, path.into_inner()).await?;
    let relation = policy::relation(&actor, &parties);
    let case_id = case.id;
    let view_parties = parties.clone();
    let provider_id = case.provider_id;
    let consumer_id = case.consumer_id;
    let loaded = state
        .db
        .run({
            let case = case.clone();
            move |conn| -> Result<_, AppError> {
                let rules = transition::rules_of(conn, &case)?;
                let provider: (String, String) = providers::table
                    .find(provider_id)
                    .select((providers::legal_name, providers::kvk_number))
                    .first(conn)?;
                let consumer: (String, String) = users::table
                    .find(consumer_id)
                    .select((users::display_name, users::email))
                    .first(conn)?;
                let events: Vec<TimelineRow> = case_events::table
                    .left_join(users::table.on(users::id.nullable().eq(case_events::actor_id)))
                    .filter(case_events::case_id.eq(case_id))
                    .order(case_events::id)
                    .select((
                        case_events::at,
                        case_events::kind,
                        case_events::to_state,
                        case_events::from_state,
                        case_events::detail,
                        users::display_name.nullable(),
                    ))
                    .load(conn)?;
                let messages = thread::visible_messages(conn, case_id, &actor, &view_parties)?;
                let files: Vec<(i64, String, String, i64, String, NaiveDateTime, String)> = documents::table
                    .inner_join(users::table.on(users::id.eq(documents::uploaded_by)))
                    .filter(documents::case_id.eq(case_id))
                    .order(documents::id)
                    .select((
                        documents::id,
                        documents::file_name,
                        documents::kind,
                        documents::size_bytes,
                        documents::visibility,
                        documents::created_at,
                        users::display_name,
                    ))
                    .load(conn)?;
                let mediators: Vec<(String, String, String)> = case_assignments::table
                    .inner_join(users::table.on(users::id.eq(case_assignments::user_id)))
                    .filter(case_assignments::case_id.eq(case_id))
                    .filter(case_assignments::status.eq_any(queries::ACTIVE_ASSIGNMENT))
                    .select((
                        users::display_name,
                        case_assignments::panel_role,
                        case_assignments::status,
                    ))
                    .load(conn)?;
                Ok((rules, provider, consumer, events, messages, files, mediators))
            }
        })
        .await?;
    let (rules, provider, consumer, events, messages, files, mediators) = loaded;
    let case_state: CaseState = case
        .state
        .parse()
        .map_err(|_| AppError::internal("unknown case state"))?;
    let procedure_role = transition::procedure_role(&actor, relation).ok_or(AppError::NotFound)?;
    let actions: Vec<Value> = lifecycle::allowed_actions(
        rules.rules.scheme_kind,
        rules.rules.fee_due(),
        case_state,
        procedure_role,
    )
    .into_iter()
    .filter(|a| !OWN_PAGES.contains(a))
    .map(|a| json!({ "code": a.as_str(), "needs_text": carries_text(a) }))
    .collect();
    let today = Utc::now().date_naive();
    let clock = case.complete_on.map(|complete| {
        let due = case.outcome_due_on.unwrap_or_else(|| lifecycle::outcome_due(complete, &rules.rules));
        json!({ "day": (today - complete).num_days(), "due_on": due.format("%d-%m-%Y").to_string(), "days_left": (due - today).num_days(), "running": case_state.is_open() })
    });
    let timeline: Vec<Value> = events
        .iter()
        .map(|TimelineRow { at, kind, to_state: to, from_state: from, detail, actor_name }| {
            let note = serde_json::from_str::<Value>(detail).ok().and_then(|d| d.get("note").and_then(|n| n.as_str()).map(str::to_owned));
            let changed_state = to.is_some() && to != from;
            // Steps of the procedure are named like their buttons; other events have their own names.
            let label = if kind.parse::<Action>().is_ok() { format!("action-{kind}") } else { format!("event-{kind}") };
            json!({ "at": when(*at), "label": label, "to_state": if changed_state { to.clone() } else { None }, "actor": actor_name, "note": note })
        })
        .collect();
    let messages: Vec<Value> = messages
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "author": m.author_name,
                "author_role": m.author_role,
                "body": m.body,
                "visibility": m.visibility,
                "held": m.moderation == "held",
                "removed": m.moderation == "removed",
                "at": when(m.created_at),
                "reply_due_on": date(m.reply_due_on),
                "mine": m.author_id == actor.user_id,
            })
        })
        .collect();
    let files: Vec<Value> = files
        .iter()
        .filter(|(_, _, _, _, visibility, _, _)| policy::can_view(&actor, &parties, CaseResource::Document(visibility.parse().unwrap_or(Visibility::MediatorOnly))))
        .map(|(id, name, kind, size, visibility, at, by)| {
            json!({ "id": id, "name": name, "kind": kind, "size_kb": (size + 1023) / 1024, "visibility": visibility, "at": when(*at), "by": by })
        })
        .collect();
    let visibilities: Vec<&str> = thread::choosable_visibilities(relation)
        .iter()
        .map(|v| v.as_str())
        .collect();
    let contact = policy::sees_consumer_contact(&actor, &parties);
    page.render(
        "pages/case",
        json!({
            "notice": query.notice.as_deref().filter(|n| CASE_NOTICES.contains(n)),
            "case": {
                "id": case.id,
                "reference": case.reference,
                "state": case.state,
                "version": case.version,
                "due_on": date(case.state_due_on),
                "category": case.category,
                "claim_cents": case.claim_cents,
                "desired_outcome": case.desired_outcome,
                "description": case.description,
                "private_note": case.private_note,
                "contract_date": date(case.contract_date),
                "written_complaint_date": date(Some(case.written_complaint_date)),
                "written_complaint_channel": case.written_complaint_channel,
                "fee_cents": case.fee_cents,
                "fee_status": case.fee_status,
                "deposit_cents": case.deposit_cents,
                "submitted_on": date(Some(case.submitted_at.date())),
                "open": case_state.is_open(),
            },
            "who_acts": who_acts(case_state),
            "clock": clock,
            "scheme_name": rules.scheme_name,
            "provider": { "name": provider.0, "kvk": provider.1 },
            "consumer": { "name": consumer.0, "email": if contact { Some(consumer.1) } else { None } },
            "mediators": mediators.iter().map(|(name, seat, status)| json!({ "name": name, "seat": seat, "status": status })).collect::<Vec<_>>(),
            "timeline": timeline,
            "messages": messages,
            "documents": files,
            "visibilities": visibilities,
            "actions": actions,
            "can_extend": matches!(relation, Relation::Secretariat) && case_state.is_open(),
            "can_post": relation != Relation::None && case_state.is_open(),
            "can_ask_reaction": matches!(relation, Relation::Mediator | Relation::Secretariat),
        }),
    )
}

#[derive(Queryable)]
struct TimelineRow {
    at: NaiveDateTime,
    kind: String,
    to_state: Option<String>,
    from_state: Option<String>,
    detail: String,
    actor_name: Option<String>,
}

/// Who must act in a state, as a translation key.
fn who_acts(state: CaseState) -> &'static str {
    match state {
        CaseState::InformationRequested | CaseState::AwaitingFee | CaseState::AwaitingReply => "who-acts-consumer",
        CaseState::AwaitingDefence | CaseState::InCompliance => "who-acts-provider",
        CaseState::Mediation | CaseState::ExpertInvestigation | CaseState::HearingScheduled => "who-acts-mediator",
        CaseState::Submitted | CaseState::Ruled | CaseState::Settled | CaseState::GuaranteeClaim => {
            "who-acts-secretariat"
        }
        _ => "who-acts-nobody",
    }
}

#[derive(Deserialize)]
pub struct ActionForm {
    action: String,
    version: i32,
    #[serde(default)]
    note: String,
}

#[post("/zaken/{id}/acties")]
async fn act(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<ActionForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let case_id = path.into_inner();
    let (case, parties) = load_visible(&state, actor, case_id).await?;
    let action: Action = form
        .action
        .parse()
        .map_err(|_| AppError::BadRequest("unknown action".into()))?;
    if OWN_PAGES.contains(&action) {
        return Err(AppError::BadRequest("this step has its own form".into()));
    }
    let note = form.note.trim().to_owned();
    if carries_text(action) && note.is_empty() {
        return Err(AppError::BadRequest("this step needs an explanation".into()));
    }
    if note.chars().count() > thread::MAX_MESSAGE_CHARS {
        return Err(AppError::BadRequest("the text is too long".into()));
    }
    let now = Utc::now().naive_utc();
    let held = state.moderation.needs_review(&note);
    state
        .db
        .run({
            let state = state.clone();
            move |conn| -> Result<(), AppError> {
                crate::db::write_transaction(conn, |conn| -> Result<(), AppError> {
                    transition::apply(
                        conn,
                        &state.emails,
                        state.settings.base_url(),
                        Request {
                            case_id,
                            change: Change::Act(action),
                            by: By::User(&actor),
                            expected_version: Some(form.version),
                            note: (!note.is_empty()).then(|| note.clone()),
                            detail: json!({}),
                        },
                        now,
                    )?;
                    if carries_text(action) {
                        thread::post(
                            conn,
                            &state.emails,
                            state.settings.base_url(),
                            NewMessage {
                                case: &case,
                                parties: &parties,
                                author: &actor,
                                body: &note,
                                visibility: Visibility::Everyone,
                                held,
                                reply_due_on: None,
                            },
                            now,
                        )?;
                    }
                    Ok(())
                })
            }
        })
        .await?;
    Ok(see_other(&format!("/zaken/{case_id}?notice=notice-action-done")))
}

#[derive(Deserialize)]
pub struct MessageForm {
    #[serde(default)]
    body: String,
    #[serde(default)]
    visibility: String,
    ask_reaction: Option<String>,
}

#[post("/zaken/{id}/berichten")]
async fn post_message(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<MessageForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let case_id = path.into_inner();
    let (case, parties) = load_visible(&state, actor, case_id).await?;
    let relation = policy::relation(&actor, &parties);
    let body = form.body.trim().to_owned();
    if body.is_empty() || body.chars().count() > thread::MAX_MESSAGE_CHARS {
        return Err(AppError::BadRequest(
            "a message needs text, at most 10,000 characters".into(),
        ));
    }
    let visibility: Visibility = form
        .visibility
        .parse()
        .map_err(|_| AppError::BadRequest("unknown visibility".into()))?;
    if !thread::choosable_visibilities(relation).contains(&visibility) {
        return Err(AppError::BadRequest("that visibility is not available to you".into()));
    }
    let case_state: CaseState = case.state.parse().map_err(|_| AppError::internal("unknown state"))?;
    if !case_state.is_open() {
        return Err(AppError::Conflict("the case is closed".into()));
    }
    let now = Utc::now().naive_utc();
    // Only the mediator and the secretariat set reaction terms (at most the scheme's reaction term).
    let asks_reaction = form.ask_reaction.is_some() && matches!(relation, Relation::Mediator | Relation::Secretariat);
    let held = state.moderation.needs_review(&body);
    state
        .db
        .run({
            let state = state.clone();
            move |conn| -> Result<(), AppError> {
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
                thread::post(
                    conn,
                    &state.emails,
                    state.settings.base_url(),
                    NewMessage {
                        case: &case,
                        parties: &parties,
                        author: &actor,
                        body: &body,
                        visibility,
                        held,
                        reply_due_on,
                    },
                    now,
                )?;
                Ok(())
            }
        })
        .await?;
    let notice = if held {
        "notice-message-held"
    } else {
        "notice-message-posted"
    };
    Ok(see_other(&format!("/zaken/{case_id}?notice={notice}#berichten")))
}

#[derive(Deserialize)]
pub struct ExtendForm {
    what: String,
    until: String,
    version: i32,
    #[serde(default)]
    reason: String,
}

#[post("/zaken/{id}/verlengen")]
async fn extend(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<ExtendForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let case_id = path.into_inner();
    load_visible(&state, actor, case_id).await?;
    let until = NaiveDate::parse_from_str(form.until.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::BadRequest("the date must be YYYY-MM-DD".into()))?;
    let reason = form.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(AppError::BadRequest("an extension needs a reason".into()));
    }
    let change = match form.what.as_str() {
        "deadline" => Change::ExtendDeadline { until },
        "outcome" => Change::ExtendOutcomeTarget { until },
        _ => return Err(AppError::BadRequest("unknown extension".into())),
    };
    let now = Utc::now().naive_utc();
    state
        .db
        .run({
            let state = state.clone();
            move |conn| -> Result<_, AppError> {
                Ok(transition::apply(
                    conn,
                    &state.emails,
                    state.settings.base_url(),
                    Request {
                        case_id,
                        change,
                        by: By::User(&actor),
                        expected_version: Some(form.version),
                        note: Some(reason),
                        detail: json!({}),
                    },
                    now,
                )?)
            }
        })
        .await?;
    Ok(see_other(&format!("/zaken/{case_id}?notice=notice-action-done")))
}

#[post("/zaken/{id}/documenten")]
async fn upload_document(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let case_id = path.into_inner();
    let (case, parties) = load_visible(&state, actor, case_id).await?;
    let max = state.settings.upload_max_bytes;
    let form = docs::read_multipart(payload, max + 64 * 1024)
        .await
        .map_err(|e| match e {
            docs::FormError::TooLarge => AppError::PayloadTooLarge,
            docs::FormError::Malformed => AppError::BadRequest("malformed upload".into()),
        })?;
    if !page.csrf_token_matches(form.field("csrf_token").unwrap_or_default()) {
        return Err(AppError::Forbidden("csrf"));
    }
    let case_state: CaseState = case.state.parse().map_err(|_| AppError::internal("unknown state"))?;
    if !case_state.is_open() {
        return Err(AppError::Conflict("the case is closed".into()));
    }
    let relation = policy::relation(&actor, &parties);
    let visibility: Visibility = form
        .field("visibility")
        .unwrap_or("everyone")
        .parse()
        .map_err(|_| AppError::BadRequest("unknown visibility".into()))?;
    if !thread::choosable_visibilities(relation).contains(&visibility) {
        return Err(AppError::BadRequest("that visibility is not available to you".into()));
    }
    let kind = form.field("kind").unwrap_or("other").to_owned();
    if !DOCUMENT_KINDS.contains(&kind.as_str()) {
        return Err(AppError::BadRequest("unknown document kind".into()));
    }
    let Some((_, file_name, bytes)) = form.files.into_iter().find(|(name, _, _)| name == "file") else {
        return Err(AppError::BadRequest(docs::UploadProblem::Missing.message_key().into()));
    };
    let storage = state.settings.storage_dir();
    let now = Utc::now().naive_utc();
    state
        .db
        .run(move |conn| -> Result<(), AppError> {
            let stored = docs::store(&storage, &file_name, &bytes, max).map_err(|e| match e {
                StoreError::Problem(docs::UploadProblem::TooLarge) => AppError::PayloadTooLarge,
                StoreError::Problem(problem) => AppError::BadRequest(problem.message_key().into()),
                StoreError::Io(io) => AppError::internal(io),
            })?;
            crate::db::write_transaction(conn, |conn| -> Result<(), AppError> {
                let id: i64 = diesel::insert_into(documents::table)
                    .values((
                        documents::case_id.eq(case_id),
                        documents::uploaded_by.eq(actor.user_id),
                        documents::kind.eq(&kind),
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
                diesel::insert_into(case_events::table)
                    .values((
                        case_events::case_id.eq(case_id),
                        case_events::at.eq(now),
                        case_events::actor_id.eq(actor.user_id),
                        case_events::actor_role.eq(actor.role.as_str()),
                        case_events::kind.eq("document_uploaded"),
                        case_events::detail.eq(
                            json!({ "document_id": id, "sha256": stored.sha256, "visibility": visibility.as_str() })
                                .to_string(),
                        ),
                    ))
                    .execute(conn)?;
                Ok(())
            })
        })
        .await?;
    Ok(see_other(&format!(
        "/zaken/{case_id}?notice=notice-document-added#documenten"
    )))
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

#[get("/zaken/{id}/documenten/{document}")]
async fn download_document(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let (case_id, document_id) = path.into_inner();
    let (_, parties) = load_visible(&state, actor, case_id).await?;
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
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            header::ContentDisposition::attachment(file_name),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes))
}

#[get("/moderatie")]
async fn moderation_page(CurrentUser(signed_in): CurrentUser, page: PageContext) -> AppResult<HttpResponse> {
    policy::ensure(policy::can_see_all_cases(&Actor::from(&signed_in)))?;
    let held = page
        .data()
        .db
        .run(|conn| -> Result<_, AppError> { Ok(thread::held_messages(conn, 100)?) })
        .await?;
    let held: Vec<Value> = held.iter().map(|m| json!({ "id": m.id, "case_id": m.case_id, "body": m.body, "at": when(m.created_at), "author": m.author })).collect();
    page.render("pages/moderation", json!({ "held": held }))
}

#[derive(Deserialize)]
pub struct ModerateForm {
    decision: String,
}

#[post("/moderatie/{id}")]
async fn moderate(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<ModerateForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    policy::ensure(policy::can_see_all_cases(&actor))?;
    let release = match form.decision.as_str() {
        "release" => true,
        "remove" => false,
        _ => return Err(AppError::BadRequest("unknown decision".into())),
    };
    let message_id = path.into_inner();
    let state = page.data();
    let now = Utc::now().naive_utc();
    state
        .db
        .run({
            let state = state.clone();
            move |conn| -> Result<(), AppError> {
                crate::db::write_transaction(conn, |conn| -> Result<(), AppError> {
                    let (case_id, visibility) =
                        thread::moderate(conn, message_id, release)?.ok_or(AppError::NotFound)?;
                    if release {
                        let (case, parties) = queries::case_with_parties(conn, case_id)?.ok_or(AppError::NotFound)?;
                        let author: i64 = crate::db::schema::messages::table
                            .find(message_id)
                            .select(crate::db::schema::messages::author_id)
                            .first(conn)?;
                        thread::notify_readers(
                            conn,
                            &state.emails,
                            state.settings.base_url(),
                            &case,
                            &parties,
                            author,
                            visibility.parse().unwrap_or(Visibility::MediatorOnly),
                            None,
                            now,
                        )?;
                    }
                    crate::audit::record(
                        conn,
                        Some(actor.user_id),
                        "message",
                        message_id,
                        if release { "released" } else { "removed" },
                        json!({ "case_id": case_id }),
                        now,
                    )?;
                    Ok(())
                })
            }
        })
        .await?;
    Ok(see_other("/moderatie"))
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    state: Option<String>,
    scheme: Option<i64>,
    overdue: Option<String>,
    after: Option<String>,
}

/// The list a role sees on its dashboard, with the filters it asked for; `None` when the
/// role sees no cases at all (provider staff not yet linked to an organisation).
fn filter_for(actor: &Actor, query: &ListQuery) -> Option<CaseFilter> {
    let mut filter = CaseFilter {
        state: query.state.clone().filter(|s| s.parse::<CaseState>().is_ok()),
        scheme_id: query.scheme,
        overdue_on: query.overdue.is_some().then(|| Utc::now().date_naive()),
        ..CaseFilter::default()
    };
    match actor.role {
        Role::Consumer => filter.consumer_id = Some(actor.user_id),
        Role::ProviderStaff => filter.provider_id = Some(actor.provider_id?),
        Role::Mediator => filter.mediator_id = Some(actor.user_id),
        Role::Secretariat | Role::Admin => {}
    }
    Some(filter)
}

fn list_item(item: &CaseListItem) -> Value {
    json!({
        "id": item.id,
        "reference": item.reference,
        "state": item.state,
        "due_on": date(item.state_due_on),
        "overdue": item.state_due_on.is_some_and(|d| d < Utc::now().date_naive()),
        "category": item.category,
        "claim_cents": item.claim_cents,
        "submitted_on": date(Some(item.submitted_at.date())),
        "provider": item.provider_name,
        "scheme": item.scheme_code,
        "consumer": item.consumer_name,
    })
}

#[get("/dashboard")]
async fn dashboard(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let filter = filter_for(&actor, &query);
    let cursor = query.after.as_deref().and_then(DueCursor::decode);
    let all_cases = policy::can_see_all_cases(&actor);
    let (mut items, counts, held) = page
        .data()
        .db
        .run(move |conn| -> Result<_, AppError> {
            let items = match &filter {
                Some(filter) => queries::list_cases(conn, filter, cursor, PAGE_SIZE + 1)?,
                None => Vec::new(),
            };
            let counts = if all_cases {
                queries::count_by_state(conn)?
            } else {
                Vec::new()
            };
            let held = if all_cases {
                thread::held_messages(conn, 1)?.len()
            } else {
                0
            };
            Ok((items, counts, held))
        })
        .await?;
    let has_more = items.len() as i64 > PAGE_SIZE;
    items.truncate(PAGE_SIZE as usize);
    let next_cursor = has_more
        .then(|| {
            items.last().map(|i| {
                DueCursor {
                    due: i.state_due_on,
                    id: i.id,
                }
                .encode()
            })
        })
        .flatten();
    let mut base_query = Vec::new();
    if let Some(state) = &query.state {
        base_query.push(format!("state={state}"));
    }
    if query.overdue.is_some() {
        base_query.push("overdue=1".into());
    }
    let next = next_cursor.map(|c| {
        let mut q = base_query.clone();
        q.push(format!("after={c}"));
        format!("/dashboard?{}", q.join("&"))
    });
    let states: Vec<Value> = CaseState::ALL
        .iter()
        .map(|s| json!({ "code": s.as_str(), "selected": query.state.as_deref() == Some(s.as_str()) }))
        .collect();
    let my_statistics = crate::statistics::handlers::dashboard_block(&page, &actor).await?;
    page.render(
        "pages/dashboard",
        json!({
            "my_statistics": my_statistics,
            "cases": items.iter().map(list_item).collect::<Vec<_>>(),
            "next": next,
            "states": states,
            "overdue": query.overdue.is_some(),
            "counts": counts.iter().map(|(state, n)| json!({ "state": state, "count": n })).collect::<Vec<_>>(),
            "all_cases": all_cases,
            "held_messages": held > 0,
            "is_consumer": actor.role == Role::Consumer,
            "can_export": matches!(actor.role, Role::ProviderStaff | Role::Secretariat | Role::Admin),
            "export_query": base_query.join("&"),
        }),
    )
}

/// The same list as CSV (all pages), for providers' and the secretariat's own tools.
#[get("/dashboard/export.csv")]
async fn export_csv(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    query: web::Query<ListQuery>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    policy::ensure(matches!(
        actor.role,
        Role::ProviderStaff | Role::Secretariat | Role::Admin
    ))?;
    let Some(filter) = filter_for(&actor, &query) else {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body("reference;state;due_on;scheme;provider;category;claim_cents;submitted_on\r\n"));
    };
    let rows = page
        .data()
        .db
        .run(move |conn| -> Result<_, AppError> {
            let mut all = Vec::new();
            let mut cursor = None;
            loop {
                let batch = queries::list_cases(conn, &filter, cursor, 1000)?;
                let done = batch.len() < 1000;
                cursor = batch.last().map(|i| DueCursor {
                    due: i.state_due_on,
                    id: i.id,
                });
                all.extend(batch);
                if done {
                    return Ok(all);
                }
            }
        })
        .await?;
    let mut out = String::from("reference;state;due_on;scheme;provider;category;claim_cents;submitted_on\r\n");
    for r in rows {
        let fields = [
            r.reference,
            r.state,
            r.state_due_on.map(|d| d.to_string()).unwrap_or_default(),
            r.scheme_code,
            r.provider_name,
            r.category,
            r.claim_cents.map(|c| c.to_string()).unwrap_or_default(),
            r.submitted_at.date().to_string(),
        ];
        out.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(";"));
        out.push_str("\r\n");
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"zaken.csv\""))
        .body(out))
}

/// Quotes a CSV field, and defuses spreadsheet formulas (a field starting with = + - @).
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("TEL-2026-000001"), "TEL-2026-000001");
        assert_eq!(csv_field("Glas; Vezel"), "\"Glas; Vezel\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
    }

    #[test]
    fn every_open_state_names_who_acts() {
        for state in CaseState::ALL {
            let who = who_acts(state);
            assert_eq!(who == "who-acts-nobody", state.is_terminal(), "{state:?}");
        }
    }
}
