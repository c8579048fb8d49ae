//! The panel's ruling form (draft, correction), the chair's issue button, and the ruling
//! as HTML and PDF for everyone who may see it.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use super::store::{self, Context, RulingFailure};
use super::{DraftFields, check_draft};
use crate::accounts::identity::CurrentUser;
use crate::offers::handlers::load_case;
use crate::outcome_pages::{self, Format};
use crate::policy::{self, Actor, CaseResource};
use crate::web::error::{AppError, AppResult};
use crate::web::form::FieldErrors;
use crate::web::page::{CsrfForm, PageContext, see_other};

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(save_draft).service(issue).service(ruling_file);
}

fn refused(page: &PageContext, case_id: i64, failure: RulingFailure) -> AppResult<HttpResponse> {
    use crate::cases::transition::TransitionFailure as T;
    match failure {
        RulingFailure::NotFound | RulingFailure::Transition(T::NotFound) => Err(AppError::NotFound),
        RulingFailure::Transition(T::Storage(e)) => Err(e.into()),
        RulingFailure::Transition(T::Render(e)) => Err(AppError::Internal(e)),
        other => page.render_with_status(
            StatusCode::CONFLICT,
            "pages/outcome_refused",
            json!({ "case_id": case_id, "message": other.message_key() }),
        ),
    }
}

#[derive(Deserialize)]
pub struct DraftForm {
    #[serde(flatten)]
    fields: DraftFields,
    /// Text, not a number: numbers do not survive `flatten` in url-encoded forms.
    #[serde(default)]
    corrects: String,
}

#[post("/zaken/{id}/uitspraak")]
async fn save_draft(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<DraftForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let case_id = path.into_inner();
    let (case, parties) = load_case(&state, actor, case_id).await?;
    // Drafts are the panel's: to anyone else the form does not exist.
    policy::ensure(policy::can_view(
        &actor,
        &parties,
        CaseResource::Ruling { issued: false },
    ))?;
    let corrects: Option<i64> = form.corrects.trim().parse().ok();
    let draft = match check_draft(&form.fields) {
        Ok(draft) => draft,
        Err(problems) => {
            let mut errors = FieldErrors::new();
            for (field, key) in problems {
                errors.add(field, key);
            }
            return page.render_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                "pages/ruling_form",
                json!({
                    "case": { "id": case.id, "reference": case.reference },
                    "errors": errors.to_json(),
                    "form": form.fields,
                    "corrects": corrects,
                    "outcomes": super::Outcome::ALL.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
                    "deposit_decisions": super::DEPOSIT_DECISIONS,
                }),
            );
        }
    };
    let now = Utc::now().naive_utc();
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
                Ok::<_, AppError>(store::save_draft(conn, &cx, &actor, &draft, corrects))
            }
        })
        .await?;
    match result {
        Ok(_) => Ok(see_other(&format!(
            "/zaken/{case_id}?notice=notice-action-done#uitspraak"
        ))),
        Err(failure) => refused(&page, case_id, failure),
    }
}

#[derive(Deserialize)]
pub struct Empty {}

#[post("/zaken/{id}/uitspraak/{ruling}/uitbrengen")]
async fn issue(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<(i64, i64)>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let (case_id, ruling_id) = path.into_inner();
    let (case, parties) = load_case(&state, actor, case_id).await?;
    policy::ensure(policy::can_view(
        &actor,
        &parties,
        CaseResource::Ruling { issued: false },
    ))?;
    let now = Utc::now().naive_utc();
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
                Ok::<_, AppError>(store::issue(conn, &cx, &actor, ruling_id))
            }
        })
        .await?;
    match result {
        Ok(()) => Ok(see_other(&format!(
            "/zaken/{case_id}?notice=notice-action-done#uitspraak"
        ))),
        Err(failure) => refused(&page, case_id, failure),
    }
}

/// A ruling as `.html` or `.pdf`: issued ones for everyone in the case, drafts for the panel.
#[get("/zaken/{id}/uitspraak/{ruling}.{format}")]
async fn ruling_file(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<(i64, i64, String)>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let (case_id, ruling_id, format) = path.into_inner();
    let format = Format::parse(&format).ok_or(AppError::NotFound)?;
    let (case, parties) = load_case(&state, actor, case_id).await?;
    let document = state
        .db
        .run(move |conn| -> Result<_, AppError> {
            let Some(ruling) = store::find(conn, case.id, ruling_id)? else {
                return Ok(None);
            };
            if !policy::can_view(
                &actor,
                &parties,
                CaseResource::Ruling {
                    issued: ruling.is_issued(),
                },
            ) {
                return Ok(None);
            }
            Ok(Some(store::document_of(conn, &case, &ruling)?))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(outcome_pages::download(
        &document,
        format,
        &format!("uitspraak-{case_id}-{ruling_id}"),
    ))
}
