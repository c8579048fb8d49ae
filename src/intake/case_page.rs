//! The secretariat's completeness check on the case page: the partial `partials/case_intake` (its data
//! comes from [`panel`], one call from the case page), and the page `/zaken/{id}/ontvankelijkheid` with the
//! refusal on admissibility grounds (through `transition::apply`, the reasons in the thread for both
//! parties) and the deposit of a disputed invoice amount. Accepting, asking for information and recording
//! the fee are the case page's own action buttons.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::{Map, Value, json};

use super::completeness::{self, RefusalGround, RefusalTerm};
use super::wizard::FormInput;
use crate::accounts::identity::CurrentUser;
use crate::cases::lifecycle::{Action, CaseState};
use crate::cases::queries::{self, CaseRow};
use crate::cases::thread::{self, NewMessage};
use crate::cases::transition::{self, By, Change, Request};
use crate::db::schema::{case_events, cases};
use crate::i18n::{self, Language};
use crate::policy::{self, Actor, CaseParties, Relation, Visibility};
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::page::{CsrfForm, PageContext, see_other};

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(check_page).service(refuse).service(deposit);
}

fn states_in_intake(state: &str) -> bool {
    matches!(state, "submitted" | "information_requested" | "awaiting_fee")
}

/// The partial's data for the case page: the refusal-term warning and the link to the completeness page
/// (for the secretariat), and the fee and deposit (for everyone who sees the case).
pub fn panel(case: &CaseRow, relation: Relation, today: NaiveDate) -> Value {
    let secretariat = relation == Relation::Secretariat;
    let refusal = (case.state == CaseState::Submitted.as_str())
        .then_some(case.state_due_on)
        .flatten()
        .map(|due| completeness::refusal_term(due, today));
    json!({
        "show": secretariat && states_in_intake(&case.state),
        "href": format!("/zaken/{}/ontvankelijkheid", case.id),
        "refusal": refusal,
        "close": matches!(refusal, Some(RefusalTerm::Close { .. } | RefusalTerm::Passed { .. })),
    })
}

async fn load_for_secretariat(
    state: &web::Data<AppState>,
    actor: Actor,
    case_id: i64,
) -> AppResult<(CaseRow, CaseParties)> {
    let found = state
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(queries::case_with_parties(conn, case_id)?) })
        .await?;
    let (case, parties) = found.ok_or(AppError::NotFound)?;
    policy::ensure(policy::relation(&actor, &parties) == Relation::Secretariat)?;
    Ok((case, parties))
}

fn render(
    page: &PageContext,
    case: &CaseRow,
    values: Value,
    errors: Map<String, Value>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let today = Utc::now().date_naive();
    let refusal = case
        .state_due_on
        .filter(|_| case.state == CaseState::Submitted.as_str())
        .map(|due| completeness::refusal_term(due, today));
    let mut errors = errors;
    let any = !errors.is_empty();
    errors.insert("any".into(), json!(any));
    page.render_with_status(
        status,
        "pages/intake/case_check",
        json!({
            "case": { "id": case.id, "reference": case.reference, "state": case.state, "version": case.version,
                "deposit_cents": case.deposit_cents, "fee_cents": case.fee_cents, "fee_status": case.fee_status,
                "due_on": case.state_due_on.map(|d| crate::registry::check::format_date(page.language, d)) },
            "refusal": refusal,
            "can_refuse": matches!(case.state.as_str(), "submitted" | "information_requested"),
            "can_deposit": case.state.parse::<CaseState>().is_ok_and(|s| s.is_open()),
            "grounds": RefusalGround::ALL.iter().map(|g| g.as_str()).collect::<Vec<_>>(),
            "values": values,
            "errors": errors,
        }),
    )
}

#[get("/zaken/{id}/ontvankelijkheid")]
async fn check_page(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let state = page.data();
    let (case, _) = load_for_secretariat(&state, Actor::from(&signed_in), path.into_inner()).await?;
    render(
        &page,
        &case,
        json!({ "grounds": [], "note": "", "amount": "" }),
        Map::new(),
        StatusCode::OK,
    )
}

#[post("/zaken/{id}/ontvankelijkheid/weigeren")]
async fn refuse(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let (case, parties) = load_for_secretariat(&state, actor, path.into_inner()).await?;
    let form = FormInput(&fields);
    let ticked: Vec<&str> = fields
        .iter()
        .filter(|(k, _)| k == "ground")
        .map(|(_, v)| v.as_str())
        .collect();
    let note = form.get("note").replace("\r\n", "\n");
    let mut errors = Map::new();
    let grounds = completeness::parse_grounds(ticked.iter().copied()).unwrap_or_else(|key| {
        errors.insert("ground".into(), json!(key));
        Vec::new()
    });
    if note.chars().count() > thread::MAX_MESSAGE_CHARS {
        errors.insert("note".into(), json!("intake-error-too-long"));
    }
    let version: Option<i32> = form.get("version").parse().ok();
    if version.is_none() {
        return Err(AppError::BadRequest("version missing".into()));
    }
    if !errors.is_empty() {
        return render(
            &page,
            &case,
            json!({ "grounds": ticked, "note": note, "amount": "" }),
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    // The reasons go to both parties in the case's language, in the thread and in the event.
    let language = Language::from_code(&case.language).unwrap_or_default();
    let mut body = i18n::translate(language, "intake-refusal-message");
    for ground in &grounds {
        body.push_str("\n- ");
        body.push_str(&i18n::translate(
            language,
            &format!("intake-ground-{}", ground.as_str()),
        ));
    }
    if !note.trim().is_empty() {
        body.push_str("\n\n");
        body.push_str(note.trim());
    }
    let codes: Vec<&str> = grounds.iter().map(|g| g.as_str()).collect();
    let now = Utc::now().naive_utc();
    let case_id = case.id;
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
                            change: Change::Act(Action::Refuse),
                            by: By::User(&actor),
                            expected_version: version,
                            note: Some(body.clone()),
                            // `ground` (the first, the main one) is what the yearly report counts refusals by.
                            detail: json!({ "ground": codes.first(), "grounds": codes }),
                        },
                        now,
                    )?;
                    thread::post(
                        conn,
                        &state.emails,
                        state.settings.base_url(),
                        NewMessage {
                            case: &case,
                            parties: &parties,
                            author: &actor,
                            body: &body,
                            visibility: Visibility::Everyone,
                            held: false,
                            reply_due_on: None,
                        },
                        now,
                    )?;
                    Ok(())
                })
            }
        })
        .await?;
    Ok(see_other(&format!("/zaken/{case_id}?notice=notice-action-done")))
}

#[post("/zaken/{id}/ontvankelijkheid/storting")]
async fn deposit(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let (case, _) = load_for_secretariat(&state, actor, path.into_inner()).await?;
    let form = FormInput(&fields);
    let amount = match completeness::parse_deposit(form.get("amount")) {
        Ok(cents) => cents,
        Err(key) => {
            let mut errors = Map::new();
            errors.insert("amount".into(), json!(key));
            return render(
                &page,
                &case,
                json!({ "grounds": [], "note": "", "amount": form.get("amount") }),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    if !case.state.parse::<CaseState>().is_ok_and(|s| s.is_open()) {
        return Err(AppError::Conflict("the case is closed".into()));
    }
    let now = Utc::now().naive_utc();
    let case_id = case.id;
    state
        .db
        .run(move |conn| -> Result<(), AppError> {
            crate::db::write_transaction(conn, |conn| -> Result<(), AppError> {
                diesel::update(cases::table.find(case_id))
                    .set((cases::deposit_cents.eq(amount), cases::updated_at.eq(now)))
                    .execute(conn)?;
                diesel::insert_into(case_events::table)
                    .values((
                        case_events::case_id.eq(case_id),
                        case_events::at.eq(now),
                        case_events::actor_id.eq(actor.user_id),
                        case_events::actor_role.eq(actor.role.as_str()),
                        case_events::kind.eq("deposit_recorded"),
                        case_events::detail.eq(json!({ "deposit_cents": amount }).to_string()),
                    ))
                    .execute(conn)?;
                Ok(())
            })
        })
        .await?;
    Ok(see_other(&format!("/zaken/{case_id}?notice=notice-action-done")))
}
