//! Offers on the case page (make, counter, accept, reject; the settlement as HTML and PDF)
//! and in the JSON API for providers.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::store::{self, Accepted, Context, OfferFailure, OfferRow};
use super::{ACTIONS, OfferTerms, Settlement, check_offer, settlement_document};
use crate::accounts::api_tokens::ApiCaller;
use crate::accounts::identity::CurrentUser;
use crate::cases::queries::{self, CaseRow};
use crate::db::schema::{providers, users};
use crate::i18n::Language;
use crate::outcome_pages::{self, Format};
use crate::policy::{self, Actor, CaseParties, CaseResource};
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::form::FieldErrors;
use crate::web::page::{CsrfForm, PageContext, see_other};
use diesel::prelude::*;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(make_offer)
        .service(answer_offer)
        .service(settlement_file)
        .service(api_list)
        .service(api_make)
        .service(api_answer);
}

/// Loads a case the actor may see (else 404).
pub async fn load_case(state: &web::Data<AppState>, actor: Actor, case_id: i64) -> AppResult<(CaseRow, CaseParties)> {
    let found = state
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(queries::case_with_parties(conn, case_id)?) })
        .await?;
    let (case, parties) = found.ok_or(AppError::NotFound)?;
    policy::ensure(policy::can_view(&actor, &parties, CaseResource::Offer))?;
    Ok((case, parties))
}

#[derive(Deserialize, Default)]
pub struct OfferForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    terms: String,
    #[serde(default)]
    expires_on: String,
    /// The open offer this one counters.
    replaces: Option<i64>,
    action_credit: Option<String>,
    action_repair: Option<String>,
    action_replacement: Option<String>,
    action_contract_ended: Option<String>,
    action_apology: Option<String>,
}

impl OfferForm {
    fn actions(&self) -> Vec<String> {
        let ticked = [
            &self.action_credit,
            &self.action_repair,
            &self.action_replacement,
            &self.action_contract_ended,
            &self.action_apology,
        ];
        ACTIONS
            .iter()
            .zip(ticked)
            .filter(|(_, on)| on.is_some())
            .map(|(code, _)| (*code).to_owned())
            .collect()
    }
}

/// The refusal page: what happened instead, with the way back to the case.
fn refused(page: &PageContext, case_id: i64, failure: OfferFailure) -> AppResult<HttpResponse> {
    match failure {
        OfferFailure::NotFound | OfferFailure::Transition(crate::cases::transition::TransitionFailure::NotFound) => {
            Err(AppError::NotFound)
        }
        OfferFailure::Transition(crate::cases::transition::TransitionFailure::Storage(e)) => Err(e.into()),
        OfferFailure::Transition(crate::cases::transition::TransitionFailure::Render(e)) => Err(AppError::Internal(e)),
        other => page.render_with_status(
            StatusCode::CONFLICT,
            "pages/outcome_refused",
            json!({ "case_id": case_id, "message": other.message_key() }),
        ),
    }
}

#[post("/zaken/{id}/aanbod")]
async fn make_offer(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<OfferForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let case_id = path.into_inner();
    let (case, parties) = load_case(&state, actor, case_id).await?;
    let now = Utc::now().naive_utc();
    let terms = match check_offer(&form.amount, &form.actions(), &form.terms, &form.expires_on, now.date()) {
        Ok(terms) => terms,
        Err(problems) => {
            let mut errors = FieldErrors::new();
            for (field, key) in problems {
                errors.add(field, key);
            }
            let actions = form.actions();
            return page.render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "pages/offer_form",
                json!({
                    "case": { "id": case.id, "reference": case.reference },
                    "errors": errors.to_json(),
                    "form": {
                        "amount": form.amount, "terms": form.terms, "expires_on": form.expires_on,
                        "replaces": form.replaces,
                    },
                    "actions": ACTIONS.iter().map(|a| json!({ "code": a, "checked": actions.iter().any(|x| x == a) })).collect::<Vec<_>>(),
                }),
            );
        }
    };
    let replaces = form.replaces;
    let result = state
        .db
        .run({
            let state = state.clone();
            move |conn| {
                let cx = Context {
                    case: &case,
                    parties: &parties,
                    emails: &state.emails,
                    base_url: state.settings.base_url(),
                    now,
                };
                Ok::<_, AppError>(store::make(conn, &cx, &actor, &terms, replaces))
            }
        })
        .await?;
    match result {
        Ok(_) => Ok(see_other(&format!("/zaken/{case_id}?notice=notice-action-done#aanbod"))),
        Err(failure) => refused(&page, case_id, failure),
    }
}

#[derive(Deserialize)]
pub struct AnswerForm {
    answer: String,
    #[serde(default)]
    reason: String,
}

#[post("/zaken/{id}/aanbod/{offer}/antwoord")]
async fn answer_offer(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<(i64, i64)>,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let (case_id, offer_id) = path.into_inner();
    let (case, parties) = load_case(&state, actor, case_id).await?;
    let reason = form
        .reason
        .trim()
        .chars()
        .take(super::MAX_TERMS_CHARS)
        .collect::<String>();
    let answer = Answer::parse(&form.answer).ok_or_else(|| AppError::BadRequest("unknown answer".into()))?;
    let result = run_answer(&state, case, parties, actor, offer_id, answer, reason).await?;
    match result {
        Ok(_) => Ok(see_other(&format!("/zaken/{case_id}?notice=notice-action-done#aanbod"))),
        Err(failure) => refused(&page, case_id, failure),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Accept,
    Reject,
}

impl Answer {
    fn parse(code: &str) -> Option<Self> {
        match code {
            "accept" => Some(Answer::Accept),
            "reject" => Some(Answer::Reject),
            _ => None,
        }
    }
}

/// What an answer led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AnswerResult {
    Settled,
    WaitingForOtherParty,
    Rejected,
}

async fn run_answer(
    state: &web::Data<AppState>,
    case: CaseRow,
    parties: CaseParties,
    actor: Actor,
    offer_id: i64,
    answer: Answer,
    reason: String,
) -> AppResult<Result<AnswerResult, OfferFailure>> {
    let now = Utc::now().naive_utc();
    state
        .db
        .run({
            let state = state.clone();
            move |conn| {
                let cx = Context {
                    case: &case,
                    parties: &parties,
                    emails: &state.emails,
                    base_url: state.settings.base_url(),
                    now,
                };
                Ok::<_, AppError>(match answer {
                    Answer::Accept => store::accept(conn, &cx, &actor, offer_id).map(|a| match a {
                        Accepted::Settled => AnswerResult::Settled,
                        Accepted::WaitingForOtherParty => AnswerResult::WaitingForOtherParty,
                    }),
                    Answer::Reject => {
                        store::reject(conn, &cx, &actor, offer_id, &reason).map(|()| AnswerResult::Rejected)
                    }
                })
            }
        })
        .await
}

/// The settlement of a settled case as `.html` or `.pdf`, in the language of the procedure.
#[get("/zaken/{id}/schikking.{format}")]
async fn settlement_file(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<(i64, String)>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let (case_id, format) = path.into_inner();
    let format = Format::parse(&format).ok_or(AppError::NotFound)?;
    let (case, _) = load_case(&state, actor, case_id).await?;
    let document = state
        .db
        .run(move |conn| -> Result<_, AppError> {
            let Some(offer) = store::accepted_offer(conn, case.id)? else {
                return Ok(None);
            };
            let rules = crate::cases::transition::rules_of(conn, &case)?;
            let consumer: String = users::table
                .find(case.consumer_id)
                .select(users::display_name)
                .first(conn)?;
            let provider: String = providers::table
                .find(case.provider_id)
                .select(providers::legal_name)
                .first(conn)?;
            let due = settlement_compliance_due(conn, &case, &offer)?;
            let language = Language::from_code(&case.language).unwrap_or_default();
            let actions = offer.action_list();
            Ok(Some(settlement_document(
                language,
                &Settlement {
                    reference: &case.reference,
                    scheme_name: &rules.scheme_name,
                    consumer_name: &consumer,
                    provider_name: &provider,
                    maker: offer.maker(),
                    amount_cents: offer.amount_cents,
                    actions: &actions,
                    terms: &offer.terms,
                    accepted_on: offer.responded_at.unwrap_or(offer.created_at).date(),
                    compliance_due_on: due,
                },
            )))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(outcome_pages::download(
        &document,
        format,
        &format!("schikking-{}", case_id),
    ))
}

/// The compliance deadline set when the settlement was accepted (kept in the case history).
fn settlement_compliance_due(
    conn: &mut crate::db::DbConnection,
    case: &CaseRow,
    _offer: &OfferRow,
) -> QueryResult<Option<chrono::NaiveDate>> {
    use crate::db::schema::case_events;
    let detail: Option<String> = case_events::table
        .filter(case_events::case_id.eq(case.id))
        .filter(case_events::kind.eq("start_compliance"))
        .order(case_events::id.desc())
        .select(case_events::detail)
        .first(conn)
        .optional()?;
    Ok(detail
        .and_then(|d| serde_json::from_str::<serde_json::Value>(&d).ok())
        .and_then(|d| d.get("due_on").and_then(|v| v.as_str()).map(str::to_owned))
        .and_then(|d| d.parse().ok()))
}

// ---------------------------------------------------------------------------------------
// JSON API

/// An offer as the API shows it.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OfferJson {
    pub id: i64,
    pub status: String,
    pub made_by_role: String,
    pub amount_cents: Option<i64>,
    pub actions: Vec<String>,
    pub terms: String,
    pub expires_on: chrono::NaiveDate,
    pub replaces_offer_id: Option<i64>,
    pub response_reason: String,
    #[serde(serialize_with = "crate::web::utc::serialize")]
    pub created_at: chrono::NaiveDateTime,
    #[serde(serialize_with = "crate::web::utc::option::serialize")]
    pub responded_at: Option<chrono::NaiveDateTime>,
}

impl From<OfferRow> for OfferJson {
    fn from(o: OfferRow) -> Self {
        Self {
            id: o.id,
            actions: o.action_list(),
            status: o.status,
            made_by_role: o.made_by_role,
            amount_cents: o.amount_cents,
            terms: o.terms,
            expires_on: o.expires_on,
            replaces_offer_id: o.replaces_offer_id,
            response_reason: o.response_reason,
            created_at: o.created_at,
            responded_at: o.responded_at,
        }
    }
}

/// `GET /api/v1/cases/{id}/offers`: every offer of the case, newest first.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OfferListJson {
    pub offers: Vec<OfferJson>,
}

/// `POST /api/v1/cases/{id}/offers`: a new offer, or a counter-offer with `replaces_offer_id`.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct NewOfferJson {
    pub amount_cents: Option<i64>,
    #[serde(default)]
    pub actions: Vec<String>,
    pub terms: String,
    pub expires_on: chrono::NaiveDate,
    pub replaces_offer_id: Option<i64>,
}

/// `POST /api/v1/cases/{id}/offers/{offer_id}/answer`.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct AnswerJson {
    pub answer: Answer,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnswerResultJson {
    pub result: AnswerResult,
}

fn api_failure(failure: OfferFailure) -> AppError {
    match failure {
        OfferFailure::NotYours => AppError::NotFound,
        other => other.into(),
    }
}

/// Every offer of the case, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/offers",
    tag = "offers",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case id")),
    responses(
        (status = 200, description = "The offers", body = OfferListJson),
        (status = 401, description = "No valid token", content_type = "application/problem+json"),
        (status = 404, description = "No such case, or not one of the caller's", content_type = "application/problem+json")
    )
)]
#[get("/api/v1/cases/{id}/offers")]
pub async fn api_list(caller: ApiCaller, state: web::Data<AppState>, path: web::Path<i64>) -> AppResult<HttpResponse> {
    let (case, _) = load_case(&state, caller.actor, path.into_inner()).await?;
    let list = state
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(store::history(conn, case.id)?) })
        .await?;
    Ok(HttpResponse::Ok().json(OfferListJson {
        offers: list.into_iter().map(|(o, _)| o.into()).collect(),
    }))
}

/// Makes a settlement offer, or a counter-offer with `replaces_offer_id`.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/offers",
    tag = "offers",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case id")),
    request_body = NewOfferJson,
    responses(
        (status = 201, description = "The offer made", body = OfferJson),
        (status = 400, description = "Invalid amount, actions, terms or expiry date", content_type = "application/problem+json"),
        (status = 401, description = "No valid token", content_type = "application/problem+json"),
        (status = 403, description = "The token may only read (`read` scope)", content_type = "application/problem+json"),
        (status = 404, description = "No such case, or not one of the caller's", content_type = "application/problem+json"),
        (status = 409, description = "No offer possible in this state, or the offer to replace is no longer open", content_type = "application/problem+json")
    )
)]
#[post("/api/v1/cases/{id}/offers")]
pub async fn api_make(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<NewOfferJson>,
) -> AppResult<HttpResponse> {
    caller.require_write()?;
    let actor = caller.actor;
    let (case, parties) = load_case(&state, actor, path.into_inner()).await?;
    let body = body.into_inner();
    let now = Utc::now().naive_utc();
    let amount = body
        .amount_cents
        .map(|c| format!("{},{:02}", c / 100, c % 100))
        .unwrap_or_default();
    if body.amount_cents.is_some_and(|c| c <= 0) {
        return Err(AppError::BadRequest("amount_cents must be positive".into()));
    }
    let terms: OfferTerms = check_offer(
        &amount,
        &body.actions,
        &body.terms,
        &body.expires_on.to_string(),
        now.date(),
    )
    .map_err(|problems| {
        let fields: Vec<&str> = problems.iter().map(|(f, _)| *f).collect();
        AppError::BadRequest(format!("invalid fields: {}", fields.join(", ")))
    })?;
    let replaces = body.replaces_offer_id;
    let made = state
        .db
        .run({
            let state = state.clone();
            move |conn| -> Result<_, AppError> {
                let cx = Context {
                    case: &case,
                    parties: &parties,
                    emails: &state.emails,
                    base_url: state.settings.base_url(),
                    now,
                };
                let id = store::make(conn, &cx, &actor, &terms, replaces).map_err(api_failure)?;
                store::find(conn, case.id, id)?.ok_or(AppError::NotFound)
            }
        })
        .await?;
    Ok(HttpResponse::Created().json(OfferJson::from(made)))
}

/// Accepts or rejects an open offer.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/offers/{offer}/answer",
    tag = "offers",
    security(("bearer" = [])),
    params(
        ("id" = i64, Path, description = "The case id"),
        ("offer" = i64, Path, description = "The offer id")
    ),
    request_body = AnswerJson,
    responses(
        (status = 200, description = "What the answer led to", body = AnswerResultJson),
        (status = 400, description = "Not a valid answer", content_type = "application/problem+json"),
        (status = 401, description = "No valid token", content_type = "application/problem+json"),
        (status = 403, description = "The token may only read (`read` scope)", content_type = "application/problem+json"),
        (status = 404, description = "No such case or offer, or not one the caller may answer", content_type = "application/problem+json"),
        (status = 409, description = "The offer is no longer open", content_type = "application/problem+json")
    )
)]
#[post("/api/v1/cases/{id}/offers/{offer}/answer")]
pub async fn api_answer(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<(i64, i64)>,
    body: web::Json<AnswerJson>,
) -> AppResult<HttpResponse> {
    caller.require_write()?;
    let (case_id, offer_id) = path.into_inner();
    let (case, parties) = load_case(&state, caller.actor, case_id).await?;
    let body = body.into_inner();
    let reason = body.reason.trim().chars().take(super::MAX_TERMS_CHARS).collect();
    let result = run_answer(&state, case, parties, caller.actor, offer_id, body.answer, reason)
        .await?
        .map_err(api_failure)?;
    Ok(HttpResponse::Ok().json(AnswerResultJson { result }))
}
