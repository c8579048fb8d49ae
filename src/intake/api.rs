//! The filing through the JSON API (`/api/v1/intake/...`): the eligibility check of a set of answers
//! (public), drafts (create, read, replace) and the submit, for a signed-in consumer (session cookie; a
//! JSON body cannot be sent across sites without CORS, and the `Origin` check refuses other sites). The
//! request body is the wizard's [`Draft`]; the same rules refuse the same bad values, with a message per
//! field.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, put, web};
use chrono::Utc;
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::drafts::{self, DraftRow, IntakeError};
use super::presentation::{self, EligibilityView};
use super::wizard::{self, Draft, Problems};
use crate::accounts::Role;
use crate::accounts::identity::{CurrentUser, SignedIn};
use crate::i18n::{self, Language};
use crate::policy::{self, Actor};
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(check)
        .service(create)
        .service(read)
        .service(replace)
        .service(submit);
}

/// A draft as the API returns it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DraftResponse {
    pub id: i64,
    pub answers: Draft,
    /// The first step that still misses an answer (`null` when every required answer is given).
    pub missing_step: Option<&'static str>,
    /// The day the provider's answer period ends, when waiting is what is left.
    pub waiting_until: Option<chrono::NaiveDate>,
    pub eligibility: EligibilityView,
    /// The case, once the draft is filed.
    pub case_id: Option<i64>,
}

/// The answer to a submit.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FiledResponse {
    pub case_id: i64,
    pub reference: String,
    pub fee_cents: i64,
    /// False when the draft had been filed before: nothing new happened.
    pub new: bool,
}

/// The answer of the public eligibility check.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckResponse {
    pub missing_step: Option<&'static str>,
    pub eligibility: EligibilityView,
}

fn language_of(signed_in: &SignedIn) -> Language {
    Language::from_code(&signed_in.user.language).unwrap_or_default()
}

/// The intake API is for consumers: anyone else is told so (`403`, as documented), which
/// reveals nothing, since drafts are only ever looked up among the caller's own.
fn consumer(signed_in: &SignedIn) -> AppResult<Actor> {
    let actor = Actor::from(signed_in);
    if actor.role != Role::Consumer {
        return Err(AppError::Forbidden("the intake API is for consumers"));
    }
    Ok(actor)
}

/// `422` with a message per field (`application/problem+json`).
fn unprocessable(problems: &Problems, language: Language) -> HttpResponse {
    let mut errors = Map::new();
    for (field, key) in problems.iter() {
        errors.insert(
            field.to_owned(),
            json!({ "code": key.trim_start_matches("intake-error-"), "message": i18n::translate(language, key) }),
        );
    }
    problem(
        StatusCode::UNPROCESSABLE_ENTITY,
        "some answers cannot be right",
        Some(("errors", Value::Object(errors))),
    )
}

fn problem(status: StatusCode, detail: &str, extra: Option<(&str, Value)>) -> HttpResponse {
    let mut body = json!({
        "type": "about:blank",
        "title": status.canonical_reason().unwrap_or_default(),
        "status": status.as_u16(),
        "detail": detail,
    });
    if let (Some((name, value)), Value::Object(map)) = (extra, &mut body) {
        map.insert(name.into(), value);
    }
    HttpResponse::build(status)
        .content_type("application/problem+json")
        .body(body.to_string())
}

/// Runs the eligibility check on a set of answers with today's registry.
async fn evaluate(state: &web::Data<AppState>, draft: &Draft) -> AppResult<drafts::Evaluation> {
    let today = Utc::now().date_naive();
    let draft = draft.clone();
    state
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(drafts::evaluate(conn, &draft, today)?) })
        .await
}

fn describe_evaluation(evaluation: &drafts::Evaluation, language: Language) -> EligibilityView {
    let scheme = evaluation
        .scheme
        .as_ref()
        .map(|(s, _, _)| s.name.as_str())
        .unwrap_or_default();
    presentation::describe(&evaluation.eligibility, language, scheme)
}

/// The draft as the API returns it, with the evaluation its answers were saved with.
fn response(row: &DraftRow, evaluation: &drafts::Evaluation, language: Language) -> DraftResponse {
    let answers = row.draft();
    DraftResponse {
        id: row.id,
        missing_step: answers.first_missing_step().map(|s| s.as_str()),
        waiting_until: row.waiting_until,
        answers,
        eligibility: describe_evaluation(evaluation, language),
        case_id: row.case_id,
    }
}

async fn respond(state: &web::Data<AppState>, row: &DraftRow, language: Language) -> AppResult<DraftResponse> {
    let evaluation = evaluate(state, &row.draft()).await?;
    Ok(response(row, &evaluation, language))
}

/// Checks a set of answers: may this complaint be filed (public, no sign-in).
#[utoipa::path(
    post,
    path = "/api/v1/intake/eligibility",
    tag = "intake",
    request_body = Draft,
    responses(
        (status = 200, description = "The eligibility of the answers", body = CheckResponse),
        (status = 400, description = "Not JSON, or an unknown field or value", content_type = "application/problem+json"),
        (status = 422, description = "Answers that cannot be right, with `errors` per field", content_type = "application/problem+json")
    )
)]
#[post("/api/v1/intake/eligibility")]
pub async fn check(state: web::Data<AppState>, body: web::Json<Draft>) -> AppResult<HttpResponse> {
    let draft = body.into_inner();
    let problems = wizard::check_draft(&draft, Utc::now().date_naive());
    if !problems.is_empty() {
        return Ok(unprocessable(&problems, Language::Nl));
    }
    let eligibility = describe_evaluation(&evaluate(&state, &draft).await?, Language::Nl);
    Ok(HttpResponse::Ok().json(CheckResponse {
        missing_step: draft.first_missing_step().map(|s| s.as_str()),
        eligibility,
    }))
}

/// Starts a draft with these answers.
#[utoipa::path(
    post,
    path = "/api/v1/intake/drafts",
    tag = "intake",
    security(("session" = [])),
    request_body = Draft,
    responses(
        (status = 201, description = "The draft", body = DraftResponse),
        (status = 400, description = "Not JSON, or an unknown field or value", content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", content_type = "application/problem+json"),
        (status = 403, description = "The session's user is not a consumer", content_type = "application/problem+json"),
        (status = 409, description = "Too many open drafts", content_type = "application/problem+json"),
        (status = 422, description = "Answers that cannot be right, with `errors` per field", content_type = "application/problem+json")
    )
)]
#[post("/api/v1/intake/drafts")]
pub async fn create(
    CurrentUser(signed_in): CurrentUser,
    state: web::Data<AppState>,
    body: web::Json<Draft>,
) -> AppResult<HttpResponse> {
    let actor = consumer(&signed_in)?;
    let language = language_of(&signed_in);
    let draft = body.into_inner();
    let now = Utc::now().naive_utc();
    let problems = wizard::check_draft(&draft, now.date());
    if !problems.is_empty() {
        return Ok(unprocessable(&problems, language));
    }
    let (row, evaluation) = state
        .db
        .run(move |conn| -> Result<_, AppError> {
            if drafts::open_drafts(conn, actor.user_id)?.len() >= drafts::MAX_OPEN_DRAFTS {
                return Err(AppError::Conflict(
                    "too many open drafts; continue or delete one".into(),
                ));
            }
            let evaluation = drafts::evaluate(conn, &draft, now.date())?;
            let waiting = drafts::waiting_until(&evaluation.eligibility, now.date());
            let row = drafts::create(conn, actor.user_id, &draft, next_step(&draft), waiting, now)?;
            Ok((row, evaluation))
        })
        .await?;
    Ok(HttpResponse::Created().json(response(&row, &evaluation, language)))
}

/// Where the wizard would continue with these answers.
fn next_step(draft: &Draft) -> wizard::Step {
    draft.first_missing_step().unwrap_or(wizard::Step::Review)
}

/// Saves new answers to a draft; the evaluation they were saved with is returned for the answer.
fn save(
    conn: &mut crate::db::DbConnection,
    row: &DraftRow,
    draft: &Draft,
    now: chrono::NaiveDateTime,
) -> Result<drafts::Evaluation, AppError> {
    let evaluation = drafts::evaluate(conn, draft, now.date())?;
    let waiting = drafts::waiting_until(&evaluation.eligibility, now.date());
    drafts::save(conn, row, draft, next_step(draft), waiting, now)?;
    Ok(evaluation)
}

/// One of the consumer's drafts.
#[utoipa::path(
    get,
    path = "/api/v1/intake/drafts/{id}",
    tag = "intake",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The draft id")),
    responses(
        (status = 200, description = "The draft", body = DraftResponse),
        (status = 401, description = "Not signed in", content_type = "application/problem+json"),
        (status = 403, description = "The session's user is not a consumer", content_type = "application/problem+json"),
        (status = 404, description = "No such draft of this consumer", content_type = "application/problem+json")
    )
)]
#[get("/api/v1/intake/drafts/{id}")]
pub async fn read(
    CurrentUser(signed_in): CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let actor = consumer(&signed_in)?;
    let id = path.into_inner();
    let row = state
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(drafts::find(conn, id, actor.user_id)?) })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok().json(respond(&state, &row, language_of(&signed_in)).await?))
}

/// Replaces a draft's answers.
#[utoipa::path(
    put,
    path = "/api/v1/intake/drafts/{id}",
    tag = "intake",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The draft id")),
    request_body = Draft,
    responses(
        (status = 200, description = "The draft", body = DraftResponse),
        (status = 400, description = "Not JSON, or an unknown field or value", content_type = "application/problem+json"),
        (status = 401, description = "Not signed in", content_type = "application/problem+json"),
        (status = 403, description = "The session's user is not a consumer", content_type = "application/problem+json"),
        (status = 404, description = "No such draft of this consumer", content_type = "application/problem+json"),
        (status = 409, description = "The draft has been filed", content_type = "application/problem+json"),
        (status = 422, description = "Answers that cannot be right, with `errors` per field", content_type = "application/problem+json")
    )
)]
#[put("/api/v1/intake/drafts/{id}")]
pub async fn replace(
    CurrentUser(signed_in): CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<Draft>,
) -> AppResult<HttpResponse> {
    let actor = consumer(&signed_in)?;
    let language = language_of(&signed_in);
    let id = path.into_inner();
    let draft = body.into_inner();
    let now = Utc::now().naive_utc();
    let problems = wizard::check_draft(&draft, now.date());
    if !problems.is_empty() {
        return Ok(unprocessable(&problems, language));
    }
    let (row, evaluation) = state
        .db
        .run(move |conn| -> Result<_, AppError> {
            let row = drafts::find(conn, id, actor.user_id)?.ok_or(AppError::NotFound)?;
            if row.case_id.is_some() {
                return Err(AppError::Conflict("this draft has been filed".into()));
            }
            let evaluation = save(conn, &row, &draft, now)?;
            let row = drafts::find(conn, id, actor.user_id)?.ok_or(AppError::NotFound)?;
            Ok((row, evaluation))
        })
        .await?;
    Ok(HttpResponse::Ok().json(response(&row, &evaluation, language)))
}

/// Files the draft as a case (idempotent: a second submit answers 200 with the same case).
#[utoipa::path(
    post,
    path = "/api/v1/intake/drafts/{id}/submit",
    tag = "intake",
    security(("session" = [])),
    params(("id" = i64, Path, description = "The draft id")),
    responses(
        (status = 201, description = "Filed", body = FiledResponse),
        (status = 200, description = "Filed before; nothing new happened", body = FiledResponse),
        (status = 401, description = "Not signed in", content_type = "application/problem+json"),
        (status = 403, description = "Not a consumer, or the e-mail address is not confirmed", content_type = "application/problem+json"),
        (status = 404, description = "No such draft of this consumer", content_type = "application/problem+json"),
        (status = 409, description = "The complaint cannot be filed yet, with `eligibility`", content_type = "application/problem+json"),
        (status = 422, description = "The draft misses answers, with `missing_step`", content_type = "application/problem+json")
    )
)]
#[post("/api/v1/intake/drafts/{id}/submit")]
pub async fn submit(
    CurrentUser(signed_in): CurrentUser,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let actor = consumer(&signed_in)?;
    if !policy::can_file_case(&actor) {
        return Ok(problem(
            StatusCode::FORBIDDEN,
            "confirm your e-mail address before filing",
            None,
        ));
    }
    let language = language_of(&signed_in);
    let id = path.into_inner();
    let now = Utc::now().naive_utc();
    let outcome = state
        .db
        .run({
            let state = state.clone();
            move |conn| -> Result<_, AppError> {
                match drafts::file(
                    conn,
                    &state.emails,
                    state.settings.base_url(),
                    id,
                    actor.user_id,
                    language,
                    now,
                ) {
                    Ok(filed) => Ok(Ok(filed)),
                    Err(e @ (IntakeError::Incomplete(_) | IntakeError::NotEligible(_))) => Ok(Err(e)),
                    Err(other) => Err(other.into()),
                }
            }
        })
        .await?;
    match outcome {
        Ok(filed) => {
            let status = if filed.new { StatusCode::CREATED } else { StatusCode::OK };
            Ok(HttpResponse::build(status).json(FiledResponse {
                case_id: filed.case_id,
                reference: filed.reference,
                fee_cents: filed.fee_cents,
                new: filed.new,
            }))
        }
        Err(IntakeError::Incomplete(step)) => Ok(problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the draft misses answers",
            Some(("missing_step", json!(step.as_str()))),
        )),
        Err(IntakeError::NotEligible(eligibility)) => Ok(problem(
            StatusCode::CONFLICT,
            "the complaint cannot be filed yet",
            Some(("eligibility", json!(presentation::describe(&eligibility, language, "")))),
        )),
        Err(other) => Err(other.into()),
    }
}
