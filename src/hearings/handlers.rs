//! The secretariat plans, moves and cancels the hearing (each time both parties and the
//! panel get a notice with a calendar file), and the panel adds the expert's report (both
//! parties are told and may react within the scheme's reaction term).

use actix_multipart::Multipart;
use actix_web::{HttpResponse, post, web};
use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;

use super::{Invitation, ics, local_to_utc, parse_local, utc_to_local};
use crate::accounts::identity::CurrentUser;
use crate::cases::lifecycle::{Action, CaseState};
use crate::cases::queries::CaseRow;
use crate::cases::thread::{self, NewMessage};
use crate::cases::transition::{self, By, Change, Request};
use crate::db::DbConnection;
use crate::db::schema::hearings;
use crate::i18n::{self, Language};
use crate::jobs::Attachment;
use crate::notices::{self, Audience, Notice};
use crate::offers::handlers::load_case;
use crate::outcome_pages;
use crate::policy::{self, Actor, CaseParties, Relation, Visibility};
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::page::{CsrfForm, PageContext, see_other};

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(plan).service(cancel).service(expert_report);
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = hearings)]
pub struct HearingRow {
    pub id: i64,
    pub case_id: i64,
    pub starts_at: NaiveDateTime,
    pub location: String,
    pub video_link: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub sequence: i32,
}

/// The hearing that is planned (not cancelled), if any.
pub fn current(conn: &mut DbConnection, case_id: i64) -> QueryResult<Option<HearingRow>> {
    hearings::table
        .filter(hearings::case_id.eq(case_id))
        .filter(hearings::status.eq("scheduled"))
        .order(hearings::id.desc())
        .select(HearingRow::as_select())
        .first(conn)
        .optional()
}

#[derive(Deserialize)]
pub struct PlanForm {
    date: String,
    time: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    video_link: String,
}

fn is_secretariat(actor: &Actor, parties: &CaseParties) -> bool {
    policy::relation(actor, parties) == Relation::Secretariat
}

/// Sends the invitation (or cancellation) with its calendar file to the parties and the panel.
fn send_invitation(
    conn: &mut DbConnection,
    state: &AppState,
    case: &CaseRow,
    parties: &CaseParties,
    hearing: &HearingRow,
    key: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let language = Language::from_code(&case.language).unwrap_or_default();
    let panel = crate::rulings::store::panel_names(conn, case.id)?;
    let local = utc_to_local(hearing.starts_at);
    let place = if hearing.video_link.is_empty() {
        hearing.location.clone()
    } else if hearing.location.is_empty() {
        hearing.video_link.clone()
    } else {
        format!("{} / {}", hearing.location, hearing.video_link)
    };
    let summary = format!("{} {}", i18n::translate(language, "hearing-title"), case.reference);
    let description = format!(
        "{}: {}\n{}",
        i18n::translate(language, "hearing-panel"),
        panel.join(", "),
        state.link(&format!("/zaken/{}", case.id))
    );
    let domain = state
        .settings
        .mail_from
        .rsplit('@')
        .next()
        .unwrap_or("geschillenportaal")
        .trim_end_matches('>');
    let calendar = ics(&Invitation {
        uid: &format!("hearing-{}@{}", hearing.id, domain),
        sequence: u32::try_from(hearing.sequence).unwrap_or(0),
        starts_at_utc: hearing.starts_at,
        summary: &summary,
        description: &description,
        location: &place,
        url: &state.link(&format!("/zaken/{}", case.id)),
        stamp_utc: now,
        cancelled: hearing.status == "cancelled",
    });
    notices::send(
        conn,
        &state.emails,
        state.settings.base_url(),
        case,
        parties,
        Notice {
            key,
            args: vec![
                ("when", local.format("%d-%m-%Y %H:%M").to_string()),
                ("place", place.clone()),
                ("panel", panel.join(", ")),
            ],
            audience: Audience::Everyone,
            except: None,
            attachment: Some(Attachment::new(
                "zitting.ics",
                "text/calendar; charset=utf-8; method=PUBLISH",
                calendar.as_bytes(),
            )),
        },
        now,
    )?;
    Ok(())
}

/// The start (UTC), place and video link of a hearing form, or the field and message of its first
/// problem.
fn check_plan(
    form: &PlanForm,
    now: NaiveDateTime,
) -> Result<(NaiveDateTime, String, String), (&'static str, &'static str)> {
    let local = parse_local(&form.date, &form.time).ok_or(("date", "hearing-error-when"))?;
    let location = form.location.trim().chars().take(500).collect::<String>();
    let video_link = form.video_link.trim().to_owned();
    if location.is_empty() && video_link.is_empty() {
        return Err(("location", "hearing-error-place"));
    }
    if !(video_link.is_empty() || (video_link.starts_with("https://") && video_link.len() <= 500)) {
        return Err(("video_link", "hearing-error-video"));
    }
    let starts_at = local_to_utc(local);
    if starts_at <= now {
        return Err(("date", "hearing-error-past"));
    }
    Ok((starts_at, location, video_link))
}

/// Plans the hearing, or moves the planned one (a new notice with the same calendar event).
#[post("/zaken/{id}/zitting")]
async fn plan(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(form): CsrfForm<PlanForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let case_id = path.into_inner();
    let (case, parties) = load_case(&state, actor, case_id).await?;
    policy::ensure(is_secretariat(&actor, &parties))?;
    let now = Utc::now().naive_utc();
    let (starts_at, location, video_link) = match check_plan(&form, now) {
        Ok(plan) => plan,
        Err(problem) => {
            let moving = state
                .db
                .run(move |conn| Ok::<_, AppError>(current(conn, case_id)?))
                .await?
                .is_some();
            let values = json!({
                "date": form.date, "time": form.time, "location": form.location,
                "video_link": form.video_link, "moving": moving,
            });
            return outcome_pages::retry(&page, &case, "hearing", problem, values);
        }
    };
    state
        .db
        .run({
            let state = state.clone();
            move |conn| {
                crate::db::write_transaction(conn, |conn| -> Result<(), AppError> {
                    let (hearing, key) = match current(conn, case.id)? {
                        Some(existing) => {
                            diesel::update(hearings::table.find(existing.id))
                                .set((
                                    hearings::starts_at.eq(starts_at),
                                    hearings::location.eq(&location),
                                    hearings::video_link.eq(&video_link),
                                    hearings::sequence.eq(existing.sequence + 1),
                                    hearings::updated_at.eq(now),
                                ))
                                .execute(conn)?;
                            notices::record_event(
                                conn,
                                &case,
                                Some(actor.user_id),
                                "secretariat",
                                "hearing_moved",
                                json!({ "hearing_id": existing.id, "starts_at": starts_at }),
                                now,
                            )?;
                            (existing.id, "notice-hearing-moved")
                        }
                        None => {
                            if case.state != CaseState::HearingScheduled.as_str() {
                                transition::apply(
                                    conn,
                                    &state.emails,
                                    state.settings.base_url(),
                                    Request {
                                        case_id: case.id,
                                        change: Change::Act(Action::ScheduleHearing),
                                        by: By::User(&actor),
                                        expected_version: Some(case.version),
                                        note: None,
                                        detail: json!({ "starts_at": starts_at }),
                                    },
                                    now,
                                )?;
                            }
                            let id: i64 = diesel::insert_into(hearings::table)
                                .values((
                                    hearings::case_id.eq(case.id),
                                    hearings::starts_at.eq(starts_at),
                                    hearings::location.eq(&location),
                                    hearings::video_link.eq(&video_link),
                                    hearings::status.eq("scheduled"),
                                    hearings::created_at.eq(now),
                                    hearings::updated_at.eq(now),
                                ))
                                .returning(hearings::id)
                                .get_result(conn)?;
                            (id, "notice-hearing-planned")
                        }
                    };
                    let row = hearings::table
                        .find(hearing)
                        .select(HearingRow::as_select())
                        .first(conn)?;
                    send_invitation(conn, &state, &case, &parties, &row, key, now)
                })
            }
        })
        .await?;
    Ok(see_other(&format!(
        "/zaken/{case_id}?notice=notice-action-done#zitting"
    )))
}

#[derive(Deserialize)]
pub struct Empty {}

#[post("/zaken/{id}/zitting/annuleren")]
async fn cancel(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let case_id = path.into_inner();
    let (case, parties) = load_case(&state, actor, case_id).await?;
    policy::ensure(is_secretariat(&actor, &parties))?;
    let now = Utc::now().naive_utc();
    state
        .db
        .run({
            let state = state.clone();
            move |conn| {
                crate::db::write_transaction(conn, |conn| -> Result<(), AppError> {
                    let existing =
                        current(conn, case.id)?.ok_or_else(|| AppError::Conflict("no hearing is planned".into()))?;
                    let changed = diesel::update(
                        hearings::table
                            .find(existing.id)
                            .filter(hearings::status.eq("scheduled")),
                    )
                    .set((
                        hearings::status.eq("cancelled"),
                        hearings::sequence.eq(existing.sequence + 1),
                        hearings::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                    if changed != 1 {
                        return Err(AppError::Conflict("the hearing was cancelled already".into()));
                    }
                    notices::record_event(
                        conn,
                        &case,
                        Some(actor.user_id),
                        "secretariat",
                        "hearing_cancelled",
                        json!({ "hearing_id": existing.id }),
                        now,
                    )?;
                    let row = hearings::table
                        .find(existing.id)
                        .select(HearingRow::as_select())
                        .first(conn)?;
                    send_invitation(conn, &state, &case, &parties, &row, "notice-hearing-cancelled", now)
                })
            }
        })
        .await?;
    Ok(see_other(&format!(
        "/zaken/{case_id}?notice=notice-action-done#zitting"
    )))
}

/// The panel or secretariat adds the expert's report; both parties may react within the
/// scheme's reaction term (a message in the thread with that term, which notifies everyone).
#[post("/zaken/{id}/deskundige")]
async fn expert_report(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let state = page.data();
    let case_id = path.into_inner();
    let (case, parties) = load_case(&state, actor, case_id).await?;
    policy::ensure(matches!(
        policy::relation(&actor, &parties),
        Relation::Mediator | Relation::Secretariat
    ))?;
    let upload = outcome_pages::read_upload(&page, &state, payload).await?;
    if case.state != CaseState::ExpertInvestigation.as_str() {
        return Err(AppError::Conflict("there is no expert investigation running".into()));
    }
    let now = Utc::now().naive_utc();
    let storage = state.settings.storage_dir();
    let max = state.settings.upload_max_bytes;
    state
        .db
        .run({
            let state = state.clone();
            move |conn| {
                let stored = outcome_pages::store_file(&storage, &upload, max)?;
                crate::db::write_transaction(conn, |conn| -> Result<(), AppError> {
                    outcome_pages::insert_document(conn, case.id, &actor, "expert_report", &stored, now)?;
                    let rules = transition::rules_of(conn, &case)?.rules;
                    let due = rules.reaction_term.add_to(now.date());
                    let language = Language::from_code(&case.language).unwrap_or_default();
                    let body = i18n::translate(language, "expert-report-added");
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
                            reply_due_on: Some(due),
                        },
                        now,
                    )
                    .map_err(|e| AppError::internal(e.to_string()))?;
                    Ok(())
                })
            }
        })
        .await?;
    Ok(see_other(&format!(
        "/zaken/{case_id}?notice=notice-document-added#documenten"
    )))
}
