//! Deadlines, run by the background worker: reminders a week and two days before a
//! party's deadline, and the rule's default step once it has passed (no defence: the
//! case goes on without one). Safe with several workers: each step is a versioned
//! transition, and each reminder a job with its own de-duplication key.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde_json::json;

use super::lifecycle::{self, CaseState};
use super::transition::{By, Change, Request, TransitionFailure};
use crate::accounts::Role;
use crate::db::DbConnection;
use crate::db::schema::{cases, users};
use crate::i18n::{self, Language};
use crate::jobs;
use crate::mail::templates::EmailTemplates;

/// States whose deadline a party must meet (and whose expiry the worker handles).
pub const WAITING_STATES: [CaseState; 5] = [
    CaseState::InformationRequested,
    CaseState::AwaitingFee,
    CaseState::AwaitingDefence,
    CaseState::AwaitingReply,
    CaseState::InCompliance,
];

/// Which party must act before the deadline of `state`.
pub fn acting_party(state: CaseState) -> Option<Role> {
    match state {
        CaseState::InformationRequested | CaseState::AwaitingFee | CaseState::AwaitingReply => Some(Role::Consumer),
        CaseState::AwaitingDefence | CaseState::InCompliance => Some(Role::ProviderStaff),
        _ => None,
    }
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub expired: usize,
    pub reminders: usize,
}

const BATCH: i64 = 200;

pub fn run(
    conn: &mut DbConnection,
    emails: &EmailTemplates,
    base_url: &str,
    now: NaiveDateTime,
) -> Result<Report, TransitionFailure> {
    let today = now.date();
    let states: Vec<&str> = WAITING_STATES.iter().map(|s| s.as_str()).collect();
    let mut report = Report::default();

    let expired: Vec<(i64, i32, String, NaiveDate)> = cases::table
        .filter(cases::state.eq_any(&states))
        .filter(cases::state_due_on.lt(today))
        .select((
            cases::id,
            cases::version,
            cases::state,
            cases::state_due_on.assume_not_null(),
        ))
        .order(cases::state_due_on)
        .limit(BATCH)
        .load(conn)?;
    for (case_id, version, state, due) in expired {
        let Some(action) = state.parse::<CaseState>().ok().and_then(lifecycle::expiry_action) else {
            continue;
        };
        if !lifecycle::is_expired(due, today) {
            continue;
        }
        let request = Request {
            case_id,
            change: Change::Act(action),
            by: By::System,
            expected_version: Some(version),
            note: None,
            detail: json!({ "deadline": due }),
        };
        // The compliance module opens the guarantee claim when the compliance term expires.
        match crate::compliance::store::apply_expiry(conn, emails, base_url, request, now) {
            Ok(_) => report.expired += 1,
            // Another worker got there first, or a person acted meanwhile: nothing to do.
            Err(TransitionFailure::Stale | TransitionFailure::NotAllowed(_)) => {}
            Err(other) => return Err(other),
        }
    }

    let remind_on: Vec<NaiveDate> = [7, 2]
        .iter()
        .map(|days| today + chrono::TimeDelta::days(*days))
        .collect();
    let upcoming: Vec<(i64, String, String, NaiveDate, NaiveDateTime, i64, i64)> = cases::table
        .filter(cases::state.eq_any(&states))
        .filter(cases::state_due_on.eq_any(&remind_on))
        .select((
            cases::id,
            cases::reference,
            cases::state,
            cases::state_due_on.assume_not_null(),
            cases::state_entered_at,
            cases::consumer_id,
            cases::provider_id,
        ))
        .limit(BATCH * 5)
        .load(conn)?;
    for (case_id, reference, state, due, entered, consumer_id, provider_id) in upcoming {
        let Ok(state) = state.parse::<CaseState>() else {
            continue;
        };
        let Some(party) = acting_party(state) else { continue };
        let recipients: Vec<(i64, String, String, String)> = match party {
            Role::Consumer => users::table.filter(users::id.eq(consumer_id)).into_boxed(),
            _ => users::table
                .filter(users::provider_id.eq(provider_id))
                .filter(users::role.eq(Role::ProviderStaff.as_str()))
                .into_boxed(),
        }
        .filter(users::deactivated_at.is_null())
        .filter(users::email_confirmed_at.is_not_null())
        .select((users::id, users::email, users::display_name, users::language))
        .load(conn)?;
        let days_left = (due - today).num_days();
        for (user_id, email, name, language) in recipients {
            let language = Language::from_code(&language).unwrap_or_default();
            let mail = emails.render(
                "deadline_reminder",
                language,
                &email,
                json!({
                    "name": name,
                    "reference": reference,
                    "what": i18n::translate(language, &format!("state-{}", state.as_str())),
                    "due": due.format("%d-%m-%Y").to_string(),
                    "days": days_left,
                    "link": format!("{base_url}/zaken/{case_id}"),
                }),
            )?;
            // One reminder per deadline, party member and day, however often this runs.
            let key = format!(
                "reminder:{case_id}:{}:{due}:{days_left}:{user_id}",
                entered.and_utc().timestamp()
            );
            jobs::enqueue(conn, jobs::SEND_EMAIL, &mail, now, Some(&key), now)?;
            report.reminders += 1;
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_waiting_state_has_a_party_and_an_expiry_step() {
        for state in WAITING_STATES {
            assert!(acting_party(state).is_some(), "{state:?}");
            assert!(lifecycle::expiry_action(state).is_some(), "{state:?}");
        }
        assert_eq!(acting_party(CaseState::Mediation), None);
    }
}
