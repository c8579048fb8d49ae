//! The public register of published rulings (`/uitspraken`, one page per ruling at
//! `/uitspraken/{reference}`, and the same as JSON under `/api/v1/rulings`) and the
//! secretariat's review of the anonymised versions (`/secretariaat/uitspraken`).

use std::sync::Arc;

use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::search::{self, CATEGORIES, MAX_PAGE, OUTCOMES, RANKED_MATCHES, RawSearch, Search};
use super::{RegisterItem, RegisterPage, ReviewItem};
use crate::accounts::identity::CurrentUser;
use crate::policy::{self, Actor};
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::page::{CsrfForm, PageContext, see_other, url_escape};
use crate::web::public_limit::PublicVisit;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(register_page)
        .service(ruling_page)
        .service(register_api)
        .service(ruling_api)
        .service(review_queue)
        .service(review_page)
        .service(review_save);
}

fn date_text(at: Option<chrono::NaiveDateTime>) -> String {
    at.map(|d| d.format("%d-%m-%Y").to_string()).unwrap_or_default()
}

/// The link to another page of the same search.
fn page_link(raw: &RawSearch, page: i64) -> String {
    let mut parts = Vec::new();
    for (key, value) in [
        ("q", &raw.q),
        ("scheme", &raw.scheme),
        ("category", &raw.category),
        ("year", &raw.year),
        ("outcome", &raw.outcome),
        ("provider", &raw.provider),
        ("sort", &raw.sort),
    ] {
        if !value.trim().is_empty() {
            parts.push(format!("{key}={}", url_escape(value)));
        }
    }
    parts.push(format!("page={page}"));
    format!("/uitspraken?{}", parts.join("&"))
}

#[get("/uitspraken")]
async fn register_page(_: PublicVisit, page: PageContext, query: web::Query<RawSearch>) -> AppResult<HttpResponse> {
    let raw = query.into_inner();
    let search = search::parse(&raw);
    let for_query = search.clone();
    let scheme_list = page.data().schemes.clone();
    let answers = page.data().register.clone();
    let now = chrono::Utc::now().naive_utc();
    let (kept, schemes) = page
        .data()
        .db
        .run(move |conn| -> AppResult<_> {
            Ok((
                answers.search_without_ranking(conn, &for_query)?,
                scheme_list.all(conn, now)?,
            ))
        })
        .await?;
    let found = match kept {
        Some(found) => found,
        None => ranked_afresh(&page.data(), search.clone()).await?,
    };
    let items: Vec<Value> = found.items.iter().map(item_view).collect();
    let select = |list: &[&str], chosen: &Option<String>| -> Vec<Value> {
        list.iter()
            .map(|code| json!({ "code": code, "selected": chosen.as_deref() == Some(*code) }))
            .collect()
    };
    page.render(
        "pages/publication/register",
        json!({
            "values": raw,
            "rulings": items,
            "searched": search.has_words(),
            "page": search.page,
            "previous": (search.page > 1).then(|| page_link(&raw, search.page - 1)),
            "next": (found.more && search.page < MAX_PAGE).then(|| page_link(&raw, search.page + 1)),
            "ranking_limited": found.ranking_limited,
            "ranked_matches": RANKED_MATCHES,
            "words_limited": found.words_limited,
            "schemes": schemes.iter().map(|s| json!({ "code": s.code, "name": s.name, "selected": search.scheme.as_deref() == Some(s.code.as_str()) })).collect::<Vec<_>>(),
            "categories": select(&CATEGORIES, &search.category),
            "outcomes": select(&OUTCOMES, &search.outcome),
            "sort_date": search.sort == search::Sort::Date,
        }),
    )
}

/// A search that has to be ranked afresh, in one of the node's turns (`cache::RegisterCache`).
async fn ranked_afresh(state: &AppState, search: Search) -> AppResult<Arc<RegisterPage>> {
    let answers = state.register.clone();
    let _turn = answers
        .ranking_turn()
        .await
        .ok_or_else(|| AppError::Unavailable("the register's search is busy".into()))?;
    state
        .db
        .run(move |conn| -> AppResult<_> { Ok(answers.search(conn, &search)?) })
        .await
}

fn item_view(item: &RegisterItem) -> Value {
    json!({
        "reference": item.reference,
        "href": format!("/uitspraken/{}", url_escape(&item.reference)),
        "scheme": item.scheme_name,
        "provider": item.provider_name,
        "provider_id": item.provider_id,
        "category": item.category,
        "year": item.year,
        "outcome": item.outcome,
        "summary": item.summary,
        "published_on": date_text(item.published_at),
    })
}

#[get("/uitspraken/{reference}")]
async fn ruling_page(_: PublicVisit, page: PageContext, path: web::Path<String>) -> AppResult<HttpResponse> {
    let reference = path.into_inner();
    let found = page
        .data()
        .db
        .run(move |conn| -> AppResult<_> { Ok(super::find_published_by_reference(conn, &reference)?) })
        .await?;
    let (ruling, _code, scheme_name, provider) = found.ok_or(AppError::NotFound)?;
    page.render(
        "pages/publication/ruling",
        json!({
            "ruling": ruling,
            "scheme": scheme_name,
            "provider": provider,
            "published_on": date_text(ruling.published_at),
        }),
    )
}

/// A page of the register as JSON.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RulingPage {
    pub page: i64,
    /// Whether a next page exists (at most 50 pages are served; narrow the search for more).
    pub more: bool,
    /// The words match more than 2,000 rulings, and only the newest 2,000 of them were ranked: the
    /// best matches among those come first. Add words or filters to reach older rulings. Always
    /// false when sorted by date (newest first needs no bound) or without words.
    pub ranking_limited: bool,
    /// A word searched is also the start of more longer words of the register than were searched
    /// (a search looks for at most 24 whole words, shared among the words typed): the ones in the
    /// most rulings were. Type more of the word to find the others. Always false on PostgreSQL,
    /// which searches word stems.
    pub words_limited: bool,
    pub rulings: Vec<RegisterItem>,
}

/// One published ruling as JSON.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RulingDocument {
    pub reference: String,
    pub scheme_code: String,
    pub scheme_name: String,
    pub provider_id: Option<i64>,
    pub provider_name: Option<String>,
    pub category: String,
    pub year: i32,
    pub outcome: String,
    pub summary: String,
    /// The anonymised text of the ruling.
    pub body: String,
    #[serde(serialize_with = "crate::web::utc::option::serialize")]
    pub published_at: Option<chrono::NaiveDateTime>,
}

/// Search the published rulings.
#[utoipa::path(
    get,
    path = "/api/v1/rulings",
    tag = "rulings",
    params(RawSearch),
    responses(
        (status = 200, description = "One page of published rulings", body = RulingPage),
        (status = 429, description = "Too many requests from this address: try again after `Retry-After` seconds (docs/SECURITY.md)", content_type = "application/problem+json"),
        (status = 503, description = "A search never asked before found the node's turns for ranking taken for 10 s: try again after `Retry-After` seconds (docs/SECURITY.md)", content_type = "application/problem+json")
    )
)]
#[get("/api/v1/rulings")]
pub async fn register_api(
    _: PublicVisit,
    state: web::Data<AppState>,
    query: web::Query<RawSearch>,
) -> AppResult<HttpResponse> {
    let search = search::parse(&query.into_inner());
    let page = search.page;
    let answers = state.register.clone();
    let for_query = search.clone();
    let kept = state
        .db
        .run(move |conn| -> AppResult<_> { Ok(answers.search_without_ranking(conn, &for_query)?) })
        .await?;
    let found = match kept {
        Some(found) => found,
        None => ranked_afresh(&state, search).await?,
    };
    Ok(HttpResponse::Ok().json(RulingPage {
        page,
        more: found.more,
        ranking_limited: found.ranking_limited,
        words_limited: found.words_limited,
        rulings: found.items.clone(),
    }))
}

/// One published ruling by its reference.
#[utoipa::path(
    get,
    path = "/api/v1/rulings/{reference}",
    tag = "rulings",
    params(("reference" = String, Path, description = "The ruling's reference, e.g. TEL-2026-000123")),
    responses(
        (status = 200, description = "The published ruling", body = RulingDocument),
        (status = 404, description = "No published ruling with this reference"),
        (status = 429, description = "Too many requests from this address: try again after `Retry-After` seconds (docs/SECURITY.md)", content_type = "application/problem+json")
    )
)]
#[get("/api/v1/rulings/{reference}")]
pub async fn ruling_api(
    _: PublicVisit,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let reference = path.into_inner();
    let found = state
        .db
        .run(move |conn| -> AppResult<_> { Ok(super::find_published_by_reference(conn, &reference)?) })
        .await?;
    let (r, scheme_code, scheme_name, provider_name) = found.ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(RulingDocument {
        reference: r.reference,
        scheme_code,
        scheme_name,
        provider_id: r.provider_id,
        provider_name,
        category: r.category,
        year: r.year,
        outcome: r.outcome,
        summary: r.summary,
        body: r.body,
        published_at: r.published_at,
    }))
}

fn review_item(r: &ReviewItem) -> Value {
    json!({
        "id": r.id,
        "reference": r.reference,
        "status": r.status,
        "outcome": r.outcome,
        "category": r.category,
        "year": r.year,
        "summary": r.summary,
        "published_on": date_text(r.published_at),
    })
}

#[get("/secretariaat/uitspraken")]
async fn review_queue(CurrentUser(signed_in): CurrentUser, page: PageContext) -> AppResult<HttpResponse> {
    policy::ensure(policy::can_see_all_cases(&Actor::from(&signed_in)))?;
    let rows = page
        .data()
        .db
        .run(|conn| -> AppResult<_> { Ok(super::review_queue(conn, 100)?) })
        .await?;
    let (waiting, done): (Vec<_>, Vec<_>) = rows.iter().partition(|r| r.status == super::IN_REVIEW);
    page.render(
        "pages/publication/queue",
        json!({
            "waiting": waiting.into_iter().map(review_item).collect::<Vec<_>>(),
            "done": done.into_iter().map(review_item).collect::<Vec<_>>(),
        }),
    )
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

#[get("/secretariaat/uitspraken/{id}")]
async fn review_page(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    query: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    policy::ensure(policy::can_see_all_cases(&Actor::from(&signed_in)))?;
    let id = path.into_inner();
    let (row, case_id) = page
        .data()
        .db
        .run(move |conn| -> AppResult<_> {
            let row = super::find(conn, id)?.ok_or(AppError::NotFound)?;
            Ok((row, super::case_of(conn, id)?))
        })
        .await?;
    let notice = query
        .notice
        .as_deref()
        .filter(|n| ["saved", "anonymised-again", "published", "withdrawn"].contains(n));
    page.render(
        "pages/publication/review",
        json!({
            "ruling": review_item(&ReviewItem::from(&row)),
            "body": row.body,
            "case_id": case_id,
            "in_review": row.status == super::IN_REVIEW,
            "published": row.status == super::PUBLISHED,
            "public_href": format!("/uitspraken/{}", url_escape(&row.reference)),
            "notice": notice.map(|n| format!("publication-notice-{n}")),
        }),
    )
}

#[derive(Deserialize)]
pub struct ReviewForm {
    #[serde(default)]
    summary: String,
    #[serde(default)]
    body: String,
    /// `save`, `publish` or `withdraw`.
    action: String,
}

#[post("/secretariaat/uitspraken/{id}")]
async fn review_save(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<ReviewForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    policy::ensure(policy::can_see_all_cases(&actor))?;
    let id = path.into_inner();
    let now = Utc::now().naive_utc();
    let action = form.action.clone();
    if !["save", "publish", "withdraw"].contains(&action.as_str()) {
        return Err(AppError::BadRequest("unknown action".into()));
    }
    if action != "withdraw" && (form.summary.trim().is_empty() || form.body.trim().is_empty()) {
        return Err(AppError::BadRequest("summary and text are required".into()));
    }
    let notice = page
        .data()
        .db
        .run(move |conn| -> AppResult<&'static str> {
            crate::db::write_transaction(conn, |conn| -> AppResult<&'static str> {
                if action == "withdraw" {
                    super::set_published(conn, id, false, actor.user_id, now)?;
                    return Ok("withdrawn");
                }
                let changed = super::save_text(conn, id, form.summary.trim(), form.body.trim(), actor.user_id, now)?;
                if changed {
                    // Personal data was typed back in: show the cleaned text before publishing it.
                    return Ok("anonymised-again");
                }
                if action == "publish" {
                    super::set_published(conn, id, true, actor.user_id, now)?;
                    return Ok("published");
                }
                Ok("saved")
            })
        })
        .await?;
    Ok(see_other(&format!("/secretariaat/uitspraken/{id}?notice={notice}")))
}
