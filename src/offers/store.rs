//! Offers in the database. Every answer is one conditional update (`… WHERE status =
//! 'open'`) inside the caller's write transaction, so of two people acting at once exactly
//! one changes the offer; the other finds it no longer open and is told what happened to
//! it. The unique partial index `offers_one_open_per_case` backs the rule that only one
//! offer is open per case.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::{Maker, OfferStatus, OfferTerms, join_actions, needs_compliance, split_actions};
use crate::cases::lifecycle::{self, Action, CaseState, Role as ProcedureRole};
use crate::cases::queries::{self, CaseRow};
use crate::cases::transition::{self, By, Change, Request, TransitionFailure};
use crate::db::schema::{cases, offers, users};
use crate::db::{DbConnection, on_backend};
use crate::mail::templates::EmailTemplates;
use crate::notices::{self, Audience, Notice};
use crate::policy::{self, Actor, CaseParties, Relation};
use crate::registry::rules::SchemeRules;
use crate::web::templates::format_euros;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = offers)]
pub struct OfferRow {
    pub id: i64,
    pub case_id: i64,
    pub made_by: i64,
    pub made_by_role: String,
    pub amount_cents: Option<i64>,
    pub actions: String,
    pub terms: String,
    pub expires_on: NaiveDate,
    pub status: String,
    pub replaces_offer_id: Option<i64>,
    pub responded_by: Option<i64>,
    pub responded_at: Option<NaiveDateTime>,
    pub response_reason: String,
    pub created_at: NaiveDateTime,
    pub consumer_accepted_at: Option<NaiveDateTime>,
    pub provider_accepted_at: Option<NaiveDateTime>,
}

impl OfferRow {
    pub fn maker(&self) -> Maker {
        Maker::parse(&self.made_by_role).unwrap_or(Maker::Mediator)
    }

    pub fn status(&self) -> OfferStatus {
        OfferStatus::parse(&self.status).unwrap_or(OfferStatus::Expired)
    }

    pub fn action_list(&self) -> Vec<String> {
        split_actions(&self.actions)
    }
}

/// Why an offer step did not happen; each has its own message for the user.
#[derive(Debug, thiserror::Error)]
pub enum OfferFailure {
    #[error("not found")]
    NotFound,
    /// The case is past the point where it can be settled.
    #[error("the case cannot be settled now")]
    NotNegotiable,
    /// The caller may not make or answer this offer.
    #[error("not yours to answer")]
    NotYours,
    /// Another offer is open; answer or counter it.
    #[error("another offer is open")]
    AlreadyOpen,
    /// Someone else answered first (or the offer was countered or expired meanwhile).
    #[error("the offer is {}", .0.as_str())]
    NoLongerOpen(OfferStatus),
    /// The expiry day has passed.
    #[error("the offer has expired")]
    Expired,
    #[error(transparent)]
    Transition(#[from] TransitionFailure),
}

impl From<diesel::result::Error> for OfferFailure {
    fn from(e: diesel::result::Error) -> Self {
        Self::Transition(e.into())
    }
}

impl From<notices::NoticeError> for OfferFailure {
    fn from(e: notices::NoticeError) -> Self {
        Self::Transition(e.into())
    }
}

impl OfferFailure {
    /// The translation key of the message shown to the user.
    pub fn message_key(&self) -> &'static str {
        match self {
            OfferFailure::NotFound => "error-not-found",
            OfferFailure::NotNegotiable => "offer-refused-not-negotiable",
            OfferFailure::NotYours => "offer-refused-not-yours",
            OfferFailure::AlreadyOpen => "offer-refused-already-open",
            OfferFailure::NoLongerOpen(OfferStatus::Accepted) => "offer-refused-accepted",
            OfferFailure::NoLongerOpen(OfferStatus::Countered) => "offer-refused-countered",
            OfferFailure::NoLongerOpen(OfferStatus::Rejected) => "offer-refused-rejected",
            OfferFailure::NoLongerOpen(_) | OfferFailure::Expired => "offer-refused-expired",
            OfferFailure::Transition(TransitionFailure::Stale) => "offer-refused-case-changed",
            OfferFailure::Transition(_) => "offer-refused-not-negotiable",
        }
    }
}

impl From<OfferFailure> for crate::web::error::AppError {
    fn from(failure: OfferFailure) -> Self {
        use crate::web::error::AppError;
        match failure {
            OfferFailure::NotFound => AppError::NotFound,
            OfferFailure::Transition(TransitionFailure::Storage(e)) => e.into(),
            OfferFailure::Transition(TransitionFailure::Render(e)) => AppError::Internal(e),
            OfferFailure::Transition(TransitionFailure::NotFound) => AppError::NotFound,
            other => AppError::Conflict(other.to_string()),
        }
    }
}

/// Whether the case is at a stage where a settlement can still be accepted.
pub fn negotiable(conn: &mut DbConnection, case: &CaseRow) -> Result<bool, TransitionFailure> {
    let rules = transition::rules_of(conn, case)?.rules;
    Ok(negotiable_under(&rules, case))
}

/// [`negotiable`] for a caller that has the case's rules already.
pub fn negotiable_under(rules: &SchemeRules, case: &CaseRow) -> bool {
    let Ok(state) = case.state.parse::<CaseState>() else {
        return false;
    };
    lifecycle::next_state(
        rules.scheme_kind,
        rules.fee_due(),
        state,
        Action::AcceptSettlement,
        ProcedureRole::Consumer,
    )
    .is_ok()
}

/// All offers of a case, newest first.
pub fn history(conn: &mut DbConnection, case_id: i64) -> QueryResult<Vec<(OfferRow, String)>> {
    // Read on every view of the case page: on the backend's own connection (`db::on_backend`).
    on_backend!(conn, |c| offers::table
        .inner_join(users::table.on(users::id.eq(offers::made_by)))
        .filter(offers::case_id.eq(case_id))
        .order(offers::id.desc())
        .select((OfferRow::as_select(), users::display_name))
        .load(c))
}

pub fn find(conn: &mut DbConnection, case_id: i64, offer_id: i64) -> QueryResult<Option<OfferRow>> {
    offers::table
        .find(offer_id)
        .filter(offers::case_id.eq(case_id))
        .select(OfferRow::as_select())
        .first(conn)
        .optional()
}

pub fn open_offer(conn: &mut DbConnection, case_id: i64) -> QueryResult<Option<OfferRow>> {
    offers::table
        .filter(offers::case_id.eq(case_id))
        .filter(offers::status.eq(OfferStatus::Open.as_str()))
        .select(OfferRow::as_select())
        .first(conn)
        .optional()
}

/// What the caller's surroundings are: the case as loaded, the mail templates and the base URL.
pub struct Context<'a> {
    pub case: &'a CaseRow,
    pub parties: &'a CaseParties,
    pub emails: &'a EmailTemplates,
    pub base_url: &'a str,
    pub now: NaiveDateTime,
}

/// The amount for a notice; `none` selects the sentence without an amount in the translations.
fn amount_arg(amount_cents: Option<i64>) -> String {
    amount_cents.map(format_euros).unwrap_or_else(|| "none".to_owned())
}

/// Makes a new offer, or a counter-offer replacing `replacing` (which must be the open one).
pub fn make(
    conn: &mut DbConnection,
    cx: &Context<'_>,
    actor: &Actor,
    terms: &OfferTerms,
    replacing: Option<i64>,
) -> Result<i64, OfferFailure> {
    crate::db::write_transaction(conn, |conn| {
        let relation = policy::relation(actor, cx.parties);
        let maker = Maker::from_relation(relation).ok_or(OfferFailure::NotYours)?;
        if !negotiable(conn, cx.case)? {
            return Err(OfferFailure::NotNegotiable);
        }
        if let Some(old_id) = replacing {
            let old = find(conn, cx.case.id, old_id)?.ok_or(OfferFailure::NotFound)?;
            // Only the one who answers the open offer counters it (the mediator may replace a proposal).
            let may_counter = old.maker().answered_by(relation) || (maker == Maker::Mediator && old.maker() == maker);
            if !may_counter {
                return Err(OfferFailure::NotYours);
            }
            let changed = diesel::update(
                offers::table
                    .find(old_id)
                    .filter(offers::status.eq(OfferStatus::Open.as_str())),
            )
            .set((
                offers::status.eq(OfferStatus::Countered.as_str()),
                offers::responded_by.eq(actor.user_id),
                offers::responded_at.eq(cx.now),
            ))
            .execute(conn)?;
            if changed != 1 {
                return Err(OfferFailure::NoLongerOpen(old.status()));
            }
        } else if open_offer(conn, cx.case.id)?.is_some() {
            return Err(OfferFailure::AlreadyOpen);
        }
        let inserted = diesel::insert_into(offers::table)
            .values((
                offers::case_id.eq(cx.case.id),
                offers::made_by.eq(actor.user_id),
                offers::made_by_role.eq(maker.as_str()),
                offers::amount_cents.eq(terms.amount_cents),
                offers::actions.eq(join_actions(&terms.actions)),
                offers::terms.eq(&terms.terms),
                offers::expires_on.eq(terms.expires_on),
                offers::status.eq(OfferStatus::Open.as_str()),
                offers::replaces_offer_id.eq(replacing),
                offers::response_reason.eq(""),
                offers::created_at.eq(cx.now),
            ))
            .returning(offers::id)
            .get_result::<i64>(conn);
        let id = match inserted {
            Ok(id) => id,
            // Two new offers at once: the unique index lets one in.
            Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
                return Err(OfferFailure::AlreadyOpen);
            }
            Err(e) => return Err(e.into()),
        };
        let kind = if replacing.is_some() {
            "offer_countered"
        } else {
            "offer_made"
        };
        notices::record_event(
            conn,
            cx.case,
            Some(actor.user_id),
            maker.as_str(),
            kind,
            json!({ "offer_id": id, "amount_cents": terms.amount_cents }),
            cx.now,
        )?;
        notices::send(
            conn,
            cx.emails,
            cx.base_url,
            cx.case,
            cx.parties,
            Notice {
                key: if maker == Maker::Mediator {
                    "notice-offer-proposed"
                } else {
                    "notice-offer-made"
                },
                args: vec![
                    ("amount", amount_arg(terms.amount_cents)),
                    ("expires", terms.expires_on.format("%d-%m-%Y").to_string()),
                ],
                audience: Audience::Everyone,
                except: Some(actor.user_id),
                attachment: None,
            },
            cx.now,
        )?;
        Ok(id)
    })
}

/// What became of an acceptance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    /// The case is settled (and in compliance, or closed when nothing is to be done).
    Settled,
    /// One party accepted the mediator's proposal; the other still has to.
    WaitingForOtherParty,
}

/// Accepts the open offer `offer_id`. Exactly one of several simultaneous answers wins.
pub fn accept(
    conn: &mut DbConnection,
    cx: &Context<'_>,
    actor: &Actor,
    offer_id: i64,
) -> Result<Accepted, OfferFailure> {
    crate::db::write_transaction(conn, |conn| {
        let offer = find(conn, cx.case.id, offer_id)?.ok_or(OfferFailure::NotFound)?;
        let relation = policy::relation(actor, cx.parties);
        if !offer.maker().answered_by(relation) {
            return Err(OfferFailure::NotYours);
        }
        if offer.status() != OfferStatus::Open {
            return Err(OfferFailure::NoLongerOpen(offer.status()));
        }
        if lifecycle::is_expired(offer.expires_on, cx.now.date()) {
            return Err(OfferFailure::Expired);
        }
        let open = offers::table
            .find(offer_id)
            .filter(offers::status.eq(OfferStatus::Open.as_str()));
        if offer.maker() == Maker::Mediator {
            // Record this party's acceptance; the row as it is after the update tells whether both agreed.
            let after: Option<(Option<NaiveDateTime>, Option<NaiveDateTime>)> = if relation == Relation::Consumer {
                diesel::update(open.filter(offers::consumer_accepted_at.is_null()))
                    .set(offers::consumer_accepted_at.eq(cx.now))
                    .returning((offers::consumer_accepted_at, offers::provider_accepted_at))
                    .get_result(conn)
                    .optional()?
            } else {
                diesel::update(open.filter(offers::provider_accepted_at.is_null()))
                    .set(offers::provider_accepted_at.eq(cx.now))
                    .returning((offers::consumer_accepted_at, offers::provider_accepted_at))
                    .get_result(conn)
                    .optional()?
            };
            let Some((consumer, provider)) = after else {
                let now_status = find(conn, cx.case.id, offer_id)?.map(|o| o.status());
                return Err(OfferFailure::NoLongerOpen(now_status.unwrap_or(OfferStatus::Accepted)));
            };
            if consumer.is_none() || provider.is_none() {
                notices::record_event(
                    conn,
                    cx.case,
                    Some(actor.user_id),
                    role_code(relation),
                    "proposal_accepted_by_party",
                    json!({ "offer_id": offer_id }),
                    cx.now,
                )?;
                notices::send(
                    conn,
                    cx.emails,
                    cx.base_url,
                    cx.case,
                    cx.parties,
                    Notice {
                        key: "notice-proposal-accepted-by-one",
                        args: vec![],
                        audience: Audience::Everyone,
                        except: Some(actor.user_id),
                        attachment: None,
                    },
                    cx.now,
                )?;
                return Ok(Accepted::WaitingForOtherParty);
            }
        }
        let changed = diesel::update(open)
            .set((
                offers::status.eq(OfferStatus::Accepted.as_str()),
                offers::responded_by.eq(actor.user_id),
                offers::responded_at.eq(cx.now),
            ))
            .execute(conn)?;
        if changed != 1 {
            let now_status = find(conn, cx.case.id, offer_id)?.map(|o| o.status());
            return Err(OfferFailure::NoLongerOpen(now_status.unwrap_or(OfferStatus::Accepted)));
        }
        settle(conn, cx, actor, &offer)?;
        Ok(Accepted::Settled)
    })
}

fn role_code(relation: Relation) -> &'static str {
    match relation {
        Relation::Consumer => "consumer",
        Relation::Provider => "provider_staff",
        Relation::Mediator => "mediator",
        Relation::Secretariat => "secretariat",
        Relation::None => "none",
    }
}

/// The case becomes settled, then goes into compliance (or closes when nothing is to be done).
fn settle(conn: &mut DbConnection, cx: &Context<'_>, actor: &Actor, offer: &OfferRow) -> Result<(), OfferFailure> {
    transition::apply(
        conn,
        cx.emails,
        cx.base_url,
        Request {
            case_id: cx.case.id,
            change: Change::Act(Action::AcceptSettlement),
            by: By::User(actor),
            expected_version: None,
            note: None,
            detail: json!({ "offer_id": offer.id }),
        },
        cx.now,
    )?;
    let next = if needs_compliance(offer.amount_cents, &offer.action_list()) {
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
            detail: json!({ "offer_id": offer.id }),
        },
        cx.now,
    )?;
    Ok(())
}

/// Rejects the open offer, with an optional reason.
pub fn reject(
    conn: &mut DbConnection,
    cx: &Context<'_>,
    actor: &Actor,
    offer_id: i64,
    reason: &str,
) -> Result<(), OfferFailure> {
    crate::db::write_transaction(conn, |conn| {
        let offer = find(conn, cx.case.id, offer_id)?.ok_or(OfferFailure::NotFound)?;
        let relation = policy::relation(actor, cx.parties);
        if !offer.maker().answered_by(relation) {
            return Err(OfferFailure::NotYours);
        }
        let changed = diesel::update(
            offers::table
                .find(offer_id)
                .filter(offers::status.eq(OfferStatus::Open.as_str())),
        )
        .set((
            offers::status.eq(OfferStatus::Rejected.as_str()),
            offers::responded_by.eq(actor.user_id),
            offers::responded_at.eq(cx.now),
            offers::response_reason.eq(reason),
        ))
        .execute(conn)?;
        if changed != 1 {
            let now_status = find(conn, cx.case.id, offer_id)?.map(|o| o.status());
            return Err(OfferFailure::NoLongerOpen(now_status.unwrap_or(OfferStatus::Rejected)));
        }
        notices::record_event(
            conn,
            cx.case,
            Some(actor.user_id),
            role_code(relation),
            "offer_rejected",
            json!({ "offer_id": offer_id, "note": (!reason.is_empty()).then_some(reason) }),
            cx.now,
        )?;
        notices::send(
            conn,
            cx.emails,
            cx.base_url,
            cx.case,
            cx.parties,
            Notice {
                key: "notice-offer-rejected",
                args: vec![],
                audience: Audience::Everyone,
                except: Some(actor.user_id),
                attachment: None,
            },
            cx.now,
        )?;
        Ok(())
    })
}

/// Expires open offers whose last day has passed and tells everyone in the case; run by the worker.
/// Safe with several workers: the conditional update lets one of them do each offer.
pub fn expire_due(
    conn: &mut DbConnection,
    emails: &EmailTemplates,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<usize, TransitionFailure> {
    let due: Vec<(i64, i64)> = offers::table
        .filter(offers::status.eq(OfferStatus::Open.as_str()))
        .filter(offers::expires_on.lt(now.date()))
        .select((offers::id, offers::case_id))
        .order(offers::expires_on)
        .limit(200)
        .load(conn)?;
    let mut expired = 0;
    for (offer_id, case_id) in due {
        let done = crate::db::write_transaction(conn, |conn| -> Result<bool, TransitionFailure> {
            let changed = diesel::update(
                offers::table
                    .find(offer_id)
                    .filter(offers::status.eq(OfferStatus::Open.as_str())),
            )
            .set((
                offers::status.eq(OfferStatus::Expired.as_str()),
                offers::responded_at.eq(now),
            ))
            .execute(conn)?;
            if changed != 1 {
                return Ok(false);
            }
            let Some((case, parties)) = queries::case_with_parties(conn, case_id)? else {
                return Ok(false);
            };
            notices::record_event(
                conn,
                &case,
                None,
                "system",
                "offer_expired",
                json!({ "offer_id": offer_id }),
                now,
            )?;
            notices::send(
                conn,
                emails,
                base_url,
                &case,
                &parties,
                Notice {
                    key: "notice-offer-expired",
                    args: vec![],
                    audience: Audience::Everyone,
                    except: None,
                    attachment: None,
                },
                now,
            )?;
            Ok(true)
        })?;
        expired += usize::from(done);
    }
    Ok(expired)
}

/// The accepted offer of a settled case, if it was settled by one.
pub fn accepted_offer(conn: &mut DbConnection, case_id: i64) -> QueryResult<Option<OfferRow>> {
    offers::table
        .filter(offers::case_id.eq(case_id))
        .filter(offers::status.eq(OfferStatus::Accepted.as_str()))
        .select(OfferRow::as_select())
        .first(conn)
        .optional()
}

/// The compliance deadline that started with the settlement (the case's deadline while it runs).
pub fn compliance_due(conn: &mut DbConnection, case_id: i64) -> QueryResult<Option<NaiveDate>> {
    let (state, due): (String, Option<NaiveDate>) = cases::table
        .find(case_id)
        .select((cases::state, cases::state_due_on))
        .first(conn)?;
    Ok((state == CaseState::InCompliance.as_str()).then_some(due).flatten())
}
