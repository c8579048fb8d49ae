//! The public membership check: `GET /aangesloten` (a page, no account needed) and
//! `GET /api/v1/registry/providers` (the same answer as JSON). Search by name, trade name or KvK number,
//! optionally with the contract date; see docs/REGISTRY.md.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, web};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::check::{CheckAnswer, format_date};
use super::forms::parse_date_input;
use super::search;
use crate::i18n::{self, Language};
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::form::FieldErrors;
use crate::web::page::PageContext;
use crate::web::public_limit::PublicVisit;

/// At most this many providers are shown for one search.
pub const MAX_RESULTS: usize = 20;
/// Where a consumer files a case.
pub const FILE_A_CASE: &str = "/zaak-indienen";

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(check_page).service(check_api);
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CheckQuery {
    q: String,
    date: String,
}

/// Runs the search and puts the answer together (from the node's kept reads: `registry::cache`).
pub async fn run_check(
    state: &AppState,
    raw_query: String,
    today: NaiveDate,
    date: Option<NaiveDate>,
) -> AppResult<CheckAnswer> {
    let kept = state.registry.clone();
    state
        .db
        .run(move |conn| -> AppResult<CheckAnswer> {
            let query = search::parse_query(&raw_query);
            Ok(kept.check(conn, &query, today, date, MAX_RESULTS)?)
        })
        .await
}

/// The answer with every date and sentence written out, for the page.
/// Typed views, turned into the page's data once (nested `json!` copies every level again). The
/// sentences are formatted here rather than by `{{t}}` in the template's loops: 20 providers with
/// their schemes and periods made ~130 helper calls, each evaluating its arguments, which was most
/// of the page's rendering in profiles (docs/PERFORMANCE.md, item 15).
#[derive(Serialize)]
struct CheckView<'a> {
    providers: Vec<ProviderView<'a>>,
    more: bool,
    date_text: String,
    has_date: bool,
    today_label: String,
    on_date_label: String,
    file_href: &'static str,
}

#[derive(Serialize)]
struct ProviderView<'a> {
    legal_name: &'a str,
    trade_names: String,
    kvk_number: &'a str,
    city: &'a str,
    schemes: Vec<SchemeView<'a>>,
}

#[derive(Serialize)]
struct SchemeView<'a> {
    name: &'a str,
    code: &'a str,
    valid_today: bool,
    today_standing: &'a str,
    today_text: String,
    on_date_standing: Option<&'a str>,
    on_date_text: Option<String>,
    explanation: String,
    can_file: bool,
    memberships: Vec<MembershipView>,
}

#[derive(Serialize)]
struct MembershipView {
    period: String,
    status: String,
}

fn standing_key(standing: &str) -> String {
    format!("registry-standing-{standing}")
}

fn verdict_key(basis: &str, verdict: &str) -> String {
    format!("registry-verdict-{basis}-{verdict}")
}

fn status_key(status: &str) -> String {
    format!("registry-status-{status}")
}

fn page_view(answer: &CheckAnswer, language: Language) -> Value {
    let text = |date: Option<NaiveDate>| date.map(|d| format_date(language, d)).unwrap_or_default();
    let plain = |key: String| i18n::with_plain(language, &key, str::to_owned).unwrap_or(key);
    let with = |key: &str, args: &[(&'static str, &str)]| {
        i18n::try_translate_pairs(language, key, args).unwrap_or_else(|| key.to_owned())
    };
    let date_text = text(answer.date);
    let view = CheckView {
        providers: answer
            .providers
            .iter()
            .map(|p| ProviderView {
                legal_name: &p.legal_name,
                trade_names: p.trade_names.join(", "),
                kvk_number: &p.kvk_number,
                city: &p.city,
                schemes: p
                    .schemes
                    .iter()
                    .map(|s| SchemeView {
                        name: &s.name,
                        code: &s.code,
                        valid_today: s.valid_today,
                        today_standing: s.today.standing,
                        today_text: plain(standing_key(s.today.standing)),
                        on_date_standing: s.on_date.as_ref().map(|o| o.standing),
                        on_date_text: s.on_date.as_ref().map(|o| plain(standing_key(o.standing))),
                        explanation: with(
                            &verdict_key(s.membership_date_basis, s.verdict),
                            &[("scheme", &s.name), ("date", &date_text)],
                        ),
                        can_file: s.verdict == "can_file",
                        memberships: s
                            .memberships
                            .iter()
                            .map(|m| {
                                let from = text(Some(m.valid_from));
                                MembershipView {
                                    period: match m.valid_until {
                                        Some(until) => with(
                                            "registry-period-from-until",
                                            &[("from", &from), ("until", &text(Some(until)))],
                                        ),
                                        None => with("registry-period-from-open", &[("from", &from)]),
                                    },
                                    status: plain(status_key(&m.status)),
                                }
                            })
                            .collect(),
                    })
                    .collect(),
            })
            .collect(),
        more: answer.more,
        today_label: with("registry-check-today", &[("date", &text(Some(answer.today)))]),
        on_date_label: with("registry-check-on-date", &[("date", &date_text)]),
        date_text,
        has_date: answer.date.is_some(),
        file_href: FILE_A_CASE,
    };
    serde_json::to_value(view).unwrap_or(Value::Null)
}

#[get("/aangesloten")]
async fn check_page(_: PublicVisit, page: PageContext, query: web::Query<CheckQuery>) -> AppResult<HttpResponse> {
    let CheckQuery { q, date } = query.into_inner();
    let mut errors = FieldErrors::new();
    let contract_date = parse_date_input(&date).unwrap_or_else(|key| {
        errors.add("date", key);
        None
    });
    let searched = !q.trim().is_empty();
    let today = Utc::now().date_naive();
    let result = if searched && errors.is_empty() {
        let answer = run_check(page.state(), q.clone(), today, contract_date).await?;
        page_view(&answer, page.language)
    } else {
        Value::Null
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page.render_with_status(status, "pages/registry/check", {
        let mut data = json!({
            "values": { "q": q, "date": date },
            "errors": errors.to_json(),
            "searched": searched && errors.is_empty(),
        });
        data["result"] = result; // moved in: `json!` would copy it
        data
    })
}

/// The JSON answer: the query as read, and the check's answer.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ApiAnswer {
    query: String,
    #[serde(flatten)]
    answer: CheckAnswer,
}

/// Is a provider affiliated with a scheme (today, and on the contract date)?
#[utoipa::path(
    get,
    path = "/api/v1/registry/providers",
    tag = "registry",
    params(
        ("q" = String, Query, description = "Name, trade name or KvK number; the start of a word is enough"),
        ("date" = Option<String>, Query, description = "The contract date, YYYY-MM-DD")
    ),
    responses(
        (status = 200, description = "The providers found, at most 20", body = ApiAnswer),
        (status = 400, description = "q missing or date not a date", content_type = "application/problem+json"),
        (status = 429, description = "Too many requests from this address: try again after `Retry-After` seconds (docs/SECURITY.md)", content_type = "application/problem+json")
    )
)]
#[get("/api/v1/registry/providers")]
pub async fn check_api(
    _: PublicVisit,
    state: web::Data<AppState>,
    query: web::Query<CheckQuery>,
) -> AppResult<HttpResponse> {
    let CheckQuery { q, date } = query.into_inner();
    if q.trim().is_empty() {
        return Err(AppError::BadRequest(
            "q is required: a name, trade name or KvK number".into(),
        ));
    }
    let contract_date = parse_date_input(&date)
        .map_err(|_| AppError::BadRequest("date must be a date in the form YYYY-MM-DD".into()))?;
    let today = Utc::now().date_naive();
    let answer = run_check(&state, q.clone(), today, contract_date).await?;
    Ok(HttpResponse::Ok().json(ApiAnswer { query: q, answer }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::membership::{MembershipStatus, Standing, Verdict};
    use crate::registry::rules::MembershipDateBasis;

    /// The page forms its message keys from codes; each must name a Dutch message (which every
    /// language has: `i18n::tests::every_language_has_every_key_of_the_dutch_catalogue`), or the
    /// page would show the bare key.
    #[test]
    fn every_standing_verdict_and_status_has_its_sentence() {
        let words = |key: &str, args: &[(&'static str, &str)]| i18n::try_translate_pairs(Language::Nl, key, args);
        let mut keys = Vec::new();
        keys.extend(Standing::ALL.map(|s| standing_key(s.as_str())));
        keys.extend(MembershipStatus::ALL.map(|s| status_key(s.as_str())));
        for key in &keys {
            assert!(words(key, &[]).is_some(), "no message {key}");
        }
        for basis in MembershipDateBasis::ALL {
            for verdict in Verdict::ALL {
                let key = verdict_key(basis.as_str(), verdict.as_str());
                let sentence = words(&key, &[("scheme", "Telecommunicatie"), ("date", "3 maart 2025")]);
                assert!(
                    sentence.is_some_and(|s| s.contains("Telecommunicatie")),
                    "no message {key}"
                );
            }
        }
    }
}
