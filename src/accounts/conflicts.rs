//! A mediator's declared conflicts of interest: providers they must never be assigned to. The
//! assignment function reads them; the page also names the open cases the mediator already sits on
//! against such a provider, so they can step down there.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use super::identity::CurrentUser;
use crate::cases::queries::assignment_is_active;
use crate::db::DbConnection;
use crate::db::schema::{case_assignments, cases, mediator_conflicts, providers};
use crate::policy::{self, Actor, Relation, StaffingStep};
use crate::registry::membership::KvkNumber;
use crate::web::error::{AppError, AppResult};
use crate::web::form::FieldErrors;
use crate::web::page::{CsrfForm, EmptyForm, PageContext, see_other};

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(conflicts_page).service(declare).service(withdraw);
}

const NOTICES: [&str; 2] = ["notice-conflict-declared", "notice-conflict-withdrawn"];
const REASON_MAX_CHARS: usize = 500;

fn ensure_mediator(actor: &Actor) -> Result<(), AppError> {
    policy::ensure(policy::can_take_staffing_step(
        actor,
        Relation::None,
        StaffingStep::DeclareConflicts,
    ))
}

/// The declared conflicts, and the open cases against those providers the mediator still sits on.
fn load(conn: &mut DbConnection, user_id: i64) -> QueryResult<(Value, Value)> {
    let declared: Vec<(i64, String, String, String)> = mediator_conflicts::table
        .inner_join(providers::table)
        .filter(mediator_conflicts::user_id.eq(user_id))
        .order(providers::legal_name)
        .select((
            providers::id,
            providers::legal_name,
            providers::kvk_number,
            mediator_conflicts::reason,
        ))
        .load(conn)?;
    let provider_ids: Vec<i64> = declared.iter().map(|d| d.0).collect();
    let still_sitting: Vec<(i64, String)> = case_assignments::table
        .inner_join(cases::table)
        .filter(case_assignments::user_id.eq(user_id))
        .filter(assignment_is_active())
        .filter(cases::provider_id.eq_any(&provider_ids))
        .filter(cases::closed_at.is_null())
        .order(cases::id)
        .select((cases::id, cases::reference))
        .load(conn)?;
    let declared = declared
        .into_iter()
        .map(|(id, name, kvk, reason)| json!({ "provider_id": id, "name": name, "kvk": kvk, "reason": reason }))
        .collect::<Vec<_>>();
    let sitting = still_sitting
        .into_iter()
        .map(|(id, reference)| json!({ "id": id, "reference": reference }))
        .collect::<Vec<_>>();
    Ok((json!(declared), json!(sitting)))
}

async fn render(
    page: &PageContext,
    user_id: i64,
    notice: Option<&str>,
    errors: &FieldErrors,
    values: Value,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (declared, sitting) = page
        .data()
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(load(conn, user_id)?) })
        .await?;
    page.render_with_status(
        status,
        "pages/conflicts",
        json!({
            "notice": notice.filter(|n| NOTICES.contains(n)),
            "declared": declared,
            "sitting": sitting,
            "errors": errors.to_json(),
            "values": values,
        }),
    )
}

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

#[get("/settings/conflicts")]
async fn conflicts_page(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    query: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    ensure_mediator(&actor)?;
    let values = json!({ "kvk": "", "reason": "" });
    render(
        &page,
        actor.user_id,
        query.notice.as_deref(),
        &FieldErrors::new(),
        values,
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
pub struct DeclareForm {
    #[serde(default)]
    kvk: String,
    #[serde(default)]
    reason: String,
}

#[post("/settings/conflicts")]
async fn declare(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    CsrfForm(form): CsrfForm<DeclareForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    ensure_mediator(&actor)?;
    let mut errors = FieldErrors::new();
    let kvk = KvkNumber::parse(&form.kvk).map_err(|problem| errors.add("kvk", problem.message_key()));
    let reason = form.reason.trim().to_owned();
    if reason.chars().count() > REASON_MAX_CHARS {
        errors.add("reason", "conflicts-reason-too-long");
    }
    let values = json!({ "kvk": form.kvk, "reason": form.reason });
    let Ok(kvk) = kvk else {
        return render(
            &page,
            actor.user_id,
            None,
            &errors,
            values,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    if !errors.is_empty() {
        return render(
            &page,
            actor.user_id,
            None,
            &errors,
            values,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let now = Utc::now().naive_utc();
    let user_id = actor.user_id;
    let found = page
        .data()
        .db
        .run(move |conn| -> Result<bool, AppError> {
            crate::db::write_transaction(conn, |conn| -> Result<bool, AppError> {
                let Some(provider_id) = providers::table
                    .filter(providers::kvk_number.eq(kvk.as_str()))
                    .select(providers::id)
                    .first::<i64>(conn)
                    .optional()?
                else {
                    return Ok(false);
                };
                // Declaring again updates the reason rather than failing on the primary key.
                diesel::delete(
                    mediator_conflicts::table
                        .filter(mediator_conflicts::user_id.eq(user_id))
                        .filter(mediator_conflicts::provider_id.eq(provider_id)),
                )
                .execute(conn)?;
                diesel::insert_into(mediator_conflicts::table)
                    .values((
                        mediator_conflicts::user_id.eq(user_id),
                        mediator_conflicts::provider_id.eq(provider_id),
                        mediator_conflicts::reason.eq(&reason),
                    ))
                    .execute(conn)?;
                let detail = json!({ "provider_id": provider_id, "reason": reason });
                crate::audit::record(conn, Some(user_id), "user", user_id, "conflict_declared", detail, now)?;
                Ok(true)
            })
        })
        .await?;
    if !found {
        errors.add("kvk", "conflicts-provider-unknown");
        return render(
            &page,
            actor.user_id,
            None,
            &errors,
            values,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    Ok(see_other("/settings/conflicts?notice=notice-conflict-declared"))
}

#[post("/settings/conflicts/{provider}/withdraw")]
async fn withdraw(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    ensure_mediator(&actor)?;
    let provider_id = path.into_inner();
    let user_id = actor.user_id;
    let now = Utc::now().naive_utc();
    page.data()
        .db
        .run(move |conn| -> Result<(), AppError> {
            crate::db::write_transaction(conn, |conn| -> Result<(), AppError> {
                let removed = diesel::delete(
                    mediator_conflicts::table
                        .filter(mediator_conflicts::user_id.eq(user_id))
                        .filter(mediator_conflicts::provider_id.eq(provider_id)),
                )
                .execute(conn)?;
                policy::ensure(removed == 1)?;
                let detail = json!({ "provider_id": provider_id });
                crate::audit::record(conn, Some(user_id), "user", user_id, "conflict_withdrawn", detail, now)?;
                Ok(())
            })
        })
        .await?;
    Ok(see_other("/settings/conflicts?notice=notice-conflict-withdrawn"))
}
