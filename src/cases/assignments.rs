//! Staffing a case: the secretariat asks for a proposal (the pure `assignment::propose`
//! over the mediators' schemes, languages, conflicts and load), confirms it or replaces
//! a member; a mediator may recuse; a party may challenge (wraken) a member, which the
//! secretariat decides. Every step is a case event, written with the change.

use std::collections::HashMap;

use actix_web::{HttpResponse, post, web};
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use super::assignment::{self, AssignmentError, AssignmentRequest, CaseStage, MediatorCandidate, PanelRole};
use super::lifecycle::CaseState;
use super::queries::{self, ACTIVE_ASSIGNMENT, CaseRow, Seat};
use crate::accounts::Role;
use crate::accounts::identity::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::{case_assignments, cases, mediator_conflicts, mediator_profiles, mediator_schemes, users};
use crate::policy::{self, Actor, Relation, StaffingStep};
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
        .filter(queries::assignment_is_active())
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

/// The staffing part of the case page: who sits, in which seat, and the steps this user may take.
pub fn section(seats: &[Seat], case: &CaseRow, actor: &Actor, relation: Relation) -> Value {
    let open = case.state.parse::<CaseState>().is_ok_and(CaseState::is_open);
    let may = |step| open && policy::can_take_staffing_step(actor, relation, step);
    let members: Vec<Value> = seats
        .iter()
        .map(|seat| {
            let challenged = seat.status == "challenged";
            json!({
                "id": seat.id,
                "name": seat.name,
                "seat": seat.panel_role,
                "status": seat.status,
                // Beside the decision form; the parties read the grounds in the timeline.
                "reason": if challenged && relation == Relation::Secretariat { Some(&seat.reason) } else { None },
                "can_recuse": seat.user_id == actor.user_id && may(StaffingStep::Recuse),
                "can_challenge": !challenged && may(StaffingStep::Challenge),
                "can_decide": challenged && may(StaffingStep::DecideChallenge),
            })
        })
        .collect();
    json!({
        "members": members,
        "can_propose": may(StaffingStep::Propose),
        "can_confirm": seats.iter().any(|seat| seat.status == "proposed") && may(StaffingStep::Confirm),
    })
}

/// Loads the case and the actor's relation to it inside a transaction; 404 when the case is not
/// theirs to see or the step not theirs to take.
fn authorise(conn: &mut DbConnection, case_id: i64, actor: &Actor, step: StaffingStep) -> Result<CaseRow, AppError> {
    let (case, parties) = queries::case_with_parties(conn, case_id)?.ok_or(AppError::NotFound)?;
    let relation = policy::relation(actor, &parties);
    policy::ensure(relation != Relation::None && policy::can_take_staffing_step(actor, relation, step))?;
    let open = case.state.parse::<CaseState>().is_ok_and(CaseState::is_open);
    if !open {
        return Err(AppError::Conflict("the case is no longer open".into()));
    }
    Ok(case)
}

/// Runs one staffing step in a write transaction; the step returns the notice to show on the case page.
async fn staffing_step<F>(page: &PageContext, change: F) -> AppResult<&'static str>
where
    F: FnOnce(&mut DbConnection) -> Result<&'static str, AppError> + Send + 'static,
{
    page.data()
        .db
        .run(move |conn| crate::db::write_transaction(conn, change))
        .await
}

fn back_to_case(case_id: i64, notice: &str) -> HttpResponse {
    see_other(&format!("/zaken/{case_id}?notice={notice}#bemanning"))
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
    let case_id = path.into_inner();
    let now = Utc::now().naive_utc();
    let notice = match form.step.as_str() {
        "propose" => {
            staffing_step(&page, move |conn| {
                let case = authorise(conn, case_id, &actor, StaffingStep::Propose)?;
                propose(conn, &case, &actor, now)
            })
            .await?
        }
        "confirm" => {
            staffing_step(&page, move |conn| {
                authorise(conn, case_id, &actor, StaffingStep::Confirm)?;
                confirm(conn, case_id, &actor, now)
            })
            .await?
        }
        _ => return Err(AppError::BadRequest("unknown step".into())),
    };
    Ok(back_to_case(case_id, notice))
}

fn propose(
    conn: &mut DbConnection,
    case: &CaseRow,
    actor: &Actor,
    now: NaiveDateTime,
) -> Result<&'static str, AppError> {
    let rules = super::transition::rules_of(conn, case)?.rules;
    // Members who recused, were challenged successfully or were replaced stay out.
    let excluded: Vec<i64> = case_assignments::table
        .filter(case_assignments::case_id.eq(case.id))
        .filter(case_assignments::status.eq_any(["recused", "removed"]))
        .select(case_assignments::user_id)
        .load(conn)?;
    let request = AssignmentRequest {
        case_id: case.id,
        scheme_id: case.scheme_id,
        provider_id: case.provider_id,
        language: case.language.clone(),
        panel_size: rules.panel_size,
        excluded: excluded.into_iter().chain([case.consumer_id]).collect(),
    };
    let proposal = match assignment::propose(&request, &load_candidates(conn)?) {
        Ok(proposal) => proposal,
        // Nothing is written: the secretariat reads which seat could not be filled.
        Err(error) => return Ok(no_proposal_notice(error)),
    };
    // A new proposal replaces an unconfirmed one; confirmed members keep their seats.
    diesel::update(
        case_assignments::table
            .filter(case_assignments::case_id.eq(case.id))
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
                case_assignments::case_id.eq(case.id),
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
    queries::record_event(
        conn,
        case.id,
        actor,
        "assignment_proposed",
        json!({ "members": members }),
        now,
    )?;
    Ok("notice-assignment-proposed")
}

fn no_proposal_notice(error: AssignmentError) -> &'static str {
    match error {
        AssignmentError::NoEligibleMediator | AssignmentError::UnsupportedPanelSize(_) => "notice-no-eligible-mediator",
        AssignmentError::NoEligibleChair => "notice-no-eligible-chair",
        AssignmentError::NoEligibleTradeMember => "notice-no-eligible-trade-member",
        AssignmentError::NoEligibleConsumerMember => "notice-no-eligible-consumer-member",
    }
}

fn confirm(conn: &mut DbConnection, case_id: i64, actor: &Actor, now: NaiveDateTime) -> Result<&'static str, AppError> {
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
        return Ok("notice-nothing-to-confirm");
    }
    queries::record_event(
        conn,
        case_id,
        actor,
        "assignment_confirmed",
        json!({ "members": confirmed }),
        now,
    )?;
    Ok("notice-assignment-confirmed")
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

/// Moves one assignment of the case from one of `from` to `to` with a reason; 404 if there is none.
#[expect(clippy::too_many_arguments, reason = "one row update with its event")]
fn move_assignment(
    conn: &mut DbConnection,
    case_id: i64,
    assignment_id: i64,
    only_user: Option<i64>,
    from: &[&str],
    to: &str,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let target = case_assignments::table
        .find(assignment_id)
        .filter(case_assignments::case_id.eq(case_id))
        .filter(case_assignments::status.eq_any(from))
        .into_boxed();
    let target = match only_user {
        Some(user_id) => target.filter(case_assignments::user_id.eq(user_id)),
        None => target,
    };
    let found: Option<i64> = target.select(case_assignments::id).first(conn).optional()?;
    policy::ensure(found.is_some())?;
    let update = diesel::update(case_assignments::table.find(assignment_id));
    match reason {
        Some(reason) => update
            .set((
                case_assignments::status.eq(to),
                case_assignments::reason.eq(reason),
                case_assignments::updated_at.eq(now),
            ))
            .execute(conn)?,
        None => update
            .set((case_assignments::status.eq(to), case_assignments::updated_at.eq(now)))
            .execute(conn)?,
    };
    Ok(())
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
    staffing_step(&page, move |conn| {
        authorise(conn, case_id, &actor, StaffingStep::Recuse)?;
        let seat = Some(actor.user_id);
        move_assignment(
            conn,
            case_id,
            assignment_id,
            seat,
            &ACTIVE_ASSIGNMENT,
            "recused",
            Some(&reason),
            now,
        )?;
        let detail = json!({ "assignment_id": assignment_id, "note": reason });
        queries::record_event(conn, case_id, &actor, "assignment_recused", detail, now)?;
        Ok("")
    })
    .await?;
    // The mediator no longer sees the case.
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
    let notice = staffing_step(&page, move |conn| {
        authorise(conn, case_id, &actor, StaffingStep::Challenge)?;
        let from = ["proposed", "confirmed"];
        move_assignment(
            conn,
            case_id,
            assignment_id,
            None,
            &from,
            "challenged",
            Some(&reason),
            now,
        )?;
        let detail = json!({ "assignment_id": assignment_id, "note": reason });
        queries::record_event(conn, case_id, &actor, "assignment_challenged", detail, now)?;
        Ok("notice-challenge-filed")
    })
    .await?;
    Ok(back_to_case(case_id, notice))
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
    let (case_id, assignment_id) = path.into_inner();
    let reason = required_reason(&form.reason)?;
    let (status, kind) = match form.decision.as_str() {
        "uphold" => ("removed", "challenge_upheld"),
        "reject" => ("confirmed", "challenge_rejected"),
        _ => return Err(AppError::BadRequest("unknown decision".into())),
    };
    let now = Utc::now().naive_utc();
    let notice = staffing_step(&page, move |conn| {
        authorise(conn, case_id, &actor, StaffingStep::DecideChallenge)?;
        move_assignment(conn, case_id, assignment_id, None, &["challenged"], status, None, now)?;
        let detail = json!({ "assignment_id": assignment_id, "note": reason });
        queries::record_event(conn, case_id, &actor, kind, detail, now)?;
        Ok("notice-challenge-decided")
    })
    .await?;
    Ok(back_to_case(case_id, notice))
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
