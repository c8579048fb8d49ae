//! A party's request for more time: the consumer or the provider asks to move the case's current
//! deadline, with reasons; the secretariat grants it (through `transition::apply`, which moves the
//! deadline and tells everyone) or refuses it (the requester is told). A request made for a deadline
//! that has meanwhile changed lapses instead of moving the new one.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::{Months, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use super::queries::{self, CaseRow};
use super::transition::{self, By, Change, Request};
use crate::accounts::identity::CurrentUser;
use crate::db::DbConnection;
use crate::db::schema::{cases, extension_requests, users};
use crate::i18n::{self, Language};
use crate::jobs;
use crate::policy::{self, Actor, Relation};
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::form::FieldErrors;
use crate::web::page::{CsrfForm, PageContext, see_other};

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(request_page)
        .service(request_extension)
        .service(decide)
        .service(open_requests_page);
}

/// A party may ask for at most this much beyond the current deadline; the secretariat can
/// extend further on its own authority.
pub const MAX_REQUESTED: Months = Months::new(1);
const REASON_MAX_CHARS: usize = 2000;

/// Why a requested date cannot be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateProblem {
    /// The case has no running deadline to move.
    NoDeadline,
    /// Not later than the current deadline.
    NotLater,
    /// More than `MAX_REQUESTED` beyond it.
    TooFar,
}

impl DateProblem {
    pub const fn message_key(self) -> &'static str {
        match self {
            DateProblem::NoDeadline => "extension-no-deadline",
            DateProblem::NotLater => "extension-not-later",
            DateProblem::TooFar => "extension-too-far",
        }
    }
}

/// Whether a party may ask to move `current` to `until`.
pub fn check_requested_date(current: Option<NaiveDate>, until: NaiveDate) -> Result<(), DateProblem> {
    let current = current.ok_or(DateProblem::NoDeadline)?;
    if until <= current {
        return Err(DateProblem::NotLater);
    }
    match current.checked_add_months(MAX_REQUESTED) {
        Some(limit) if until <= limit => Ok(()),
        _ => Err(DateProblem::TooFar),
    }
}

fn is_open(case: &CaseRow) -> bool {
    case.state
        .parse::<super::lifecycle::CaseState>()
        .is_ok_and(super::lifecycle::CaseState::is_open)
}

fn may_request(relation: Relation, case: &CaseRow) -> bool {
    matches!(relation, Relation::Consumer | Relation::Provider) && is_open(case) && case.state_due_on.is_some()
}

/// An extension request with the requester's name, as the case page lists it
/// (read with the page's other lists, `cases::page_lists`).
#[derive(Debug)]
pub struct RequestRow {
    pub id: i64,
    pub requested_by: i64,
    pub requester: String,
    pub current_due_on: NaiveDate,
    pub requested_until: NaiveDate,
    pub reason: String,
    pub status: String,
    pub decision_reason: String,
    pub decided_until: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
}

fn day(d: NaiveDate) -> String {
    d.format("%d-%m-%Y").to_string()
}

/// The extension part of the case page: the requests (every party sees them, as they see the
/// timeline), the secretariat's decision forms, and whether this user may ask.
pub fn section(requests: &[RequestRow], case: &CaseRow, actor: &Actor, relation: Relation) -> Value {
    let decides = relation == Relation::Secretariat && is_open(case);
    let items: Vec<Value> = requests
        .iter()
        .map(|r| {
            let current = case.state_due_on == Some(r.current_due_on);
            json!({
                "id": r.id,
                "requester": r.requester,
                "mine": r.requested_by == actor.user_id,
                "current_due_on": day(r.current_due_on),
                "requested_until": day(r.requested_until),
                "requested_until_iso": r.requested_until.to_string(),
                "reason": r.reason,
                "status": r.status,
                "decision_reason": r.decision_reason,
                "decided_until": r.decided_until.map(day),
                "asked_on": day(r.created_at.date()),
                "can_decide": decides && r.status == "open",
                "still_current": current,
            })
        })
        .collect();
    let has_open_own = requests
        .iter()
        .any(|r| r.status == "open" && r.requested_by == actor.user_id);
    json!({
        "requests": items,
        "can_request": may_request(relation, case) && !has_open_own,
    })
}

async fn load_for(state: &web::Data<AppState>, actor: Actor, case_id: i64) -> AppResult<(CaseRow, Relation)> {
    let (case, parties) = state
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(queries::case_with_parties(conn, case_id)?) })
        .await?
        .ok_or(AppError::NotFound)?;
    let relation = policy::relation(&actor, &parties);
    policy::ensure(relation != Relation::None)?;
    Ok((case, relation))
}

fn has_open_request(conn: &mut DbConnection, case_id: i64, user_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        extension_requests::table
            .filter(extension_requests::case_id.eq(case_id))
            .filter(extension_requests::requested_by.eq(user_id))
            .filter(extension_requests::status.eq("open")),
    ))
    .get_result(conn)
}

/// The case, if this user may ask for more time on it now (a party, a running deadline, no open
/// request of their own); otherwise 404.
async fn load_for_request(state: &web::Data<AppState>, actor: Actor, case_id: i64) -> AppResult<CaseRow> {
    let (case, relation) = load_for(state, actor, case_id).await?;
    policy::ensure(may_request(relation, &case))?;
    let pending = state
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(has_open_request(conn, case_id, actor.user_id)?) })
        .await?;
    policy::ensure(!pending)?;
    Ok(case)
}

fn render_request_page(
    page: &PageContext,
    case: &CaseRow,
    errors: &FieldErrors,
    values: Value,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let current = case.state_due_on;
    page.render_with_status(
        status,
        "pages/extension_request",
        json!({
            "case": { "id": case.id, "reference": case.reference, "due_on": current.map(day) },
            "latest": current.and_then(|c| c.checked_add_months(MAX_REQUESTED)).map(day),
            "errors": errors.to_json(),
            "values": values,
        }),
    )
}

#[get("/zaken/{id}/uitstel")]
async fn request_page(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let case = load_for_request(&page.data(), Actor::from(&signed_in), path.into_inner()).await?;
    let values = json!({ "until": "", "reason": "" });
    render_request_page(&page, &case, &FieldErrors::new(), values, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    until: String,
    #[serde(default)]
    reason: String,
}

#[post("/zaken/{id}/uitstel")]
async fn request_extension(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<RequestForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let case = load_for_request(&page.data(), actor, path.into_inner()).await?;
    let mut errors = FieldErrors::new();
    let until = match NaiveDate::parse_from_str(form.until.trim(), "%Y-%m-%d") {
        Ok(until) => check_requested_date(case.state_due_on, until)
            .map(|()| until)
            .map_err(|problem| errors.add("until", problem.message_key()))
            .ok(),
        Err(_) if form.until.trim().is_empty() => {
            errors.add("until", "field-required");
            None
        }
        Err(_) => {
            errors.add("until", "extension-date-format");
            None
        }
    };
    let reason = form.reason.trim().to_owned();
    if reason.is_empty() {
        errors.add("reason", "field-required");
    } else if reason.chars().count() > REASON_MAX_CHARS {
        errors.add("reason", "extension-reason-too-long");
    }
    let (Some(until), true) = (until, errors.is_empty()) else {
        let values = json!({ "until": form.until, "reason": form.reason });
        return render_request_page(&page, &case, &errors, values, StatusCode::UNPROCESSABLE_ENTITY);
    };
    let now = Utc::now().naive_utc();
    let case_id = case.id;
    let seen_due = case.state_due_on;
    page.data()
        .db
        .run(move |conn| -> Result<(), AppError> {
            crate::db::write_transaction(conn, |conn| -> Result<(), AppError> {
                // The deadline may have moved since the page was read; ask about the one in force.
                let due: Option<NaiveDate> = cases::table.find(case_id).select(cases::state_due_on).first(conn)?;
                if due != seen_due {
                    return Err(AppError::Conflict("the case changed meanwhile".into()));
                }
                let Some(due) = due else {
                    return Err(AppError::Conflict("the case has no deadline now".into()));
                };
                // A double submit must not leave two requests.
                if has_open_request(conn, case_id, actor.user_id)? {
                    return Err(AppError::Conflict("you already asked for more time".into()));
                }
                diesel::insert_into(extension_requests::table)
                    .values((
                        extension_requests::case_id.eq(case_id),
                        extension_requests::requested_by.eq(actor.user_id),
                        extension_requests::current_due_on.eq(due),
                        extension_requests::requested_until.eq(until),
                        extension_requests::reason.eq(&reason),
                        extension_requests::status.eq("open"),
                        extension_requests::created_at.eq(now),
                    ))
                    .execute(conn)?;
                let detail = json!({ "until": until, "note": reason });
                queries::record_event(conn, case_id, &actor, "extension_requested", detail, now)?;
                Ok(())
            })
        })
        .await?;
    Ok(see_other(&format!(
        "/zaken/{case_id}?notice=notice-extension-requested#uitstel"
    )))
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    decision: String,
    /// For a grant: the new deadline, at most the requested one (empty: as requested).
    #[serde(default)]
    until: String,
    #[serde(default)]
    reason: String,
}

enum Decision {
    Grant { until: Option<NaiveDate> },
    Refuse,
}

#[post("/zaken/{id}/uitstel/{request}/beslissen")]
async fn decide(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<(i64, i64)>,
    CsrfForm(form): CsrfForm<DecisionForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let (case_id, request_id) = path.into_inner();
    let (_, relation) = load_for(&page.data(), actor, case_id).await?;
    policy::ensure(relation == Relation::Secretariat)?;
    let decision = match form.decision.as_str() {
        "grant" if form.until.trim().is_empty() => Decision::Grant { until: None },
        "grant" => Decision::Grant {
            until: Some(
                NaiveDate::parse_from_str(form.until.trim(), "%Y-%m-%d")
                    .map_err(|_| AppError::BadRequest("the date must be YYYY-MM-DD".into()))?,
            ),
        },
        "refuse" if form.reason.trim().is_empty() => {
            return Err(AppError::BadRequest("a refusal needs reasons".into()));
        }
        "refuse" => Decision::Refuse,
        _ => return Err(AppError::BadRequest("unknown decision".into())),
    };
    let reason = form.reason.trim().to_owned();
    if reason.chars().count() > REASON_MAX_CHARS {
        return Err(AppError::BadRequest("the reasons are too long".into()));
    }
    let now = Utc::now().naive_utc();
    let state = page.data();
    let notice = state
        .db
        .run({
            let state = state.clone();
            move |conn| -> Result<&'static str, AppError> {
                crate::db::write_transaction(conn, |conn| {
                    decide_in_transaction(conn, &state, &actor, case_id, request_id, decision, &reason, now)
                })
            }
        })
        .await?;
    Ok(see_other(&format!("/zaken/{case_id}?notice={notice}#uitstel")))
}

#[expect(clippy::too_many_arguments, reason = "one decision with its facts")]
fn decide_in_transaction(
    conn: &mut DbConnection,
    state: &AppState,
    actor: &Actor,
    case_id: i64,
    request_id: i64,
    decision: Decision,
    reason: &str,
    now: NaiveDateTime,
) -> Result<&'static str, AppError> {
    let (requested_by, current_due_on, requested_until, asked): (i64, NaiveDate, NaiveDate, String) =
        extension_requests::table
            .find(request_id)
            .filter(extension_requests::case_id.eq(case_id))
            .filter(extension_requests::status.eq("open"))
            .select((
                extension_requests::requested_by,
                extension_requests::current_due_on,
                extension_requests::requested_until,
                extension_requests::reason,
            ))
            .first(conn)
            .optional()?
            .ok_or(AppError::NotFound)?;
    let case = queries::find_case(conn, case_id)?.ok_or(AppError::NotFound)?;
    let (status, until, notice) = match decision {
        // The deadline the party asked about has passed on to another step: nothing to move.
        Decision::Grant { .. } if case.state_due_on != Some(current_due_on) => {
            ("lapsed", None, "notice-extension-lapsed")
        }
        Decision::Grant { until } => {
            let until = until.unwrap_or(requested_until);
            if until <= current_due_on || until > requested_until {
                return Err(AppError::BadRequest(
                    "the new deadline must lie after the current one and not after the requested one".into(),
                ));
            }
            transition::apply(
                conn,
                &state.emails,
                state.settings.base_url(),
                Request {
                    case_id,
                    change: Change::ExtendDeadline { until },
                    by: By::User(actor),
                    expected_version: None,
                    note: Some(if reason.is_empty() {
                        asked.clone()
                    } else {
                        reason.to_owned()
                    }),
                    detail: json!({ "extension_request_id": request_id }),
                },
                now,
            )?;
            ("granted", Some(until), "notice-extension-granted")
        }
        Decision::Refuse => {
            let detail = json!({ "extension_request_id": request_id, "note": reason });
            queries::record_event(conn, case_id, actor, "extension_refused", detail, now)?;
            tell_requester_of_refusal(conn, state, &case, requested_by, reason, now)?;
            ("refused", None, "notice-extension-refused")
        }
    };
    diesel::update(extension_requests::table.find(request_id))
        .set((
            extension_requests::status.eq(status),
            extension_requests::decided_by.eq(actor.user_id),
            extension_requests::decided_until.eq(until),
            extension_requests::decision_reason.eq(reason),
            extension_requests::decided_at.eq(now),
        ))
        .execute(conn)?;
    Ok(notice)
}

/// A grant reaches everyone through the transition's e-mails; a refusal only concerns the requester.
fn tell_requester_of_refusal(
    conn: &mut DbConnection,
    state: &AppState,
    case: &CaseRow,
    requested_by: i64,
    reason: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let requester: Option<(String, String, String)> = users::table
        .find(requested_by)
        .filter(users::deactivated_at.is_null())
        .filter(users::notify_by_email.eq(true))
        .select((users::email, users::display_name, users::language))
        .first(conn)
        .optional()?;
    let Some((email, name, language)) = requester else {
        return Ok(());
    };
    let language = Language::from_code(&language).unwrap_or_default();
    let mail = state
        .emails
        .render(
            "case_update",
            language,
            &email,
            json!({
                "name": name,
                "reference": case.reference,
                "what": i18n::translate(language, "event-extension_refused"),
                "explanation": reason,
                "due_on": case.state_due_on.map(day),
                "outcome_due_on": Value::Null,
                "link": format!("{}/zaken/{}", state.settings.base_url(), case.id),
            }),
        )
        .map_err(AppError::internal)?;
    jobs::enqueue_email(conn, &mail, now)?;
    Ok(())
}

/// The secretariat's list of requests waiting for a decision, oldest first.
#[get("/uitstelverzoeken")]
async fn open_requests_page(CurrentUser(signed_in): CurrentUser, page: PageContext) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    policy::ensure(policy::can_see_all_cases(&actor))?;
    let rows: Vec<(i64, i64, String, NaiveDate, NaiveDate, String, String)> = page
        .data()
        .db
        .run(|conn| -> Result<_, AppError> {
            Ok(extension_requests::table
                .inner_join(cases::table)
                .inner_join(users::table.on(users::id.eq(extension_requests::requested_by)))
                .filter(extension_requests::status.eq("open"))
                .order(extension_requests::id)
                .limit(200)
                .select((
                    extension_requests::id,
                    cases::id,
                    cases::reference,
                    extension_requests::current_due_on,
                    extension_requests::requested_until,
                    users::display_name,
                    extension_requests::reason,
                ))
                .load(conn)?)
        })
        .await?;
    let requests: Vec<Value> = rows
        .into_iter()
        .map(|(id, case_id, reference, current, until, requester, reason)| {
            json!({ "id": id, "case_id": case_id, "reference": reference, "current_due_on": day(current), "requested_until": day(until), "requester": requester, "reason": reason })
        })
        .collect();
    page.render("pages/extension_requests", json!({ "requests": requests }))
}

/// How many requests wait for the secretariat (for its dashboard).
pub fn open_count(conn: &mut DbConnection) -> QueryResult<i64> {
    extension_requests::table
        .filter(extension_requests::status.eq("open"))
        .count()
        .get_result(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn a_party_may_ask_for_up_to_one_month_beyond_the_current_deadline() {
        let due = Some(d(2026, 1, 31));
        assert_eq!(check_requested_date(due, d(2026, 2, 1)), Ok(()));
        // One calendar month from 31 January is the last day of February.
        assert_eq!(check_requested_date(due, d(2026, 2, 28)), Ok(()));
        assert_eq!(check_requested_date(due, d(2026, 3, 1)), Err(DateProblem::TooFar));
        assert_eq!(check_requested_date(due, d(2026, 1, 31)), Err(DateProblem::NotLater));
        assert_eq!(check_requested_date(due, d(2025, 12, 1)), Err(DateProblem::NotLater));
        assert_eq!(check_requested_date(None, d(2026, 2, 1)), Err(DateProblem::NoDeadline));
    }

    #[test]
    fn in_a_leap_year_the_month_ends_on_the_29th() {
        let due = Some(d(2028, 1, 31));
        assert_eq!(check_requested_date(due, d(2028, 2, 29)), Ok(()));
        assert_eq!(check_requested_date(due, d(2028, 3, 1)), Err(DateProblem::TooFar));
    }
}
