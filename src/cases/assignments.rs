//! Staffing a case: the secretariat asks for a proposal (the pure `assignment::propose`
//! over the mediators' schemes, languages, conflicts and load), confirms it or replaces
//! a member; a mediator may recuse; a party may challenge (wraken) a member, which the
//! secretariat decides. Every step is a case event, written with the change.

use std::collections::HashMap;

use actix_web::{HttpResponse, post, web};
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;

use super::assignment::{self, AssignmentRequest, CaseStage, MediatorCandidate, PanelRole};
use super::lifecycle::CaseState;
use super::queries::{self, ACTIVE_ASSIGNMENT};
use crate::accounts::Role;
use crate::accounts::identity::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::{
    case_assignments, case_events, cases, mediator_conflicts, mediator_profiles, mediator_schemes, users,
};
use crate::policy::{self, Actor, Relation};
use crate::web::error::{AppError, AppResult};
use crate::web::page::{CsrfForm, PageContext, see_other};

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(staff_case)
        .service(recuse)
        .service(challenge)
        .service(decide_challenge);
}

/// How much work a case in `state` is for its mediator (`None`: no longer any).
pub fn stage_of(state: CaseState) -> Option<CaseStage> {
    match state {
        CaseState::Submitted
        | CaseState::InformationRequested
        | CaseState::AwaitingFee
        | CaseState::AwaitingDefence
        | CaseState::AwaitingReply => Some(CaseStage::Preparation),
        CaseState::ExpertInvestigation => Some(CaseStage::ExpertInvestigation),
        CaseState::Mediation => Some(CaseStage::Mediation),
        CaseState::HearingScheduled => Some(CaseStage::Hearing),
        CaseState::Ruled | CaseState::Settled | CaseState::InCompliance | CaseState::GuaranteeClaim => {
            Some(CaseStage::Compliance)
        }
        CaseState::Refused | CaseState::Closed | CaseState::Withdrawn | CaseState::NotAdmissible => None,
    }
}

/// Every mediator with their schemes, languages, conflicts and current load, in four queries.
pub fn load_candidates(conn: &mut DbConnection) -> QueryResult<Vec<MediatorCandidate>> {
    let profiles: Vec<(i64, String, String, bool)> = users::table
        .inner_join(mediator_profiles::table)
        .filter(users::role.eq(Role::Mediator.as_str()))
        .filter(users::deactivated_at.is_null())
        .select((
            users::id,
            mediator_profiles::panel_role,
            mediator_profiles::languages,
            mediator_profiles::active,
        ))
        .load(conn)?;
    let mut schemes: HashMap<i64, Vec<i64>> = HashMap::new();
    for (user_id, scheme_id) in mediator_schemes::table
        .select((mediator_schemes::user_id, mediator_schemes::scheme_id))
        .load::<(i64, i64)>(conn)?
    {
        schemes.entry(user_id).or_default().push(scheme_id);
    }
    let mut conflicts: HashMap<i64, Vec<i64>> = HashMap::new();
    for (user_id, provider_id) in mediator_conflicts::table
        .select((mediator_conflicts::user_id, mediator_conflicts::provider_id))
        .load::<(i64, i64)>(conn)?
    {
        conflicts.entry(user_id).or_default().push(provider_id);
    }
    let mut load: HashMap<i64, Vec<CaseStage>> = HashMap::new();
    let open: Vec<(i64, String)> = case_assignments::table
        .inner_join(cases::table)
        .filter(case_assignments::status.eq_any(ACTIVE_ASSIGNMENT))
        .select((case_assignments::user_id, cases::state))
        .load(conn)?;
    for (user_id, state) in open {
        if let Some(stage) = state.parse::<CaseState>().ok().and_then(stage_of) {
            load.entry(user_id).or_default().push(stage);
        }
    }
    Ok(profiles
        .into_iter()
        .filter_map(|(user_id, panel_role, languages, active)| {
            Some(MediatorCandidate {
                user_id,
                scheme_ids: schemes.remove(&user_id).unwrap_or_default(),
                languages: languages
                    .split(',')
                    .map(|l| l.trim().to_owned())
                    .filter(|l| !l.is_empty())
                    .collect(),
                panel_role: panel_role.parse::<PanelRole>().ok()?,
                conflicts: conflicts.remove(&user_id).unwrap_or_default(),
                open_load: load.remove(&user_id).unwrap_or_default(),
                active,
            })
        })
        .collect())
}

fn event(
    conn: &mut DbConnection,
    case_id: i64,
    actor: &Actor,
    kind: &str,
    detail: serde_json::Value,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(case_events::table)
        .values((
            case_events::case_id.eq(case_id),
            case_events::at.eq(now),
            case_events::actor_id.eq(actor.user_id),
            case_events::actor_role.eq(actor.role.as_str()),
            case_events::kind.eq(kind),
            case_events::detail.eq(detail.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}

#[derive(Deserialize)]
pub struct StaffForm {
    /// `propose` or `confirm`.
    step: String,
}

/// The secretariat proposes (again) or confirms the case's mediator or panel.
#[post("/zaken/{id}/toewijzing")]
async fn staff_case(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<StaffForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    policy::ensure(policy::can_see_all_cases(&actor))?;
    let case_id = path.into_inner();
    let now = Utc::now().naive_utc();
    let step = form.step;
    page.data()
        .db
        .run(move |conn| -> Result<(), AppError> {
            crate::db::write_transaction(conn, |conn| -> Result<(), AppError> {
                let case = queries::find_case(conn, case_id)?.ok_or(AppError::NotFound)?;
                match step.as_str() {
                    "propose" => {
                        let rules = super::transition::rules_of(conn, &case)?.rules;
                        // Members who recused, were challenged successfully or were replaced stay out.
                        let excluded: Vec<i64> = case_assignments::table
                            .filter(case_assignments::case_id.eq(case_id))
                            .filter(case_assignments::status.eq_any(["recused", "removed"]))
                            .select(case_assignments::user_id)
                            .load(conn)?;
                        let request = AssignmentRequest {
                            case_id,
                            scheme_id: case.scheme_id,
                            provider_id: case.provider_id,
                            language: case.language.clone(),
                            panel_size: rules.panel_size,
                            excluded: excluded.into_iter().chain([case.consumer_id]).collect(),
                        };
                        let proposal = assignment::propose(&request, &load_candidates(conn)?)
                            .map_err(|e| AppError::Conflict(format!("no proposal possible: {e:?}")))?;
                        diesel::update(
                            case_assignments::table
                                .filter(case_assignments::case_id.eq(case_id))
                                .filter(case_assignments::status.eq("proposed")),
                        )
                        .set((
                            case_assignments::status.eq("replaced"),
                            case_assignments::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                        for member in &proposal.members {
                            diesel::insert_into(case_assignments::table)
                                .values((
                                    case_assignments::case_id.eq(case_id),
                                    case_assignments::user_id.eq(member.user_id),
                                    case_assignments::panel_role.eq(member.seat.as_str()),
                                    case_assignments::status.eq("proposed"),
                                    case_assignments::created_at.eq(now),
                                    case_assignments::updated_at.eq(now),
                                ))
                                .execute(conn)?;
                        }
                        let members: Vec<_> = proposal
                            .members
                            .iter()
                            .map(|m| json!({ "user_id": m.user_id, "seat": m.seat.as_str(), "load": m.load }))
                            .collect();
                        event(
                            conn,
                            case_id,
                            &actor,
                            "assignment_proposed",
                            json!({ "members": members }),
                            now,
                        )?;
                    }
                    "confirm" => {
                        let confirmed = diesel::update(
                            case_assignments::table
                                .filter(case_assignments::case_id.eq(case_id))
                                .filter(case_assignments::status.eq("proposed")),
                        )
                        .set((
                            case_assignments::status.eq("confirmed"),
                            case_assignments::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                        if confirmed == 0 {
                            return Err(AppError::Conflict("there is no proposal to confirm".into()));
                        }
                        event(
                            conn,
                            case_id,
                            &actor,
                            "assignment_confirmed",
                            json!({ "members": confirmed }),
                            now,
                        )?;
                    }
                    _ => return Err(AppError::BadRequest("unknown step".into())),
                }
                Ok(())
            })
        })
        .await?;
    Ok(see_other(&format!("/zaken/{case_id}?notice=notice-action-done")))
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

fn required_reason(reason: &str) -> Result<String, AppError> {
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 5000 {
        return Err(AppError::BadRequest(
            "a reason is needed (at most 5,000 characters)".into(),
        ));
    }
    Ok(reason.to_owned())
}

/// A mediator steps down from a case, with a reason.
#[post("/zaken/{id}/toewijzing/{assignment}/terugtrekken")]
async fn recuse(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<(i64, i64)>,
    CsrfForm(form): CsrfForm<ReasonForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let (case_id, assignment_id) = path.into_inner();
    let reason = required_reason(&form.reason)?;
    let now = Utc::now().naive_utc();
    page.data()
        .db
        .run(move |conn| -> Result<(), AppError> {
            crate::db::write_transaction(conn, |conn| -> Result<(), AppError> {
                let updated = diesel::update(
                    case_assignments::table
                        .find(assignment_id)
                        .filter(case_assignments::case_id.eq(case_id))
                        .filter(case_assignments::user_id.eq(actor.user_id))
                        .filter(case_assignments::status.eq_any(ACTIVE_ASSIGNMENT)),
                )
                .set((
                    case_assignments::status.eq("recused"),
                    case_assignments::reason.eq(&reason),
                    case_assignments::updated_at.eq(now),
                ))
                .execute(conn)?;
                policy::ensure(updated == 1)?;
                event(
                    conn,
                    case_id,
                    &actor,
                    "assignment_recused",
                    json!({ "assignment_id": assignment_id, "note": reason }),
                    now,
                )?;
                Ok(())
            })
        })
        .await?;
    Ok(see_other("/dashboard"))
}

/// A party challenges (wraakt) a member of the panel, with reasons.
#[post("/zaken/{id}/toewijzing/{assignment}/wraken")]
async fn challenge(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<(i64, i64)>,
    CsrfForm(form): CsrfForm<ReasonForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let (case_id, assignment_id) = path.into_inner();
    let reason = required_reason(&form.reason)?;
    let now = Utc::now().naive_utc();
    page.data()
        .db
        .run(move |conn| -> Result<(), AppError> {
            crate::db::write_transaction(conn, |conn| -> Result<(), AppError> {
                let (_, parties) = queries::case_with_parties(conn, case_id)?.ok_or(AppError::NotFound)?;
                policy::ensure(matches!(
                    policy::relation(&actor, &parties),
                    Relation::Consumer | Relation::Provider
                ))?;
                let updated = diesel::update(
                    case_assignments::table
                        .find(assignment_id)
                        .filter(case_assignments::case_id.eq(case_id))
                        .filter(case_assignments::status.eq_any(["proposed", "confirmed"])),
                )
                .set((
                    case_assignments::status.eq("challenged"),
                    case_assignments::reason.eq(&reason),
                    case_assignments::updated_at.eq(now),
                ))
                .execute(conn)?;
                policy::ensure(updated == 1)?;
                event(
                    conn,
                    case_id,
                    &actor,
                    "assignment_challenged",
                    json!({ "assignment_id": assignment_id, "note": reason }),
                    now,
                )?;
                Ok(())
            })
        })
        .await?;
    Ok(see_other(&format!("/zaken/{case_id}?notice=notice-action-done")))
}

#[derive(Deserialize)]
pub struct DecisionForm {
    decision: String,
    #[serde(default)]
    reason: String,
}

/// The secretariat decides a challenge: upheld (the member leaves the case) or rejected.
#[post("/zaken/{id}/toewijzing/{assignment}/beslissen")]
async fn decide_challenge(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<(i64, i64)>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    policy::ensure(policy::can_see_all_cases(&actor))?;
    let (case_id, assignment_id) = path.into_inner();
    let reason = required_reason(&form.reason)?;
    let (status, kind) = match form.decision.as_str() {
        "uphold" => ("removed", "challenge_upheld"),
        "reject" => ("confirmed", "challenge_rejected"),
        _ => return Err(AppError::BadRequest("unknown decision".into())),
    };
    let now = Utc::now().naive_utc();
    page.data()
        .db
        .run(move |conn| -> Result<(), AppError> {
            crate::db::write_transaction(conn, |conn| -> Result<(), AppError> {
                let updated = diesel::update(
                    case_assignments::table
                        .find(assignment_id)
                        .filter(case_assignments::case_id.eq(case_id))
                        .filter(case_assignments::status.eq("challenged")),
                )
                .set((
                    case_assignments::status.eq(status),
                    case_assignments::updated_at.eq(now),
                ))
                .execute(conn)?;
                policy::ensure(updated == 1)?;
                event(
                    conn,
                    case_id,
                    &actor,
                    kind,
                    json!({ "assignment_id": assignment_id, "note": reason }),
                    now,
                )?;
                Ok(())
            })
        })
        .await?;
    Ok(see_other(&format!("/zaken/{case_id}?notice=notice-action-done")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_open_cases_count_as_load_and_hearings_weigh_most() {
        for state in CaseState::ALL {
            assert_eq!(stage_of(state).is_none(), state.is_terminal(), "{state:?}");
        }
        assert_eq!(stage_of(CaseState::HearingScheduled), Some(CaseStage::Hearing));
    }
}
