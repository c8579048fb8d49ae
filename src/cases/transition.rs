//! The one way to change a case. [`apply`] checks the actor's relation to the case and
//! the state machine, writes the new state with its deadline (from the rules the case
//! was filed under), bumps the version so that two concurrent changes cannot both win,
//! appends the case event and queues the e-mails to the people concerned, all in one
//! transaction. Nothing else writes a case's state.

use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::{Value, json};

use super::lifecycle::{self, Action, CaseState, Role as ProcedureRole, TransitionError};
use super::queries::{self, CaseRow};
use crate::accounts::Role;
use crate::db::schema::{case_events, cases, schemes};
use crate::db::{DbConnection, StorageError};
use crate::i18n::{self, Language};
use crate::jobs;
use crate::mail::templates::EmailTemplates;
use crate::policy::{self, Actor, Relation};
use crate::registry::{self, rules::SchemeRules};

/// What is to happen to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A step of the procedure.
    Act(Action),
    /// The secretariat moves the current deadline (a party asked, with reasons).
    ExtendDeadline { until: NaiveDate },
    /// The secretariat extends the 90-day target for a complex case (both parties are told).
    ExtendOutcomeTarget { until: NaiveDate },
}

impl Change {
    fn event_kind(&self) -> &'static str {
        match self {
            Change::Act(action) => action.as_str(),
            Change::ExtendDeadline { .. } => "deadline_extended",
            Change::ExtendOutcomeTarget { .. } => "outcome_target_extended",
        }
    }
}

/// Who makes the change: a signed-in user, or the system (the background worker).
#[derive(Debug, Clone, Copy)]
pub enum By<'a> {
    User(&'a Actor),
    System,
}

pub struct Request<'a> {
    pub case_id: i64,
    pub change: Change,
    pub by: By<'a>,
    /// The version the user saw; `None` to act on whatever is current (the worker).
    pub expected_version: Option<i32>,
    /// Free text that goes with the step (reasons, the information asked for); kept in the event.
    pub note: Option<String>,
    /// Extra facts for the event (e.g. the refusal ground).
    pub detail: Value,
}

#[derive(Debug, thiserror::Error)]
pub enum TransitionFailure {
    /// No such case, or the actor may not see it.
    #[error("not found")]
    NotFound,
    #[error("not allowed: {0}")]
    NotAllowed(TransitionError),
    /// The actor sees the case but may not make this change.
    #[error("not permitted")]
    NotPermitted,
    /// Someone changed the case since the actor looked at it.
    #[error("the case changed meanwhile")]
    Stale,
    #[error("invalid: {0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("e-mail: {0}")]
    Render(String),
}

impl From<diesel::result::Error> for TransitionFailure {
    fn from(e: diesel::result::Error) -> Self {
        Self::Storage(e.into())
    }
}

impl From<handlebars::RenderError> for TransitionFailure {
    fn from(e: handlebars::RenderError) -> Self {
        Self::Render(e.to_string())
    }
}

impl From<TransitionFailure> for crate::web::error::AppError {
    fn from(failure: TransitionFailure) -> Self {
        use crate::web::error::AppError;
        match failure {
            TransitionFailure::NotFound => AppError::NotFound,
            TransitionFailure::NotAllowed(e) => AppError::Conflict(format!("not possible now: {e}")),
            TransitionFailure::NotPermitted => AppError::Forbidden("not permitted for your role"),
            TransitionFailure::Stale => AppError::Conflict("the case changed meanwhile".into()),
            TransitionFailure::Invalid(why) => AppError::BadRequest(why.into()),
            TransitionFailure::Storage(e) => e.into(),
            TransitionFailure::Render(e) => AppError::Internal(e),
        }
    }
}

/// The rules and scheme facts of a case.
pub struct CaseRules {
    pub rules: SchemeRules,
    pub scheme_name: String,
}

/// Cases' rules kept per node, by scheme and rules version: schemes and their rules are only ever
/// inserted (a change of rules is a new version), so what a node has read stays true, also with
/// several nodes. Saves the case page two queries per view.
pub struct RulesCache(quick_cache::sync::Cache<(i64, i64), Arc<CaseRules>>);

impl Default for RulesCache {
    fn default() -> Self {
        // Schemes × rule versions: tens in practice.
        Self(quick_cache::sync::Cache::new(1_024))
    }
}

impl RulesCache {
    pub fn rules_of(&self, conn: &mut DbConnection, case: &CaseRow) -> Result<Arc<CaseRules>, TransitionFailure> {
        self.0
            .get_or_insert_with(&(case.scheme_id, case.rules_id), || rules_of(conn, case).map(Arc::new))
    }
}

pub fn rules_of(conn: &mut DbConnection, case: &CaseRow) -> Result<CaseRules, TransitionFailure> {
    let scheme: registry::Scheme = schemes::table
        .find(case.scheme_id)
        .select(registry::Scheme::as_select())
        .first(conn)?;
    let row: registry::RulesRow = crate::db::schema::scheme_rules::table
        .find(case.rules_id)
        .select(registry::RulesRow::as_select())
        .first(conn)?;
    let rules = row
        .to_rules(&scheme)
        .map_err(|_| TransitionFailure::Invalid("corrupt scheme rules"))?;
    Ok(CaseRules {
        rules,
        scheme_name: scheme.name,
    })
}

/// The role in the procedure that a relation to the case gives.
pub fn procedure_role(actor: &Actor, relation: Relation) -> Option<ProcedureRole> {
    match relation {
        Relation::Consumer => Some(ProcedureRole::Consumer),
        Relation::Provider => Some(ProcedureRole::ProviderStaff),
        Relation::Mediator => Some(ProcedureRole::Mediator),
        Relation::Secretariat if actor.role == Role::Admin => Some(ProcedureRole::Admin),
        Relation::Secretariat => Some(ProcedureRole::Secretariat),
        Relation::None => None,
    }
}

/// The outcome of a change.
#[derive(Debug, Clone)]
pub struct Applied {
    pub from: CaseState,
    pub to: CaseState,
    pub version: i32,
    pub event_id: i64,
}

/// Applies `request` inside a write transaction (a savepoint when one is open already).
pub fn apply(
    conn: &mut DbConnection,
    emails: &EmailTemplates,
    base_url: &str,
    request: Request<'_>,
    now: NaiveDateTime,
) -> Result<Applied, TransitionFailure> {
    crate::db::write_transaction(conn, |conn| apply_in_transaction(conn, emails, base_url, request, now))
}

fn apply_in_transaction(
    conn: &mut DbConnection,
    emails: &EmailTemplates,
    base_url: &str,
    request: Request<'_>,
    now: NaiveDateTime,
) -> Result<Applied, TransitionFailure> {
    let Some((case, parties)) = queries::case_with_parties(conn, request.case_id)? else {
        return Err(TransitionFailure::NotFound);
    };
    let (role, actor_id) = match request.by {
        By::System => (ProcedureRole::System, None),
        By::User(actor) => {
            let relation = policy::relation(actor, &parties);
            (
                procedure_role(actor, relation).ok_or(TransitionFailure::NotFound)?,
                Some(actor.user_id),
            )
        }
    };
    if let Some(expected) = request.expected_version
        && expected != case.version
    {
        return Err(TransitionFailure::Stale);
    }
    let from: CaseState = case
        .state
        .parse()
        .map_err(|_| TransitionFailure::Invalid("unknown state"))?;
    let CaseRules { rules, .. } = rules_of(conn, &case)?;
    let today = now.date();

    let mut next = NextRow {
        state: from,
        state_entered_at: case.state_entered_at,
        state_due_on: case.state_due_on,
        complete_on: case.complete_on,
        outcome_due_on: case.outcome_due_on,
        fee_status: case.fee_status.clone(),
        closed_at: case.closed_at,
    };
    match &request.change {
        Change::Act(action) => {
            let to = lifecycle::next_state(rules.scheme_kind, rules.fee_due(), from, *action, role)
                .map_err(TransitionFailure::NotAllowed)?;
            if to != from {
                let after_settlement = from == CaseState::Settled;
                next.state = to;
                next.state_entered_at = now;
                next.state_due_on = lifecycle::deadline_for(to, &rules, today, after_settlement);
            }
            // The file is complete when it reaches the defence: the 90-day clock starts.
            if to == CaseState::AwaitingDefence && case.complete_on.is_none() {
                next.complete_on = Some(today);
                next.outcome_due_on = Some(lifecycle::outcome_due(today, &rules));
            }
            match action {
                Action::AcceptComplete if to == CaseState::AwaitingDefence => next.fee_status = "none".into(),
                Action::RecordFeePaid => next.fee_status = "paid".into(),
                Action::WaiveFee => next.fee_status = "waived".into(),
                _ => {}
            }
            if to.is_terminal() && case.closed_at.is_none() {
                next.closed_at = Some(now);
            }
        }
        Change::ExtendDeadline { until } => {
            if !matches!(role, ProcedureRole::Secretariat | ProcedureRole::Admin) {
                return Err(TransitionFailure::NotPermitted);
            }
            match case.state_due_on {
                Some(current) if *until > current => next.state_due_on = Some(*until),
                _ => {
                    return Err(TransitionFailure::Invalid(
                        "an extension must move an existing deadline later",
                    ));
                }
            }
        }
        Change::ExtendOutcomeTarget { until } => {
            if !matches!(role, ProcedureRole::Secretariat | ProcedureRole::Admin) {
                return Err(TransitionFailure::NotPermitted);
            }
            match case.outcome_due_on {
                Some(current) if *until > current => next.outcome_due_on = Some(*until),
                _ => return Err(TransitionFailure::Invalid("an extension must move the target later")),
            }
        }
    }

    // The version check in the WHERE makes a concurrent change lose cleanly.
    let updated = diesel::update(cases::table.find(case.id).filter(cases::version.eq(case.version)))
        .set((
            cases::state.eq(next.state.as_str()),
            cases::state_entered_at.eq(next.state_entered_at),
            cases::state_due_on.eq(next.state_due_on),
            cases::complete_on.eq(next.complete_on),
            cases::outcome_due_on.eq(next.outcome_due_on),
            cases::fee_status.eq(&next.fee_status),
            cases::closed_at.eq(next.closed_at),
            cases::version.eq(case.version + 1),
            cases::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated != 1 {
        return Err(TransitionFailure::Stale);
    }
    let mut detail = request.detail.clone();
    if let Value::Object(map) = &mut detail {
        if let Some(note) = &request.note {
            map.insert("note".into(), json!(note));
        }
        if let Some(due) = next.state_due_on {
            map.insert("due_on".into(), json!(due));
        }
        if let Change::ExtendOutcomeTarget { until } | Change::ExtendDeadline { until } = &request.change {
            map.insert("until".into(), json!(until));
        }
    }
    let event_id: i64 = diesel::insert_into(case_events::table)
        .values((
            case_events::case_id.eq(case.id),
            case_events::at.eq(now),
            case_events::actor_id.eq(actor_id),
            case_events::actor_role.eq(role.as_str()),
            case_events::kind.eq(request.change.event_kind()),
            case_events::from_state.eq(from.as_str()),
            case_events::to_state.eq(next.state.as_str()),
            case_events::detail.eq(detail.to_string()),
        ))
        .returning(case_events::id)
        .get_result(conn)?;
    crate::webhooks::enqueue_for_event(conn, event_id, now)?;
    // The history changed: its figures are derived again by the worker (derived data, like the webhooks).
    crate::statistics::aggregates::mark(conn, case.id, now)?;

    notify(
        conn,
        emails,
        base_url,
        &case,
        &parties,
        actor_id,
        &request.change,
        next.state,
        next.state_due_on,
        next.outcome_due_on,
        now,
    )?;
    Ok(Applied {
        from,
        to: next.state,
        version: case.version + 1,
        event_id,
    })
}

struct NextRow {
    state: CaseState,
    state_entered_at: NaiveDateTime,
    state_due_on: Option<NaiveDate>,
    complete_on: Option<NaiveDate>,
    outcome_due_on: Option<NaiveDate>,
    fee_status: String,
    closed_at: Option<NaiveDateTime>,
}

/// Everyone concerned, except the one who acted, gets an e-mail in their own language
/// (if they want e-mail): the consumer, the provider's staff and the assigned mediators.
#[expect(clippy::too_many_arguments, reason = "the facts of one notification")]
fn notify(
    conn: &mut DbConnection,
    emails: &EmailTemplates,
    base_url: &str,
    case: &CaseRow,
    parties: &policy::CaseParties,
    actor_id: Option<i64>,
    change: &Change,
    state: CaseState,
    due_on: Option<NaiveDate>,
    outcome_due_on: Option<NaiveDate>,
    now: NaiveDateTime,
) -> Result<(), TransitionFailure> {
    for queries::Follower {
        user_id,
        email,
        name,
        language,
        ..
    } in queries::followers(conn, parties)?
    {
        if Some(user_id) == actor_id {
            continue;
        }
        let language = Language::from_code(&language).unwrap_or_default();
        let what = match change {
            Change::Act(_) => i18n::translate(language, &format!("state-{}", state.as_str())),
            Change::ExtendDeadline { .. } => i18n::translate(language, "event-deadline_extended"),
            Change::ExtendOutcomeTarget { .. } => i18n::translate(language, "event-outcome_target_extended"),
        };
        let mail = emails.render(
            "case_update",
            language,
            &email,
            json!({
                "name": name,
                "reference": case.reference,
                "what": what,
                "explanation": i18n::translate(language, &format!("state-{}-explanation", state.as_str())),
                "due_on": due_on.map(|d| d.format("%d-%m-%Y").to_string()),
                "outcome_due_on": outcome_due_on.map(|d| d.format("%d-%m-%Y").to_string()),
                "link": format!("{base_url}/zaken/{}", case.id),
            }),
        )?;
        jobs::enqueue_email(conn, &mail, now)?;
    }
    Ok(())
}
