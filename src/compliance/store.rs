//! Compliance reports, guarantee claims and ratings in the database. Each step is the case's
//! transition plus its own rows in one transaction; a guarantee claim exists once per case
//! (unique index), a rating once per case.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::json;

use super::{REPORT_COMPLIED, REPORT_CONFIRMED, REPORT_DISPUTED, guarantee_amount};
use crate::cases::lifecycle::{Action, CaseState};
use crate::cases::queries::{self, CaseRow};
use crate::cases::transition::{self, Applied, By, Change, Request, TransitionFailure};
use crate::db::DbConnection;
use crate::db::schema::{compliance_reports, guarantee_claims, guarantors, memberships, ratings, rulings, users};
use crate::i18n::Language;
use crate::jobs;
use crate::mail::templates::EmailTemplates;
use crate::notices::{self, Audience, Notice};
use crate::policy::{Actor, CaseParties};
use crate::web::templates::format_euros;

pub struct Context<'a> {
    pub case: &'a CaseRow,
    pub parties: &'a CaseParties,
    pub emails: &'a EmailTemplates,
    pub base_url: &'a str,
    pub now: NaiveDateTime,
}

fn act(
    cx: &Context<'_>,
    conn: &mut DbConnection,
    actor: &Actor,
    action: Action,
    note: Option<String>,
) -> Result<Applied, TransitionFailure> {
    transition::apply(
        conn,
        cx.emails,
        cx.base_url,
        Request {
            case_id: cx.case.id,
            change: Change::Act(action),
            by: By::User(actor),
            expected_version: Some(cx.case.version),
            note,
            detail: json!({}),
        },
        cx.now,
    )
}

fn insert_report(
    conn: &mut DbConnection,
    case_id: i64,
    kind: &str,
    note: &str,
    document_id: Option<i64>,
    by: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(compliance_reports::table)
        .values((
            compliance_reports::case_id.eq(case_id),
            compliance_reports::kind.eq(kind),
            compliance_reports::note.eq(note),
            compliance_reports::document_id.eq(document_id),
            compliance_reports::created_by.eq(by),
            compliance_reports::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// The provider reports that it complied, with a note and optionally an evidence document.
pub fn report(
    conn: &mut DbConnection,
    cx: &Context<'_>,
    actor: &Actor,
    note: &str,
    document_id: Option<i64>,
) -> Result<(), TransitionFailure> {
    crate::db::write_transaction(conn, |conn| {
        act(cx, conn, actor, Action::ReportCompliance, Some(note.to_owned()))?;
        insert_report(
            conn,
            cx.case.id,
            REPORT_COMPLIED,
            note,
            document_id,
            actor.user_id,
            cx.now,
        )?;
        Ok(())
    })
}

/// The consumer confirms compliance: the case closes and the consumer is asked to rate.
pub fn confirm(conn: &mut DbConnection, cx: &Context<'_>, actor: &Actor) -> Result<(), TransitionFailure> {
    crate::db::write_transaction(conn, |conn| {
        act(cx, conn, actor, Action::ConfirmCompliance, None)?;
        insert_report(conn, cx.case.id, REPORT_CONFIRMED, "", None, actor.user_id, cx.now)?;
        ask_rating(conn, cx.emails, cx.base_url, cx.case, cx.now)?;
        Ok(())
    })
}

/// The consumer reports non-compliance: a guarantee claim opens.
pub fn dispute(conn: &mut DbConnection, cx: &Context<'_>, actor: &Actor, note: &str) -> Result<(), TransitionFailure> {
    crate::db::write_transaction(conn, |conn| {
        act(cx, conn, actor, Action::ReportNonCompliance, Some(note.to_owned()))?;
        insert_report(conn, cx.case.id, REPORT_DISPUTED, note, None, actor.user_id, cx.now)?;
        open_claim(conn, cx.emails, cx.base_url, cx.case.id, cx.now)?;
        Ok(())
    })
}

/// A deadline step of the worker; when the compliance term expired, the guarantee claim opens
/// in the same transaction.
pub fn apply_expiry(
    conn: &mut DbConnection,
    emails: &EmailTemplates,
    base_url: &str,
    request: Request<'_>,
    now: NaiveDateTime,
) -> Result<Applied, TransitionFailure> {
    let case_id = request.case_id;
    crate::db::write_transaction(conn, |conn| {
        let applied = transition::apply(conn, emails, base_url, request, now)?;
        if applied.to == CaseState::GuaranteeClaim {
            open_claim(conn, emails, base_url, case_id, now)?;
        }
        Ok(applied)
    })
}

/// What the provider was ordered or agreed to pay: the latest issued ruling's award, else the
/// accepted offer's amount.
fn awarded_cents(conn: &mut DbConnection, case_id: i64) -> QueryResult<Option<i64>> {
    let ruling: Option<Option<i64>> = rulings::table
        .filter(rulings::case_id.eq(case_id))
        .filter(rulings::status.eq("issued"))
        .order(rulings::id.desc())
        .select(rulings::award_cents)
        .first(conn)
        .optional()?;
    match ruling {
        Some(award) => Ok(award),
        None => Ok(crate::offers::store::accepted_offer(conn, case_id)?.and_then(|o| o.amount_cents)),
    }
}

/// Opens the claim on the guarantor of the provider's membership (once per case) and e-mails
/// the guarantor. Without a guarantor on file the claim is opened for the secretariat to follow up.
pub fn open_claim(
    conn: &mut DbConnection,
    emails: &EmailTemplates,
    base_url: &str,
    case_id: i64,
    now: NaiveDateTime,
) -> Result<(), TransitionFailure> {
    let case = queries::find_case(conn, case_id)?.ok_or(TransitionFailure::NotFound)?;
    let exists: i64 = guarantee_claims::table
        .filter(guarantee_claims::case_id.eq(case_id))
        .count()
        .get_result(conn)?;
    if exists > 0 {
        return Ok(());
    }
    let rules = transition::rules_of(conn, &case)?.rules;
    let amount = guarantee_amount(awarded_cents(conn, case_id)?, rules.guarantee_cap_cents);
    let guarantor: Option<(i64, String, String)> = memberships::table
        .inner_join(guarantors::table)
        .filter(memberships::provider_id.eq(case.provider_id))
        .filter(memberships::scheme_id.eq(case.scheme_id))
        .order(memberships::valid_from.desc())
        .select((guarantors::id, guarantors::name, guarantors::contact_email))
        .first(conn)
        .optional()?;
    diesel::insert_into(guarantee_claims::table)
        .values((
            guarantee_claims::case_id.eq(case_id),
            guarantee_claims::guarantor_id.eq(guarantor.as_ref().map(|g| g.0)),
            guarantee_claims::amount_cents.eq(amount),
            guarantee_claims::status.eq("open"),
            guarantee_claims::opened_at.eq(now),
        ))
        .execute(conn)?;
    notices::record_event(
        conn,
        &case,
        None,
        "system",
        "guarantee_claim_opened",
        json!({ "amount_cents": amount, "guarantor_id": guarantor.as_ref().map(|g| g.0) }),
        now,
    )?;
    if let Some((_, name, email)) = guarantor.filter(|g| !g.2.is_empty()) {
        let notice = Notice {
            key: "notice-guarantee-claim-guarantor",
            args: vec![("amount", format_euros(amount))],
            audience: Audience::Everyone,
            except: None,
            attachment: None,
        };
        // The guarantor is not a user of the portal: the claim goes out in Dutch with the case reference.
        let mail = notices::render(emails, base_url, &case, &notice, Language::Nl, &email, &name)?;
        jobs::enqueue_email(conn, &mail, now)?;
    }
    Ok(())
}

/// The secretariat records that the guarantor paid: the claim is settled and the case closes.
pub fn record_payment(conn: &mut DbConnection, cx: &Context<'_>, actor: &Actor) -> Result<(), TransitionFailure> {
    crate::db::write_transaction(conn, |conn| {
        let changed = diesel::update(
            guarantee_claims::table
                .filter(guarantee_claims::case_id.eq(cx.case.id))
                .filter(guarantee_claims::status.eq("open")),
        )
        .set((
            guarantee_claims::status.eq("paid"),
            guarantee_claims::paid_at.eq(cx.now),
        ))
        .execute(conn)?;
        if changed != 1 {
            return Err(TransitionFailure::Invalid("no open guarantee claim"));
        }
        act(cx, conn, actor, Action::GuaranteePaid, None)?;
        ask_rating(conn, cx.emails, cx.base_url, cx.case, cx.now)?;
        Ok(())
    })
}

/// Asks the consumer to rate how the provider handled the complaint.
pub fn ask_rating(
    conn: &mut DbConnection,
    emails: &EmailTemplates,
    base_url: &str,
    case: &CaseRow,
    now: NaiveDateTime,
) -> Result<(), TransitionFailure> {
    let consumer: Option<(String, String, String)> = users::table
        .find(case.consumer_id)
        .filter(users::deactivated_at.is_null())
        .filter(users::notify_by_email.eq(true))
        .select((users::email, users::display_name, users::language))
        .first(conn)
        .optional()?;
    if let Some((email, name, language)) = consumer {
        let notice = Notice {
            key: "notice-rating-asked",
            args: vec![],
            audience: Audience::Everyone,
            except: None,
            attachment: None,
        };
        let language = Language::from_code(&language).unwrap_or_default();
        let mail = notices::render(emails, base_url, case, &notice, language, &email, &name)?;
        jobs::enqueue_email(conn, &mail, now)?;
    }
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum RatingFailure {
    #[error("only the consumer rates, after the case closed")]
    NotNow,
    #[error("already rated")]
    AlreadyRated,
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// The consumer's rating of the provider, once per closed case.
pub fn rate(
    conn: &mut DbConnection,
    case: &CaseRow,
    actor: &Actor,
    score: i32,
    comment: &str,
    now: NaiveDateTime,
) -> Result<(), RatingFailure> {
    if actor.user_id != case.consumer_id || case.state != CaseState::Closed.as_str() {
        return Err(RatingFailure::NotNow);
    }
    let inserted = diesel::insert_into(ratings::table)
        .values((
            ratings::case_id.eq(case.id),
            ratings::provider_id.eq(case.provider_id),
            ratings::score.eq(score),
            ratings::comment.eq(comment),
            ratings::created_at.eq(now),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => Ok(()),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            Err(RatingFailure::AlreadyRated)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Clone, Queryable)]
pub struct ReportRow {
    pub kind: String,
    pub note: String,
    pub document_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub author: String,
}

/// A guarantee claim as the case page shows it.
#[derive(Debug, Clone, Queryable)]
pub struct ClaimRow {
    pub amount_cents: i64,
    pub status: String,
    pub guarantor: Option<String>,
    pub paid_at: Option<NaiveDateTime>,
}
