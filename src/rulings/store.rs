//! Rulings in the database. A draft is changed only while its status is `draft`; issuing
//! is one conditional update (`draft` → `issued`) with the case's transition in the same
//! transaction, so an issued ruling is never changed and never issued twice. Corrections
//! are new rulings that point at the one they correct.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::{Draft, Outcome, RulingFacts, fee_refund, provider_must_act, ruling_document};
use crate::cases::lifecycle::{Action, CaseState};
use crate::cases::queries::{self, CaseRow};
use crate::cases::transition::{self, By, Change, Request, TransitionFailure};
use crate::db::DbConnection;
use crate::db::schema::{case_assignments, providers, rulings, users};
use crate::i18n::Language;
use crate::jobs::Attachment;
use crate::mail::templates::EmailTemplates;
use crate::notices::{self, Audience, Notice};
use crate::policy::{self, Actor, CaseParties, Relation};
use crate::printable::Printable;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = rulings)]
pub struct RulingRow {
    pub id: i64,
    pub case_id: i64,
    pub status: String,
    pub outcome: String,
    pub award_cents: Option<i64>,
    pub award_actions: String,
    pub fee_refund_cents: i64,
    pub deposit_decision: String,
    pub reasoning: String,
    pub summary: String,
    pub language: String,
    pub compliance_due_on: Option<NaiveDate>,
    pub corrects_ruling_id: Option<i64>,
    pub drafted_by: i64,
    pub issued_by: Option<i64>,
    pub issued_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl RulingRow {
    pub fn is_issued(&self) -> bool {
        self.status == "issued"
    }

    pub fn outcome(&self) -> Outcome {
        Outcome::parse(&self.outcome).unwrap_or(Outcome::Rejected)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RulingFailure {
    #[error("not found")]
    NotFound,
    /// Only the panel drafts; only the chair issues.
    #[error("not permitted")]
    NotPermitted,
    /// The case is not at the ruling stage (or a correction has nothing to correct).
    #[error("not possible now")]
    NotNow,
    /// Issued already (by someone else, a moment ago): final.
    #[error("the ruling is issued and final")]
    AlreadyIssued,
    #[error(transparent)]
    Transition(#[from] TransitionFailure),
}

impl From<diesel::result::Error> for RulingFailure {
    fn from(e: diesel::result::Error) -> Self {
        Self::Transition(e.into())
    }
}

impl From<notices::NoticeError> for RulingFailure {
    fn from(e: notices::NoticeError) -> Self {
        Self::Transition(e.into())
    }
}

impl RulingFailure {
    pub fn message_key(&self) -> &'static str {
        match self {
            RulingFailure::NotFound => "error-not-found",
            RulingFailure::NotPermitted => "ruling-refused-not-chair",
            RulingFailure::NotNow | RulingFailure::Transition(_) => "ruling-refused-not-now",
            RulingFailure::AlreadyIssued => "ruling-refused-issued",
        }
    }
}

pub fn all_of_case(conn: &mut DbConnection, case_id: i64) -> QueryResult<Vec<RulingRow>> {
    rulings::table
        .filter(rulings::case_id.eq(case_id))
        .order(rulings::id)
        .select(RulingRow::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, case_id: i64, ruling_id: i64) -> QueryResult<Option<RulingRow>> {
    rulings::table
        .find(ruling_id)
        .filter(rulings::case_id.eq(case_id))
        .select(RulingRow::as_select())
        .first(conn)
        .optional()
}

/// Whether `user_id` chairs the case's panel (a sole mediator is the chair); the case page asks
/// the same of the seats it has read ([`queries::Seat::is_confirmed_chair_of`]).
pub fn is_chair(conn: &mut DbConnection, case_id: i64, user_id: i64) -> QueryResult<bool> {
    let n: i64 = case_assignments::table
        .filter(case_assignments::case_id.eq(case_id))
        .filter(case_assignments::user_id.eq(user_id))
        .filter(case_assignments::panel_role.eq(queries::CHAIR))
        .filter(case_assignments::status.eq(queries::CONFIRMED))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The names of the panel, chair first.
pub fn panel_names(conn: &mut DbConnection, case_id: i64) -> QueryResult<Vec<String>> {
    let mut rows: Vec<(String, String)> = case_assignments::table
        .inner_join(users::table.on(users::id.eq(case_assignments::user_id)))
        .filter(case_assignments::case_id.eq(case_id))
        .filter(case_assignments::status.eq("confirmed"))
        .select((case_assignments::panel_role, users::display_name))
        .load(conn)?;
    rows.sort_by_key(|(role, _)| role != "chair");
    Ok(rows.into_iter().map(|(_, name)| name).collect())
}

pub struct Context<'a> {
    pub case: &'a CaseRow,
    pub parties: &'a CaseParties,
    pub emails: &'a EmailTemplates,
    pub base_url: &'a str,
    pub now: NaiveDateTime,
}

/// Saves the panel's draft (a new one, or changes to the open draft). With `corrects`, the
/// draft is a correction of that issued ruling.
pub fn save_draft(
    conn: &mut DbConnection,
    cx: &Context<'_>,
    actor: &Actor,
    draft: &Draft,
    corrects: Option<i64>,
) -> Result<i64, RulingFailure> {
    crate::db::write_transaction(conn, |conn| {
        if policy::relation(actor, cx.parties) != Relation::Mediator {
            return Err(RulingFailure::NotPermitted);
        }
        let existing = all_of_case(conn, cx.case.id)?;
        match corrects {
            None if cx.case.state != CaseState::HearingScheduled.as_str() => return Err(RulingFailure::NotNow),
            Some(id) if !existing.iter().any(|r| r.id == id && r.is_issued()) => return Err(RulingFailure::NotNow),
            _ => {}
        }
        let rules = transition::rules_of(conn, cx.case)?.rules;
        let paid = if cx.case.fee_status == "paid" {
            cx.case.fee_cents
        } else {
            0
        };
        let refund = fee_refund(rules.fee_refund, draft.outcome, paid, draft.panel_refund_cents);
        let open_draft = existing
            .iter()
            .find(|r| !r.is_issued() && r.corrects_ruling_id == corrects)
            .map(|r| r.id);
        let values = (
            rulings::outcome.eq(draft.outcome.as_str()),
            rulings::award_cents.eq(draft.award_cents),
            rulings::award_actions.eq(&draft.award_actions),
            rulings::fee_refund_cents.eq(refund),
            rulings::deposit_decision.eq(&draft.deposit_decision),
            rulings::reasoning.eq(&draft.reasoning),
            rulings::summary.eq(&draft.summary),
            rulings::updated_at.eq(cx.now),
        );
        let id = match open_draft {
            Some(id) => {
                let changed = diesel::update(rulings::table.find(id).filter(rulings::status.eq("draft")))
                    .set(values)
                    .execute(conn)?;
                if changed != 1 {
                    return Err(RulingFailure::AlreadyIssued);
                }
                id
            }
            None => diesel::insert_into(rulings::table)
                .values((
                    values,
                    rulings::case_id.eq(cx.case.id),
                    rulings::status.eq("draft"),
                    rulings::language.eq(&cx.case.language),
                    rulings::corrects_ruling_id.eq(corrects),
                    rulings::drafted_by.eq(actor.user_id),
                    rulings::created_at.eq(cx.now),
                ))
                .returning(rulings::id)
                .get_result(conn)?,
        };
        // No case event: the timeline is read by the parties, and drafts are the panel's alone.
        Ok(id)
    })
}

/// The chair issues the draft: final from here. The case is ruled and goes into compliance
/// (or closes when the provider has nothing to do); both parties get it by e-mail as PDF.
pub fn issue(conn: &mut DbConnection, cx: &Context<'_>, actor: &Actor, ruling_id: i64) -> Result<(), RulingFailure> {
    crate::db::write_transaction(conn, |conn| {
        if policy::relation(actor, cx.parties) != Relation::Mediator || !is_chair(conn, cx.case.id, actor.user_id)? {
            return Err(RulingFailure::NotPermitted);
        }
        let ruling = find(conn, cx.case.id, ruling_id)?.ok_or(RulingFailure::NotFound)?;
        let changed = diesel::update(rulings::table.find(ruling_id).filter(rulings::status.eq("draft")))
            .set((
                rulings::status.eq("issued"),
                rulings::issued_by.eq(actor.user_id),
                rulings::issued_at.eq(cx.now),
                rulings::updated_at.eq(cx.now),
            ))
            .execute(conn)?;
        if changed != 1 {
            return Err(RulingFailure::AlreadyIssued);
        }
        // An issued ruling (also a correction, which changes no state) changes the case's figures.
        crate::statistics::aggregates::mark(conn, cx.case.id, cx.now)?;
        let mut due = None;
        if ruling.corrects_ruling_id.is_none() {
            transition::apply(
                conn,
                cx.emails,
                cx.base_url,
                Request {
                    case_id: cx.case.id,
                    change: Change::Act(Action::IssueRuling),
                    by: By::User(actor),
                    expected_version: None,
                    note: None,
                    detail: json!({ "ruling_id": ruling_id }),
                },
                cx.now,
            )?;
            let must_act = provider_must_act(
                ruling.outcome(),
                ruling.award_cents,
                &ruling.award_actions,
                ruling.fee_refund_cents,
            );
            let next = if must_act {
                Action::StartCompliance
            } else {
                Action::Close
            };
            transition::apply(
                conn,
                cx.emails,
                cx.base_url,
                Request {
                    case_id: cx.case.id,
                    change: Change::Act(next),
                    by: By::System,
                    expected_version: None,
                    note: None,
                    detail: json!({ "ruling_id": ruling_id }),
                },
                cx.now,
            )?;
            if must_act {
                due = queries::find_case(conn, cx.case.id)?.and_then(|c| c.state_due_on);
            } else {
                crate::compliance::store::ask_rating(conn, cx.emails, cx.base_url, cx.case, cx.now)?;
            }
        } else {
            // A correction keeps the compliance term of the ruling it corrects.
            due = find(conn, cx.case.id, ruling.corrects_ruling_id.unwrap_or_default())?
                .and_then(|r| r.compliance_due_on);
            notices::record_event(
                conn,
                cx.case,
                Some(actor.user_id),
                "mediator",
                "ruling_corrected",
                json!({ "ruling_id": ruling_id, "corrects": ruling.corrects_ruling_id }),
                cx.now,
            )?;
        }
        diesel::update(rulings::table.find(ruling_id))
            .set(rulings::compliance_due_on.eq(due))
            .execute(conn)?;
        // The anonymised version waits in the secretariat's publication queue from this moment on.
        crate::publication::prepare_for_ruling(conn, ruling_id, cx.now).map_err(|e| match e {
            crate::publication::PublicationError::Query(q) => RulingFailure::from(q),
            _ => RulingFailure::NotFound,
        })?;
        let issued = find(conn, cx.case.id, ruling_id)?.ok_or(RulingFailure::NotFound)?;
        let document = document_of(conn, cx.case, &issued)?;
        notices::send(
            conn,
            cx.emails,
            cx.base_url,
            cx.case,
            cx.parties,
            Notice {
                key: "notice-ruling-issued",
                args: vec![],
                audience: Audience::Everyone,
                except: Some(actor.user_id),
                attachment: Some(Attachment::new(
                    &format!("uitspraak-{}.pdf", cx.case.reference),
                    "application/pdf",
                    &document.to_pdf(),
                )),
            },
            cx.now,
        )?;
        Ok(())
    })
}

/// The ruling as a printable document in the procedure's language.
pub fn document_of(
    conn: &mut DbConnection,
    case: &CaseRow,
    ruling: &RulingRow,
) -> Result<Printable, TransitionFailure> {
    let rules = transition::rules_of(conn, case)?;
    let consumer: String = users::table
        .find(case.consumer_id)
        .select(users::display_name)
        .first(conn)?;
    let provider: String = providers::table
        .find(case.provider_id)
        .select(providers::legal_name)
        .first(conn)?;
    let panel = panel_names(conn, case.id)?;
    let language = Language::from_code(&ruling.language).unwrap_or_default();
    Ok(ruling_document(
        language,
        &RulingFacts {
            reference: &case.reference,
            scheme_name: &rules.scheme_name,
            consumer_name: &consumer,
            provider_name: &provider,
            panel: &panel,
            outcome: ruling.outcome(),
            award_cents: ruling.award_cents,
            award_actions: &ruling.award_actions,
            fee_refund_cents: ruling.fee_refund_cents,
            deposit_decision: &ruling.deposit_decision,
            summary: &ruling.summary,
            reasoning: &ruling.reasoning,
            issued_on: ruling.issued_at.map(|t| t.date()),
            compliance_due_on: ruling.compliance_due_on,
            corrects: ruling.corrects_ruling_id,
        },
    ))
}

/// Reminds the panel once when the ruling term after a held hearing is in its last week (run by the
/// worker). The reminder is a case event, so it is sent once however often the worker runs.
pub fn remind_ruling_terms(
    conn: &mut DbConnection,
    emails: &EmailTemplates,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<usize, TransitionFailure> {
    use crate::db::schema::{case_events, cases, hearings};
    let held: Vec<(i64, NaiveDateTime)> = cases::table
        .inner_join(hearings::table)
        .filter(cases::state.eq(CaseState::HearingScheduled.as_str()))
        .filter(hearings::status.eq("scheduled"))
        .filter(hearings::starts_at.lt(now))
        .select((cases::id, hearings::starts_at))
        .limit(500)
        .load(conn)?;
    let mut sent = 0;
    for (case_id, starts_at) in held {
        let Some((case, parties)) = queries::case_with_parties(conn, case_id)? else {
            continue;
        };
        let rules = transition::rules_of(conn, &case)?.rules;
        let due = crate::cases::lifecycle::ruling_due(crate::hearings::utc_to_local(starts_at).date(), &rules);
        let Some(left) = super::term_warning(due, now.date()) else {
            continue;
        };
        let reminded: i64 = case_events::table
            .filter(case_events::case_id.eq(case_id))
            .filter(case_events::kind.eq("ruling_term_reminder"))
            .count()
            .get_result(conn)?;
        if reminded > 0 {
            continue;
        }
        crate::db::write_transaction(conn, |conn| -> Result<(), TransitionFailure> {
            notices::record_event(
                conn,
                &case,
                None,
                "system",
                "ruling_term_reminder",
                json!({ "due_on": due }),
                now,
            )?;
            notices::send(
                conn,
                emails,
                base_url,
                &case,
                &parties,
                Notice {
                    key: "notice-ruling-term",
                    args: vec![("due", due.format("%d-%m-%Y").to_string()), ("days", left.to_string())],
                    audience: Audience::Panel,
                    except: None,
                    attachment: None,
                },
                now,
            )?;
            Ok(())
        })?;
        sent += 1;
    }
    Ok(sent)
}
