//! Compliance on the case page (the provider's report with evidence, the consumer's
//! confirmation or dispute, the secretariat's record of the guarantor's payment, the
//! consumer's rating) and the provider's compliance report in the JSON API.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, post, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::store::{self, Context, RatingFailure};
use super::{check_note, check_rating};
use crate::accounts::api_tokens::ApiCaller;
use crate::accounts::identity::CurrentUser;
use crate::cases::queries::CaseRow;
use crate::cases::transition::TransitionFailure;
use crate::offers::handlers::load_case;
use crate::outcome_pages::{self, Upload};
use crate::policy::{self, Actor, CaseParties, Relation};
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::page::{CsrfForm, PageContext, see_other};

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(report)
        .service(answer)
        .service(record_payment)
        .service(rate)
        .service(api_report);
}

fn refused(page: &PageContext, case_id: i64, failure: TransitionFailure) -> AppResult<HttpResponse> {
    match failure {
        TransitionFailure::NotAllowed(_) | TransitionFailure::Stale | TransitionFailure::NotPermitted => page
            .render_with_status(
                StatusCode::CONFLICT,
                "pages/outcome_refused",
                json!({ "case_id": case_id, "message": "compliance-refused-not-now" }),
            ),
        other => Err(other.into()),
    }
}

/// Runs a compliance step with the case's context.
async fn run<T: Send + 'static>(
    state: &web::Data<AppState>,
    case: CaseRow,
    parties: CaseParties,
    step: impl FnOnce(&mut crate::db::DbConnection, &Context<'_>) -> Result<T, TransitionFailure> + Send + 'static,
) -> AppResult<Result<T, TransitionFailure>> {
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
                Ok::<_, AppError>(step(conn, &cx))
            }
        })
        .await
}

/// The provider reports compliance: a note, and optionally evidence (a credit note).
#[post("/zaken/{id}/nakoming")]
async fn report(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let case_id = path.into_inner();
    let (case, parties) = load_case(&state, actor, case_id).await?;
    let (fields, file) = outcome_pages::read_upload_optional(&page, &state, payload).await?;
    let note = fields
        .iter()
        .find(|(k, _)| k == "note")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    if policy::relation(&actor, &parties) != Relation::Provider {
        return Err(AppError::NotFound);
    }
    let note = match check_note(note) {
        Ok(note) => note,
        Err(key) => {
            let values = json!({ "note": note });
            return outcome_pages::retry(&page, &case, "compliance-report", ("note", key), values);
        }
    };
    let storage = state.settings.storage_dir();
    let max = state.settings.upload_max_bytes;
    let upload = file.map(|(file_name, bytes)| Upload {
        file_name,
        bytes,
        fields: Vec::new(),
    });
    let stored = match upload {
        Some(upload) => Some(
            state
                .db
                .run(move |_| outcome_pages::store_file(&storage, &upload, max))
                .await?,
        ),
        None => None,
    };
    let result = run(&state, case, parties, move |conn, cx| {
        crate::db::write_transaction(conn, |conn| {
            let document_id = match &stored {
                Some(stored) => Some(outcome_pages::insert_document(
                    conn,
                    cx.case.id,
                    &actor,
                    "compliance_evidence",
                    stored,
                    cx.now,
                )?),
                None => None,
            };
            store::report(conn, cx, &actor, &note, document_id)
        })
    })
    .await?;
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/zaken/{case_id}?notice=notice-action-done#nakoming"
        ))),
        Err(failure) => refused(&page, case_id, failure),
    }
}

#[derive(Deserialize)]
pub struct AnswerForm {
    answer: String,
    #[serde(default)]
    note: String,
}

/// The consumer confirms compliance or reports that the provider did not comply.
#[post("/zaken/{id}/nakoming/antwoord")]
async fn answer(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<AnswerForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let case_id = path.into_inner();
    let (case, parties) = load_case(&state, actor, case_id).await?;
    if policy::relation(&actor, &parties) != Relation::Consumer {
        return Err(AppError::NotFound);
    }
    let result = match form.answer.as_str() {
        "confirm" => run(&state, case, parties, move |conn, cx| store::confirm(conn, cx, &actor)).await?,
        "dispute" => {
            let note = match check_note(&form.note) {
                Ok(note) => note,
                Err(key) => {
                    let values = json!({ "note": form.note });
                    return outcome_pages::retry(&page, &case, "compliance-dispute", ("note", key), values);
                }
            };
            run(&state, case, parties, move |conn, cx| {
                store::dispute(conn, cx, &actor, &note)
            })
            .await?
        }
        _ => return Err(AppError::BadRequest("unknown answer".into())),
    };
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/zaken/{case_id}?notice=notice-action-done#nakoming"
        ))),
        Err(failure) => refused(&page, case_id, failure),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

/// The secretariat records that the guarantor paid the claim; the case closes.
#[post("/zaken/{id}/garantie/betaald")]
async fn record_payment(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let case_id = path.into_inner();
    let (case, parties) = load_case(&state, actor, case_id).await?;
    policy::ensure(policy::relation(&actor, &parties) == Relation::Secretariat)?;
    let result = run(&state, case, parties, move |conn, cx| {
        store::record_payment(conn, cx, &actor)
    })
    .await?;
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/zaken/{case_id}?notice=notice-action-done#nakoming"
        ))),
        Err(TransitionFailure::Invalid(_)) => refused(&page, case_id, TransitionFailure::Stale),
        Err(failure) => refused(&page, case_id, failure),
    }
}

#[derive(Deserialize)]
pub struct RatingForm {
    #[serde(default)]
    score: String,
    #[serde(default)]
    comment: String,
}

/// The consumer rates how the provider handled the complaint, once.
#[post("/zaken/{id}/beoordeling")]
async fn rate(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<RatingForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let case_id = path.into_inner();
    let (case, parties) = load_case(&state, actor, case_id).await?;
    if policy::relation(&actor, &parties) != Relation::Consumer {
        return Err(AppError::NotFound);
    }
    let (score, comment) = match check_rating(&form.score, &form.comment) {
        Ok(rating) => rating,
        Err(key) => {
            let field = if key == "rating-error-score" {
                "score"
            } else {
                "comment"
            };
            let values = json!({ "score": form.score, "comment": form.comment });
            return outcome_pages::retry(&page, &case, "rating", (field, key), values);
        }
    };
    let now = Utc::now().naive_utc();
    let result = state
        .db
        .run(move |conn| Ok::<_, AppError>(store::rate(conn, &case, &actor, score, &comment, now)))
        .await?;
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/zaken/{case_id}?notice=notice-action-done#nakoming"
        ))),
        Err(RatingFailure::AlreadyRated) => page.render_with_status(
            StatusCode::CONFLICT,
            "pages/outcome_refused",
            json!({ "case_id": case_id, "message": "rating-refused-already" }),
        ),
        Err(RatingFailure::NotNow) => page.render_with_status(
            StatusCode::CONFLICT,
            "pages/outcome_refused",
            json!({ "case_id": case_id, "message": "compliance-refused-not-now" }),
        ),
        Err(RatingFailure::Query(e)) => Err(e.into()),
    }
}

/// `POST /api/v1/cases/{id}/compliance`: the provider reports compliance.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ComplianceReportJson {
    pub note: String,
}

/// The answer to a compliance report.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ComplianceReportedJson {
    pub reported: bool,
}

/// The provider reports that it has complied with the outcome.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/compliance",
    tag = "compliance",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "The case id")),
    request_body = ComplianceReportJson,
    responses(
        (status = 201, description = "Reported", body = ComplianceReportedJson),
        (status = 400, description = "The note is empty or too long", content_type = "application/problem+json"),
        (status = 401, description = "No valid token", content_type = "application/problem+json"),
        (status = 403, description = "The token may only read (`read` scope)", content_type = "application/problem+json"),
        (status = 404, description = "No such case, or the caller is not its provider", content_type = "application/problem+json"),
        (status = 409, description = "No compliance report possible now", content_type = "application/problem+json")
    )
)]
#[post("/api/v1/cases/{id}/compliance")]
pub async fn api_report(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<ComplianceReportJson>,
) -> AppResult<HttpResponse> {
    caller.require_write()?;
    let actor = caller.actor;
    let (case, parties) = load_case(&state, actor, path.into_inner()).await?;
    if policy::relation(&actor, &parties) != Relation::Provider {
        return Err(AppError::NotFound);
    }
    let note = check_note(&body.note).map_err(|key| AppError::BadRequest(key.into()))?;
    run(&state, case, parties, move |conn, cx| {
        store::report(conn, cx, &actor, &note, None)
    })
    .await?
    .map_err(AppError::from)?;
    Ok(HttpResponse::Created().json(ComplianceReportedJson { reported: true }))
}
