//! The registry's staff pages. For the secretariat (and admins): providers (search, keyset-paged list,
//! view with history, create, edit), memberships (add, change or end), and the member-list CSV (dry run,
//! all-or-nothing import, export). For admins only: schemes with their rules history and a form for a new
//! rules version from a date. Every change writes an `audit_log` row with who and when. A caller without
//! the right role gets 404, as everywhere.

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, NaiveDateTime, TimeDelta, Utc};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};

use super::check::format_date;
use super::forms::{MembershipForm, ProviderForm, RulesForm, TERM_FIELDS, ValidMembership};
use super::import::{self, Plan, ProblemView, RowAction};
use super::period::{Period, PeriodUnit};
use super::queries::{self, HistoryEntry, MembershipListing, MembershipRow, ProviderRow};
use super::rules::{Coverage, FeeRefundRule, MembershipDateBasis, SchemeKind, SchemeRules};
use super::{NewMembership, RulesRow, Scheme, search};
use crate::accounts::identity::CurrentUser;
use crate::db::{DbConnection, write_transaction};
use crate::i18n::{self, Language};
use crate::policy::{self, Actor};
use crate::web::error::{AppError, AppResult};
use crate::web::form::FieldErrors;
use crate::web::page::{CsrfForm, PageContext, see_other};
use crate::web::templates::format_euros;

/// Providers per page of the secretariat's list.
const PAGE_SIZE: usize = 50;
/// Largest member-list file accepted.
const MAX_CSV_BYTES: usize = 20 * 1024 * 1024;
/// History lines shown on a provider's page.
const HISTORY_LINES: i64 = 100;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(providers_list)
        .service(new_provider_page)
        .service(create_provider)
        .service(import_page)
        .service(import_upload)
        .service(export_csv)
        .service(provider_page)
        .service(edit_provider_page)
        .service(update_provider)
        .service(add_membership)
        .service(edit_membership_page)
        .service(update_membership)
        .service(schemes_list)
        .service(scheme_page)
        .service(add_rules_version);
}

/// The caller's id if they may manage the registry; 404 otherwise.
fn registry_staff(CurrentUser(signed_in): &CurrentUser) -> AppResult<i64> {
    let actor = Actor::from(signed_in);
    policy::ensure(policy::can_manage_registry(&actor))?;
    Ok(actor.user_id)
}

/// The caller's id if they may change scheme rules; 404 otherwise.
fn scheme_admin(CurrentUser(signed_in): &CurrentUser) -> AppResult<i64> {
    let actor = Actor::from(signed_in);
    policy::ensure(policy::can_manage_schemes(&actor))?;
    Ok(actor.user_id)
}

fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

fn iso(date: Option<NaiveDate>) -> String {
    date.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
}

/// Notices a redirect may ask a page to show (never free text from the URL).
const NOTICES: [&str; 5] = [
    "registry-notice-provider-saved",
    "registry-notice-membership-saved",
    "registry-notice-rules-saved",
    "registry-notice-provider-created",
    "registry-notice-imported",
];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NoticeQuery {
    notice: String,
}

fn notice(query: &NoticeQuery) -> Option<&str> {
    NOTICES.iter().copied().find(|n| *n == query.notice)
}

// ---------------------------------------------------------------------------------------------------------
// Providers

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    /// The id of the last provider of the previous page.
    after: String,
}

fn provider_summary(p: &ProviderRow) -> Value {
    json!({
        "id": p.id,
        "legal_name": p.legal_name,
        "trade_names": p.trade_names,
        "kvk_number": p.kvk_number,
        "city": p.city,
    })
}

#[get("/secretariaat/aanbieders")]
async fn providers_list(page: PageContext, user: CurrentUser, query: web::Query<ListQuery>) -> AppResult<HttpResponse> {
    registry_staff(&user)?;
    let ListQuery { q, after } = query.into_inner();
    let after = after.trim().parse::<i64>().ok();
    let search_for = q.clone();
    let (rows, next, more) = page
        .state()
        .db
        .run(move |conn| -> AppResult<_> {
            if search_for.trim().is_empty() {
                let (rows, next) = queries::providers_page(conn, after, PAGE_SIZE)?;
                Ok((rows, next, false))
            } else {
                let (rows, more) = queries::search_providers(conn, &search::parse_query(&search_for), PAGE_SIZE)?;
                Ok((rows, None, more))
            }
        })
        .await?;
    page.render(
        "pages/registry/providers",
        json!({
            "q": q,
            "providers": rows.iter().map(provider_summary).collect::<Vec<_>>(),
            "next_href": next.map(|id| format!("/secretariaat/aanbieders?after={id}")),
            "more": more,
            "first_page": after.is_some(),
        }),
    )
}

fn render_provider_form(
    page: &PageContext,
    provider_id: Option<i64>,
    form: &ProviderForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let action = match provider_id {
        Some(id) => format!("/secretariaat/aanbieders/{id}/bewerken"),
        None => "/secretariaat/aanbieders".to_owned(),
    };
    page.render_with_status(
        status,
        "pages/registry/provider_form",
        json!({
            "title_key": if provider_id.is_some() { "registry-provider-edit-title" } else { "registry-provider-new-title" },
            "action": action,
            "cancel_href": provider_id.map_or("/secretariaat/aanbieders".to_owned(), |id| format!("/secretariaat/aanbieders/{id}")),
            "values": form,
            "errors": errors.to_json(),
        }),
    )
}

#[get("/secretariaat/aanbieders/nieuw")]
async fn new_provider_page(page: PageContext, user: CurrentUser) -> AppResult<HttpResponse> {
    registry_staff(&user)?;
    render_provider_form(
        &page,
        None,
        &ProviderForm::default(),
        &FieldErrors::new(),
        StatusCode::OK,
    )
}

/// A provider's details changed or created; `Err` holds the field that refused it.
type Saved = Result<i64, (&'static str, &'static str)>;

#[post("/secretariaat/aanbieders")]
async fn create_provider(
    page: PageContext,
    user: CurrentUser,
    CsrfForm(form): CsrfForm<ProviderForm>,
) -> AppResult<HttpResponse> {
    let actor_id = registry_staff(&user)?;
    let fields = match form.validate() {
        Ok(fields) => fields,
        Err(errors) => {
            return render_provider_form(&page, None, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let now = now();
    let saved: Saved = page
        .state()
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| -> AppResult<Saved> {
                if queries::provider_id_by_kvk(conn, &fields.kvk_number)?.is_some() {
                    return Ok(Err(("kvk_number", "registry-kvk-taken")));
                }
                let id = queries::insert_provider(conn, &fields, now)?;
                crate::audit::record(conn, Some(actor_id), "provider", id, "created", json!(fields), now)?;
                Ok(Ok(id))
            })
        })
        .await
        .or_else(kvk_race)?;
    match saved {
        Ok(id) => Ok(see_other(&format!(
            "/secretariaat/aanbieders/{id}?notice=registry-notice-provider-created"
        ))),
        Err((field, key)) => {
            let mut errors = FieldErrors::new();
            errors.add(field, key);
            render_provider_form(&page, None, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

/// Two people saving the same KvK number at once: the unique index answers for the loser.
fn kvk_race(error: AppError) -> AppResult<Saved> {
    match error {
        AppError::Conflict(_) => Ok(Err(("kvk_number", "registry-kvk-taken"))),
        other => Err(other),
    }
}

struct ProviderView {
    provider: ProviderRow,
    memberships: Vec<MembershipListing>,
    history: Vec<HistoryEntry>,
    schemes: Vec<Scheme>,
    guarantors: Vec<(i64, String)>,
}

async fn load_provider_view(page: &PageContext, id: i64) -> AppResult<ProviderView> {
    page.state()
        .db
        .run(move |conn| -> AppResult<ProviderView> {
            let provider = queries::find_provider(conn, id)?.ok_or(AppError::NotFound)?;
            Ok(ProviderView {
                memberships: queries::memberships_of(conn, &[id])?,
                history: queries::provider_history(conn, id, HISTORY_LINES)?,
                schemes: super::all_schemes(conn)?,
                guarantors: queries::all_guarantors(conn)?,
                provider,
            })
        })
        .await
}

fn history_view(history: &[HistoryEntry]) -> Vec<Value> {
    history
        .iter()
        .map(|h| {
            let detail: Value = serde_json::from_str(&h.detail).unwrap_or(Value::Null);
            let fields = detail
                .get("fields")
                .and_then(Value::as_array)
                .map(|f| f.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", "))
                .unwrap_or_default();
            json!({
                "at": h.at.format("%Y-%m-%d %H:%M").to_string(),
                "actor": h.actor.clone().unwrap_or_default(),
                "what_key": format!("registry-audit-{}-{}", h.entity, h.action),
                "fields": fields,
                "import_line": detail.get("line").and_then(Value::as_i64).map(|l| l.to_string()).unwrap_or_default(),
            })
        })
        .collect()
}

fn options<T: Copy>(all: &[T], code: fn(T) -> &'static str, selected: &str, prefix: &str) -> Vec<Value> {
    all.iter()
        .map(|v| json!({ "value": code(*v), "label_key": format!("{prefix}{}", code(*v)), "selected": code(*v) == selected }))
        .collect()
}

fn membership_options(form: &MembershipForm, schemes: &[Scheme], guarantors: &[(i64, String)]) -> Value {
    use super::membership::{MembershipStatus, Via};
    json!({
        "schemes": schemes.iter().map(|s| json!({ "value": s.id.to_string(), "label": s.name, "selected": s.id.to_string() == form.scheme_id })).collect::<Vec<_>>(),
        "guarantors": guarantors.iter().map(|(id, name)| json!({ "value": id.to_string(), "label": name, "selected": id.to_string() == form.guarantor_id })).collect::<Vec<_>>(),
        "via": options(&Via::ALL, Via::as_str, &form.via, "registry-via-"),
        "status": options(&MembershipStatus::ALL, MembershipStatus::as_str, &form.status, "registry-status-"),
    })
}

fn render_provider_page(
    page: &PageContext,
    view: &ProviderView,
    form: &MembershipForm,
    errors: &FieldErrors,
    notice: Option<&str>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let today = Utc::now().date_naive();
    let p = &view.provider;
    let address = [p.street.as_str(), p.postcode.as_str(), p.city.as_str()]
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(", ");
    let memberships: Vec<Value> = view
        .memberships
        .iter()
        .map(|(m, _, scheme_name, guarantor)| {
            json!({
                "id": m.id,
                "scheme": scheme_name,
                "from": format_date(page.language, m.valid_from),
                "until": m.valid_until.map(|u| format_date(page.language, u)).unwrap_or_default(),
                "via_key": format!("registry-via-{}", m.via),
                "guarantor": guarantor.clone().unwrap_or_default(),
                "status_key": format!("registry-status-{}", m.status),
                "current": m.period().covers(today),
            })
        })
        .collect();
    page.render_with_status(
        status,
        "pages/registry/provider",
        json!({
            "notice": notice,
            "provider": {
                "id": p.id,
                "legal_name": p.legal_name,
                "trade_names": p.trade_names,
                "kvk_number": p.kvk_number,
                "address": address,
                "website": p.website,
                "complaint_email": p.complaint_email,
            },
            "memberships": memberships,
            "history": history_view(&view.history),
            "values": form,
            "errors": errors.to_json(),
            "options": membership_options(form, &view.schemes, &view.guarantors),
        }),
    )
}

fn empty_membership_form() -> MembershipForm {
    MembershipForm {
        via: "direct".into(),
        status: "certified".into(),
        ..MembershipForm::default()
    }
}

#[get("/secretariaat/aanbieders/{id}")]
async fn provider_page(
    page: PageContext,
    user: CurrentUser,
    path: web::Path<i64>,
    query: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    registry_staff(&user)?;
    let view = load_provider_view(&page, path.into_inner()).await?;
    render_provider_page(
        &page,
        &view,
        &empty_membership_form(),
        &FieldErrors::new(),
        notice(&query),
        StatusCode::OK,
    )
}

#[get("/secretariaat/aanbieders/{id}/bewerken")]
async fn edit_provider_page(page: PageContext, user: CurrentUser, path: web::Path<i64>) -> AppResult<HttpResponse> {
    registry_staff(&user)?;
    let id = path.into_inner();
    let provider = page
        .state()
        .db
        .run(move |conn| -> AppResult<_> { queries::find_provider(conn, id)?.ok_or(AppError::NotFound) })
        .await?;
    let form = provider
        .fields()
        .map(|f| ProviderForm::from_fields(&f))
        .unwrap_or_else(|| ProviderForm {
            kvk_number: provider.kvk_number.clone(),
            legal_name: provider.legal_name.clone(),
            ..ProviderForm::default()
        });
    render_provider_form(&page, Some(id), &form, &FieldErrors::new(), StatusCode::OK)
}

#[post("/secretariaat/aanbieders/{id}/bewerken")]
async fn update_provider(
    page: PageContext,
    user: CurrentUser,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<ProviderForm>,
) -> AppResult<HttpResponse> {
    let actor_id = registry_staff(&user)?;
    let id = path.into_inner();
    let fields = match form.validate() {
        Ok(fields) => fields,
        Err(errors) => {
            return render_provider_form(&page, Some(id), &form, &errors, StatusCode::UNPROCESSABLE_ENTITY);
        }
    };
    let now = now();
    let saved: Saved = page
        .state()
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| -> AppResult<Saved> {
                let current = queries::find_provider(conn, id)?.ok_or(AppError::NotFound)?;
                if queries::provider_id_by_kvk(conn, &fields.kvk_number)?.is_some_and(|other| other != id) {
                    return Ok(Err(("kvk_number", "registry-kvk-taken")));
                }
                let changed = match current.fields() {
                    Some(before) => {
                        let mut changed = fields.differences(&before);
                        if before.kvk_number != fields.kvk_number {
                            changed.insert(0, "kvk_number");
                        }
                        changed
                    }
                    None => vec!["kvk_number"],
                };
                if !changed.is_empty() {
                    queries::update_provider(conn, id, &fields, now)?;
                    crate::audit::record(
                        conn,
                        Some(actor_id),
                        "provider",
                        id,
                        "updated",
                        json!({ "fields": changed }),
                        now,
                    )?;
                }
                Ok(Ok(id))
            })
        })
        .await
        .or_else(kvk_race)?;
    match saved {
        Ok(id) => Ok(see_other(&format!(
            "/secretariaat/aanbieders/{id}?notice=registry-notice-provider-saved"
        ))),
        Err((field, key)) => {
            let mut errors = FieldErrors::new();
            errors.add(field, key);
            render_provider_form(&page, Some(id), &form, &errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

/// Validates a membership form inside the transaction that saves it, so the overlap check sees what is
/// committed.
fn validate_membership(
    conn: &mut DbConnection,
    form: &MembershipForm,
    provider_id: i64,
    fixed: Option<(i64, NaiveDate)>,
    except: Option<i64>,
) -> AppResult<Result<ValidMembership, FieldErrors>> {
    let schemes: Vec<i64> = super::all_schemes(conn)?.iter().map(|s| s.id).collect();
    let guarantors = queries::all_guarantors(conn)?;
    // The overlap check needs the chosen scheme's periods; read them for every scheme (a handful).
    let mut periods = HashMap::new();
    for scheme_id in &schemes {
        periods.insert(
            *scheme_id,
            queries::sibling_periods(conn, provider_id, *scheme_id, except)?,
        );
    }
    Ok(form.validate(&schemes, &guarantors, fixed, |scheme_id| {
        periods.get(&scheme_id).cloned().unwrap_or_default()
    }))
}

#[post("/secretariaat/aanbieders/{id}/lidmaatschappen")]
async fn add_membership(
    page: PageContext,
    user: CurrentUser,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<MembershipForm>,
) -> AppResult<HttpResponse> {
    let actor_id = registry_staff(&user)?;
    let provider_id = path.into_inner();
    let now = now();
    let submitted = form.clone();
    let outcome = page
        .state()
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| -> AppResult<Result<i64, FieldErrors>> {
                queries::find_provider(conn, provider_id)?.ok_or(AppError::NotFound)?;
                let valid = match validate_membership(conn, &submitted, provider_id, None, None)? {
                    Ok(valid) => valid,
                    Err(errors) => return Ok(Err(errors)),
                };
                let m = &valid.fields;
                let id = super::create_membership(
                    conn,
                    NewMembership {
                        provider_id,
                        scheme_id: valid.scheme_id,
                        valid_from: m.period.from,
                        valid_until: m.period.until,
                        via: m.via.as_str(),
                        guarantor_id: valid.guarantor_id,
                        status: m.status.as_str(),
                    },
                    now,
                )?;
                crate::audit::record(
                    conn,
                    Some(actor_id),
                    "membership",
                    id,
                    "created",
                    json!({ "scheme_id": valid.scheme_id, "valid_from": iso(Some(m.period.from)), "valid_until": iso(m.period.until), "via": m.via.as_str(), "status": m.status.as_str() }),
                    now,
                )?;
                Ok(Ok(id))
            })
        })
        .await?;
    match outcome {
        Ok(_) => Ok(see_other(&format!(
            "/secretariaat/aanbieders/{provider_id}?notice=registry-notice-membership-saved"
        ))),
        Err(errors) => {
            let view = load_provider_view(&page, provider_id).await?;
            render_provider_page(&page, &view, &form, &errors, None, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

struct MembershipContext {
    membership: MembershipRow,
    provider: ProviderRow,
    scheme_name: String,
    schemes: Vec<Scheme>,
    guarantors: Vec<(i64, String)>,
}

async fn load_membership(page: &PageContext, id: i64) -> AppResult<MembershipContext> {
    page.state()
        .db
        .run(move |conn| -> AppResult<MembershipContext> {
            let membership = queries::find_membership(conn, id)?.ok_or(AppError::NotFound)?;
            let provider = queries::find_provider(conn, membership.provider_id)?.ok_or(AppError::NotFound)?;
            let schemes = super::all_schemes(conn)?;
            let scheme_name = schemes
                .iter()
                .find(|s| s.id == membership.scheme_id)
                .map(|s| s.name.clone())
                .unwrap_or_default();
            Ok(MembershipContext {
                membership,
                provider,
                scheme_name,
                schemes,
                guarantors: queries::all_guarantors(conn)?,
            })
        })
        .await
}

fn render_membership_form(
    page: &PageContext,
    context: &MembershipContext,
    form: &MembershipForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    page.render_with_status(
        status,
        "pages/registry/membership_form",
        json!({
            "membership_id": context.membership.id,
            "provider": { "id": context.provider.id, "legal_name": context.provider.legal_name },
            "scheme": context.scheme_name,
            "from": format_date(page.language, context.membership.valid_from),
            "values": form,
            "errors": errors.to_json(),
            "options": membership_options(form, &context.schemes, &context.guarantors),
        }),
    )
}

#[get("/secretariaat/lidmaatschappen/{id}/bewerken")]
async fn edit_membership_page(page: PageContext, user: CurrentUser, path: web::Path<i64>) -> AppResult<HttpResponse> {
    registry_staff(&user)?;
    let context = load_membership(&page, path.into_inner()).await?;
    let m = &context.membership;
    let form = MembershipForm {
        scheme_id: m.scheme_id.to_string(),
        valid_from: iso(Some(m.valid_from)),
        valid_until: iso(m.valid_until),
        via: m.via.clone(),
        guarantor_id: m.guarantor_id.map(|g| g.to_string()).unwrap_or_default(),
        status: m.status.clone(),
    };
    render_membership_form(&page, &context, &form, &FieldErrors::new(), StatusCode::OK)
}

#[post("/secretariaat/lidmaatschappen/{id}/bewerken")]
async fn update_membership(
    page: PageContext,
    user: CurrentUser,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<MembershipForm>,
) -> AppResult<HttpResponse> {
    let actor_id = registry_staff(&user)?;
    let id = path.into_inner();
    let now = now();
    let submitted = form.clone();
    let outcome = page
        .state()
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| -> AppResult<Result<i64, FieldErrors>> {
                let current = queries::find_membership(conn, id)?.ok_or(AppError::NotFound)?;
                let fixed = Some((current.scheme_id, current.valid_from));
                let valid = match validate_membership(conn, &submitted, current.provider_id, fixed, Some(id))? {
                    Ok(valid) => valid,
                    Err(errors) => return Ok(Err(errors)),
                };
                let m = &valid.fields;
                let mut changed = Vec::new();
                if m.period.until != current.valid_until {
                    changed.push("valid_until");
                }
                if m.via.as_str() != current.via {
                    changed.push("via");
                }
                if valid.guarantor_id != current.guarantor_id {
                    changed.push("guarantor");
                }
                if m.status.as_str() != current.status {
                    changed.push("status");
                }
                if !changed.is_empty() {
                    queries::update_membership(conn, id, m, valid.guarantor_id, now)?;
                    crate::audit::record(
                        conn,
                        Some(actor_id),
                        "membership",
                        id,
                        "updated",
                        json!({ "fields": changed, "valid_until": iso(m.period.until), "status": m.status.as_str() }),
                        now,
                    )?;
                }
                Ok(Ok(current.provider_id))
            })
        })
        .await?;
    match outcome {
        Ok(provider_id) => Ok(see_other(&format!(
            "/secretariaat/aanbieders/{provider_id}?notice=registry-notice-membership-saved"
        ))),
        Err(errors) => {
            let context = load_membership(&page, id).await?;
            render_membership_form(&page, &context, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY)
        }
    }
}

// ---------------------------------------------------------------------------------------------------------
// Member-list import and export

fn scheme_choices(schemes: &[Scheme]) -> Vec<Value> {
    schemes
        .iter()
        .map(|s| json!({ "code": s.code, "name": s.name }))
        .collect()
}

#[get("/secretariaat/ledenlijst")]
async fn import_page(page: PageContext, user: CurrentUser) -> AppResult<HttpResponse> {
    registry_staff(&user)?;
    let schemes = page
        .state()
        .db
        .run(|conn| -> AppResult<_> { Ok(super::all_schemes(conn)?) })
        .await?;
    page.render(
        "pages/registry/import",
        json!({ "schemes": scheme_choices(&schemes), "report": null, "file_problem": null }),
    )
}

/// The fields of the upload form.
#[derive(Default)]
struct Upload {
    csrf_token: String,
    action: String,
    file: Vec<u8>,
}

async fn read_upload(mut multipart: Multipart) -> AppResult<Upload> {
    let mut upload = Upload::default();
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(|e| AppError::BadRequest(format!("malformed upload: {e}")))?;
        let name = field.name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| AppError::BadRequest(format!("malformed upload: {e}")))?;
            if bytes.len() + chunk.len() > MAX_CSV_BYTES {
                return Err(AppError::PayloadTooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "csrf_token" => upload.csrf_token = String::from_utf8_lossy(&bytes).into_owned(),
            "action" => upload.action = String::from_utf8_lossy(&bytes).into_owned(),
            "file" => upload.file = bytes,
            _ => {}
        }
    }
    Ok(upload)
}

enum ImportOutcome {
    Unreadable(import::FileProblem),
    Checked(Plan),
    Imported(Plan),
}

fn report_view(plan: &Plan) -> Value {
    let rows: Vec<Value> = plan
        .rows
        .iter()
        .map(|r| {
            let changes: Vec<&str> = r
                .provider_changes
                .iter()
                .chain(r.membership_changes.iter())
                .copied()
                .collect();
            json!({
                "line": r.line,
                "kvk": r.kvk_as_written,
                "name": r.name_as_written,
                "scheme": r.scheme_as_written,
                "action": r.action.as_str(),
                "refused": r.action == RowAction::Refuse,
                "problems": r.problems.iter().map(ProblemView::from).collect::<Vec<_>>(),
                "changes": changes.join(", "),
                "new_provider": r.new_provider,
                "new_guarantor": r.new_guarantor,
            })
        })
        .collect();
    json!({
        "rows": rows,
        "total": plan.rows.len(),
        "add": plan.count(RowAction::Add),
        "change": plan.count(RowAction::Change),
        "unchanged": plan.count(RowAction::Unchanged),
        "refuse": plan.count(RowAction::Refuse),
        "can_import": plan.can_import(),
    })
}

/// The upload: `action=check` is a dry run; `action=import` checks again and imports only when no row is
/// refused, all in one transaction.
#[post("/secretariaat/ledenlijst")]
async fn import_upload(page: PageContext, user: CurrentUser, multipart: Multipart) -> AppResult<HttpResponse> {
    let actor_id = registry_staff(&user)?;
    let upload = read_upload(multipart).await?;
    if !page.csrf_token_matches(&upload.csrf_token) {
        return Err(AppError::Forbidden("csrf"));
    }
    let import_now = upload.action == "import";
    let bytes = upload.file;
    let now = now();
    let (outcome, schemes) = page
        .state()
        .db
        .run(move |conn| -> AppResult<(ImportOutcome, Vec<Scheme>)> {
            let schemes = super::all_schemes(conn)?;
            let rows = match import::parse(&bytes) {
                Ok(rows) => rows,
                Err(problem) => return Ok((ImportOutcome::Unreadable(problem), schemes)),
            };
            let outcome = if import_now {
                write_transaction(conn, |conn| -> AppResult<ImportOutcome> {
                    let existing = queries::load_existing(conn, &rows)?;
                    let plan = import::plan(rows, &existing);
                    if !plan.can_import() {
                        return Ok(ImportOutcome::Checked(plan));
                    }
                    queries::apply_plan(conn, &plan, actor_id, now)?;
                    Ok(ImportOutcome::Imported(plan))
                })?
            } else {
                let existing = queries::load_existing(conn, &rows)?;
                ImportOutcome::Checked(import::plan(rows, &existing))
            };
            Ok((outcome, schemes))
        })
        .await?;
    let (status, report, file_problem, imported) = match &outcome {
        ImportOutcome::Unreadable(problem) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Value::Null,
            json!({ "key": format!("registry-import-file-{}", problem.code()), "argument": problem.argument() }),
            false,
        ),
        ImportOutcome::Checked(plan) => (
            if plan.can_import() {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            },
            report_view(plan),
            Value::Null,
            false,
        ),
        ImportOutcome::Imported(plan) => (StatusCode::OK, report_view(plan), Value::Null, true),
    };
    if imported {
        tracing::info!(actor_id, "member list imported");
    }
    page.render_with_status(
        status,
        "pages/registry/import",
        json!({
            "schemes": scheme_choices(&schemes),
            "report": report,
            "file_problem": file_problem,
            "imported": imported,
            "dry_run": !import_now,
        }),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExportQuery {
    scheme: String,
}

#[get("/secretariaat/ledenlijst/export.csv")]
async fn export_csv(page: PageContext, user: CurrentUser, query: web::Query<ExportQuery>) -> AppResult<HttpResponse> {
    registry_staff(&user)?;
    let code = query.into_inner().scheme;
    let (bytes, label) = page
        .state()
        .db
        .run(move |conn| -> AppResult<(Vec<u8>, String)> {
            let scheme = if code.is_empty() {
                None
            } else {
                Some(
                    super::all_schemes(conn)?
                        .into_iter()
                        .find(|s| s.code == code)
                        .ok_or(AppError::NotFound)?,
                )
            };
            let rows = queries::export_rows(conn, scheme.as_ref().map(|s| s.id))?;
            let label = scheme.map_or_else(|| "alle".to_owned(), |s| s.code);
            Ok((import::write(&rows), label))
        })
        .await?;
    let label: String = label.chars().filter(char::is_ascii_alphanumeric).collect();
    let file_name = format!("ledenlijst-{label}-{}.csv", Utc::now().format("%Y-%m-%d"));
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(bytes))
}

// ---------------------------------------------------------------------------------------------------------
// Schemes and their rules (admins)

#[get("/beheer/regelingen")]
async fn schemes_list(page: PageContext, user: CurrentUser) -> AppResult<HttpResponse> {
    scheme_admin(&user)?;
    let today = Utc::now().date_naive();
    let schemes = page
        .state()
        .db
        .run(move |conn| -> AppResult<Vec<(Scheme, Option<RulesRow>)>> {
            let mut list = Vec::new();
            for scheme in super::all_schemes(conn)? {
                let rules = super::rules_in_force(conn, scheme.id, today)?;
                list.push((scheme, rules));
            }
            Ok(list)
        })
        .await?;
    let schemes: Vec<Value> = schemes
        .iter()
        .map(|(s, rules)| {
            json!({
                "id": s.id,
                "code": s.code,
                "name": s.name,
                "kind_key": format!("registry-kind-{}", s.kind),
                "since": rules.as_ref().map(|r| format_date(page.language, r.valid_from)).unwrap_or_default(),
            })
        })
        .collect();
    page.render("pages/registry/schemes", json!({ "schemes": schemes }))
}

fn period_text(language: Language, period: &Period) -> String {
    let key = match period.unit {
        PeriodUnit::Days => "registry-period-days",
        PeriodUnit::Weeks => "registry-period-weeks",
        PeriodUnit::Months => "registry-period-months",
        PeriodUnit::Years => "registry-period-years",
    };
    let mut args = HashMap::new();
    args.insert(
        std::borrow::Cow::Borrowed("n"),
        fluent_templates::fluent_bundle::FluentValue::from(period.amount),
    );
    i18n::translate_with(language, key, &args)
}

/// The rules history as a table: one row per rule, one column per version (newest first).
fn history_table(language: Language, versions: &[(RulesRow, Option<SchemeRules>)]) -> Vec<Value> {
    let amount = |cents: Option<i64>| cents.map(format_euros).unwrap_or_else(|| "—".to_owned());
    let code = |prefix: &str, code: &str| i18n::translate(language, &format!("{prefix}{code}"));
    type Cell = fn(&SchemeRules) -> Period;
    let mut rows: Vec<(String, Vec<String>)> = vec![
        (
            "complaint_fee".into(),
            versions
                .iter()
                .map(|(_, r)| {
                    r.as_ref()
                        .map(|r| amount(Some(r.complaint_fee_cents)))
                        .unwrap_or_default()
                })
                .collect(),
        ),
        (
            "fee_refund".into(),
            versions
                .iter()
                .map(|(_, r)| {
                    r.as_ref()
                        .map(|r| code("registry-refund-", r.fee_refund.as_str()))
                        .unwrap_or_default()
                })
                .collect(),
        ),
        (
            "min_claim".into(),
            versions
                .iter()
                .map(|(_, r)| r.as_ref().map(|r| amount(r.min_claim_cents)).unwrap_or_default())
                .collect(),
        ),
        (
            "max_claim".into(),
            versions
                .iter()
                .map(|(_, r)| r.as_ref().map(|r| amount(r.max_claim_cents)).unwrap_or_default())
                .collect(),
        ),
        (
            "membership_date_basis".into(),
            versions
                .iter()
                .map(|(_, r)| {
                    r.as_ref()
                        .map(|r| code("registry-basis-", r.membership_date_basis.as_str()))
                        .unwrap_or_default()
                })
                .collect(),
        ),
    ];
    let terms: [(&str, Cell); 12] = [
        ("provider_answer_period", |r| r.provider_answer_period),
        ("filing_limit", |r| r.filing_limit),
        ("defence_term", |r| r.defence_term),
        ("reply_term", |r| r.reply_term),
        ("information_term", |r| r.information_term),
        ("fee_term", |r| r.fee_term),
        ("reaction_term", |r| r.reaction_term),
        ("refusal_term", |r| r.refusal_term),
        ("outcome_target", |r| r.outcome_target),
        ("ruling_term_after_hearing", |r| r.ruling_term_after_hearing),
        ("compliance_term", |r| r.compliance_term),
        ("settlement_compliance_term", |r| r.settlement_compliance_term),
    ];
    debug_assert_eq!(terms.map(|(name, _)| name), TERM_FIELDS);
    for (name, get) in terms {
        rows.push((
            name.to_owned(),
            versions
                .iter()
                .map(|(_, r)| r.as_ref().map(|r| period_text(language, &get(r))).unwrap_or_default())
                .collect(),
        ));
    }
    rows.push((
        "panel_size".into(),
        versions
            .iter()
            .map(|(_, r)| r.as_ref().map(|r| r.panel_size.to_string()).unwrap_or_default())
            .collect(),
    ));
    rows.push((
        "guarantee_cap".into(),
        versions
            .iter()
            .map(|(_, r)| r.as_ref().map(|r| amount(r.guarantee_cap_cents)).unwrap_or_default())
            .collect(),
    ));
    rows.into_iter()
        .map(|(name, values)| json!({ "label_key": format!("registry-rules-{name}"), "values": values }))
        .collect()
}

struct SchemeView {
    scheme: Scheme,
    versions: Vec<RulesRow>,
    history: Vec<HistoryEntry>,
}

async fn load_scheme_view(page: &PageContext, id: i64) -> AppResult<SchemeView> {
    page.state()
        .db
        .run(move |conn| -> AppResult<SchemeView> {
            let scheme = queries::find_scheme(conn, id)?.ok_or(AppError::NotFound)?;
            Ok(SchemeView {
                versions: queries::rules_history(conn, id)?,
                history: queries::scheme_history(conn, id, HISTORY_LINES)?,
                scheme,
            })
        })
        .await
}

fn render_scheme_page(
    page: &PageContext,
    view: &SchemeView,
    form: Option<&RulesForm>,
    errors: &FieldErrors,
    notice: Option<&str>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let today = Utc::now().date_naive();
    let language = page.language;
    let parsed: Vec<(RulesRow, Option<SchemeRules>)> = view
        .versions
        .iter()
        .map(|row| (row.clone(), row.to_rules(&view.scheme).ok()))
        .collect();
    // The versions are newest first: the one in force is the first that started by today.
    let in_force = parsed.iter().position(|(row, _)| row.valid_from <= today);
    let columns: Vec<Value> = parsed
        .iter()
        .enumerate()
        .map(|(i, (row, _))| {
            json!({
                "from": format_date(language, row.valid_from),
                "in_force": Some(i) == in_force,
                "future": row.valid_from > today,
            })
        })
        .collect();
    let prefill = in_force
        .or(if parsed.is_empty() { None } else { Some(0) })
        .and_then(|i| parsed[i].1.clone())
        .unwrap_or_else(|| match view.scheme.kind.parse() {
            Ok(SchemeKind::Mediation) => SchemeRules::mediation_defaults(),
            _ => SchemeRules::commission_defaults(),
        });
    let default_form = RulesForm::from_rules(&prefill, today + TimeDelta::days(1));
    let form = form.unwrap_or(&default_form);
    let select = |all: Vec<&'static str>, selected: &str, prefix: &str| -> Vec<Value> {
        all.into_iter()
            .map(|code| json!({ "value": code, "label_key": format!("{prefix}{code}"), "selected": code == selected }))
            .collect()
    };
    let terms: Vec<Value> = TERM_FIELDS
        .iter()
        .map(|name| {
            let value = serde_json::to_value(form)
                .ok()
                .and_then(|v| v.get(*name).cloned())
                .unwrap_or(Value::Null);
            json!({ "name": name, "label_key": format!("registry-rules-{name}"), "value": value, "error": errors.to_json().get(*name).cloned() })
        })
        .collect();
    page.render_with_status(
        status,
        "pages/registry/scheme",
        json!({
            "notice": notice,
            "scheme": {
                "id": view.scheme.id,
                "code": view.scheme.code,
                "name": view.scheme.name,
                "kind_key": format!("registry-kind-{}", view.scheme.kind),
                "covers_key": format!("registry-covers-{}", view.scheme.covers),
                "languages": view.scheme.languages,
            },
            "columns": columns,
            "rows": history_table(language, &parsed),
            "history": history_view(&view.history),
            "values": form,
            "errors": errors.to_json(),
            "terms": terms,
            "fee_refund_options": select(FeeRefundRule::ALL.iter().map(|r| r.as_str()).collect(), &form.fee_refund, "registry-refund-"),
            "basis_options": select(MembershipDateBasis::ALL.iter().map(|r| r.as_str()).collect(), &form.membership_date_basis, "registry-basis-"),
            "panel_options": [
                { "value": "1", "label": "1", "selected": form.panel_size.trim() == "1" },
                { "value": "3", "label": "3", "selected": form.panel_size.trim() == "3" },
            ],
        }),
    )
}

#[get("/beheer/regelingen/{id}")]
async fn scheme_page(
    page: PageContext,
    user: CurrentUser,
    path: web::Path<i64>,
    query: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    scheme_admin(&user)?;
    let view = load_scheme_view(&page, path.into_inner()).await?;
    render_scheme_page(&page, &view, None, &FieldErrors::new(), notice(&query), StatusCode::OK)
}

#[post("/beheer/regelingen/{id}/regels")]
async fn add_rules_version(
    page: PageContext,
    user: CurrentUser,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<RulesForm>,
) -> AppResult<HttpResponse> {
    let actor_id = scheme_admin(&user)?;
    let scheme_id = path.into_inner();
    let today = Utc::now().date_naive();
    let now = now();
    let submitted = form.clone();
    let outcome = page
        .state()
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| -> AppResult<Result<i64, FieldErrors>> {
                let scheme = queries::find_scheme(conn, scheme_id)?.ok_or(AppError::NotFound)?;
                let (Ok(kind), Ok(covers)) = (scheme.kind.parse::<SchemeKind>(), scheme.covers.parse::<Coverage>())
                else {
                    return Err(AppError::internal(format!(
                        "scheme {scheme_id} has an unknown kind or coverage"
                    )));
                };
                let taken: Vec<NaiveDate> = queries::rules_history(conn, scheme_id)?
                    .iter()
                    .map(|r| r.valid_from)
                    .collect();
                let (valid_from, rules) = match submitted.validate(kind, covers, today, &taken) {
                    Ok(valid) => valid,
                    Err(errors) => return Ok(Err(errors)),
                };
                let rules_id = super::add_rules_version(conn, scheme_id, &rules, valid_from, Some(actor_id), now)?;
                crate::audit::record(
                    conn,
                    Some(actor_id),
                    "scheme",
                    scheme_id,
                    "rules_version_added",
                    json!({ "rules_id": rules_id, "valid_from": iso(Some(valid_from)), "rules": rules }),
                    now,
                )?;
                Ok(Ok(rules_id))
            })
        })
        .await
        .or_else(|error| match error {
            AppError::Conflict(_) => {
                let mut errors = FieldErrors::new();
                errors.add("valid_from", "registry-rules-from-taken");
                Ok(Err(errors))
            }
            other => Err(other),
        })?;
    match outcome {
        Ok(_) => Ok(see_other(&format!(
            "/beheer/regelingen/{scheme_id}?notice=registry-notice-rules-saved"
        ))),
        Err(errors) => {
            let view = load_scheme_view(&page, scheme_id).await?;
            render_scheme_page(
                &page,
                &view,
                Some(&form),
                &errors,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}
