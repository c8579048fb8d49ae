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
use super::queries::{self, CaseFilter, CaseListItem, DueCursor};
use super::service;
use super::thread;
use super::transition::{self, By, Change, Request};
use crate::accounts::Role;
use crate::accounts::identity::CurrentUser;
use crate::documents as docs;
use crate::policy::{self, Actor, Relation, Visibility};
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

const CASE_NOTICES: [&str; 17] = [
    "notice-action-done",
    "notice-message-posted",
    "notice-message-held",
    "notice-document-added",
    "notice-assignment-proposed",
    "notice-assignment-confirmed",
    "notice-nothing-to-confirm",
    "notice-no-eligible-mediator",
    "notice-no-eligible-chair",
    "notice-no-eligible-trade-member",
    "notice-no-eligible-consumer-member",
    "notice-challenge-filed",
    "notice-challenge-decided",
    "notice-extension-requested",
    "notice-extension-granted",
    "notice-extension-refused",
    "notice-extension-lapsed",
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
    let case_id = path.into_inner();
    let rules_cache = state.rules.clone();
    // One trip to the pool for the whole page: the case, the check that this user may see it,
    // then everything shown.
    let loaded = state
        .db
        .run(move |conn| -> Result<_, AppError> {
            let queries::CasePageHead {
                case,
                parties,
                provider,
                consumer,
                seats,
            } = queries::case_page_head(conn, case_id)?.ok_or(AppError::NotFound)?;
            policy::ensure(policy::can_view_case(&actor, &parties))?;
            let relation = policy::relation(&actor, &parties);
            let rules = rules_cache.rules_of(conn, &case)?;
            let lists = super::page_lists::case_page_lists(conn, case_id)?;
            let messages = thread::visible(lists.messages, &actor, &parties);
            let files = service::visible(lists.documents, &actor, &parties);
            let staffing = super::assignments::section(&seats, &case, &actor, relation);
            let extensions = super::extensions::section(&lists.extension_requests, &case, &actor, relation);
            let outcome_rows = crate::outcome_pages::OutcomeRows {
                offers: lists.offers,
                hearing: lists.hearing,
                rulings: lists.rulings,
                compliance_reports: lists.compliance_reports,
                guarantee_claim: lists.guarantee_claim,
                rating: lists.rating,
            };
            let outcomes = crate::outcome_pages::sections(outcome_rows, &seats, &actor, &case, &parties, &rules.rules)?;
            let events = lists.timeline;
            Ok((
                (case, parties, relation),
                (
                    rules, provider, consumer, events, messages, files, staffing, extensions, outcomes,
                ),
            ))
        })
        .await?;
    let ((case, parties, relation), loaded) = loaded;
    let (rules, provider, consumer, events, messages, files, staffing, extensions, outcomes) = loaded;
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
    .filter(|a| !service::OWN_FORMS.contains(a))
    .map(|a| json!({ "code": a.as_str(), "needs_text": service::carries_text(a) }))
    .collect();
    let today = Utc::now().date_naive();
    let clock = case.complete_on.map(|complete| {
        let due = case.outcome_due_on.unwrap_or_else(|| lifecycle::outcome_due(complete, &rules.rules));
        json!({ "day": (today - complete).num_days(), "due_on": due.format("%d-%m-%Y").to_string(), "days_left": (due - today).num_days(), "running": case_state.is_open() })
    });
    let timeline: Vec<Value> = events
        .iter()
        .map(|super::page_lists::TimelineRow { at, kind, to_state: to, from_state: from, detail, actor_name }| {
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
        .map(|d| {
            json!({ "id": d.id, "name": d.file_name, "kind": d.kind, "size_kb": (d.size_bytes + 1023) / 1024, "visibility": d.visibility, "at": when(d.created_at), "by": d.uploaded_by })
        })
        .collect();
    let visibilities: Vec<&str> = thread::choosable_visibilities(relation)
        .iter()
        .map(|v| v.as_str())
        .collect();
    let contact = policy::sees_consumer_contact(&actor, &parties);
    let mut data = json!({
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
        "visibilities": visibilities,
        "can_extend": matches!(relation, Relation::Secretariat) && case_state.is_open(),
        "can_post": relation != Relation::None && case_state.is_open(),
        "can_ask_reaction": matches!(relation, Relation::Mediator | Relation::Secretariat),
        "intake": crate::intake::case_page::panel(&case, relation, today),
    });
    // The big parts are moved in: `json!` would deep-copy each of them (it serialises its values).
    for (key, value) in [
        ("staffing", staffing),
        ("extensions", extensions),
        ("timeline", Value::Array(timeline)),
        ("messages", Value::Array(messages)),
        ("documents", Value::Array(files)),
        ("actions", Value::Array(actions)),
        ("outcomes", outcomes),
    ] {
        data[key] = value;
    }
    page.render("pages/case", data)
}

/// Who must act in a state, as a translation key.
pub(super) fn who_acts(state: CaseState) -> &'static str {
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
    let case_id = path.into_inner();
    let actor = Actor::from(&signed_in);
    service::take_action(&page.data(), actor, case_id, &form.action, form.version, &form.note).await?;
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
    let case_id = path.into_inner();
    let actor = Actor::from(&signed_in);
    let asks_reaction = form.ask_reaction.is_some();
    let posted = service::post_message(
        &page.data(),
        actor,
        case_id,
        &form.body,
        &form.visibility,
        asks_reaction,
    )
    .await?;
    let notice = if posted.held {
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
    service::visible_case(&state, actor, case_id).await?;
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
    let case_id = path.into_inner();
    let state = page.data();
    // Refuse strangers before reading a large body.
    service::visible_case(&state, Actor::from(&signed_in), case_id).await?;
    let form = read_upload_form(payload, state.settings.upload_max_bytes).await?;
    if !page.csrf_token_matches(form.field("csrf_token").unwrap_or_default()) {
        return Err(AppError::Forbidden("csrf"));
    }
    service::add_document(&state, Actor::from(&signed_in), case_id, upload_from(form)?).await?;
    Ok(see_other(&format!(
        "/zaken/{case_id}?notice=notice-document-added#documenten"
    )))
}

/// Reads a multipart upload of at most `max` bytes of file (plus room for the other fields).
pub async fn read_upload_form(payload: Multipart, max: usize) -> AppResult<docs::UploadForm> {
    docs::read_multipart(payload, max + 64 * 1024)
        .await
        .map_err(|e| match e {
            docs::FormError::TooLarge => AppError::PayloadTooLarge,
            docs::FormError::Malformed => AppError::BadRequest("malformed upload".into()),
        })
}

/// The `file`, `kind` and `visibility` fields of an upload form.
pub fn upload_from(form: docs::UploadForm) -> AppResult<service::Upload> {
    let kind = form.field("kind").unwrap_or("other").to_owned();
    let visibility = form.field("visibility").unwrap_or("everyone").to_owned();
    let Some((_, file_name, bytes)) = form.files.into_iter().find(|(name, _, _)| name == "file") else {
        return Err(AppError::BadRequest(docs::UploadProblem::Missing.message_key().into()));
    };
    Ok(service::Upload {
        file_name,
        bytes,
        kind,
        visibility,
    })
}

#[get("/zaken/{id}/documenten/{document}")]
async fn download_document(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (case_id, document_id) = path.into_inner();
    let (file_name, content_type, bytes) =
        service::read_document(&page.data(), Actor::from(&signed_in), case_id, document_id).await?;
    Ok(attachment(file_name, content_type, bytes))
}

/// A stored document as a download that is never cached by shared caches.
pub fn attachment(file_name: String, content_type: String, bytes: Vec<u8>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            header::ContentDisposition::attachment(file_name),
        ))
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(bytes)
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
    pub state: Option<String>,
    pub scheme: Option<i64>,
    pub overdue: Option<String>,
    pub after: Option<String>,
}

/// The list a role sees on its dashboard, with the filters it asked for; `None` when the
/// role sees no cases at all (provider staff not yet linked to an organisation).
pub(super) fn filter_for(actor: &Actor, query: &ListQuery) -> Option<CaseFilter> {
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
    let (mut items, counts, held, extension_requests) = page
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
            let (held, extension_requests) = if all_cases {
                (
                    thread::held_messages(conn, 1)?.len(),
                    super::extensions::open_count(conn)?,
                )
            } else {
                (0, 0)
            };
            Ok((items, counts, held, extension_requests))
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
    let mut data = json!({
        "next": next,
        "overdue": query.overdue.is_some(),
        "counts": counts.iter().map(|(state, n)| json!({ "state": state, "count": n })).collect::<Vec<_>>(),
        "all_cases": all_cases,
        "held_messages": held > 0,
        "extension_requests": extension_requests,
        "is_consumer": actor.role == Role::Consumer,
        "can_export": matches!(actor.role, Role::ProviderStaff | Role::Secretariat | Role::Admin),
        "export_query": base_query.join("&"),
    });
    // Moved in: `json!` would deep-copy them.
    data["my_statistics"] = my_statistics;
    data["cases"] = Value::Array(items.iter().map(list_item).collect());
    data["states"] = Value::Array(states);
    page.render("pages/dashboard", data)
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
