//! Retention: a closed case is anonymised a configured number of days after it closed.
//! Its free text (description, desired outcome, private note, messages, notes in events,
//! offer terms, compliance notes, rating comments, the ruling's text) loses the personal
//! data the case knows and the common patterns (`publication::anonymise`), document files
//! are deleted (their rows stay, without a name), and the figures the statistics and the
//! yearly report need (dates, states, amounts, categories, events) stay. An audit row
//! records each case done.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::db::DbConnection;
use crate::db::schema::{case_events, cases, compliance_reports, documents, messages, offers, ratings, rulings};
use crate::publication::{self, anonymise};

/// Cases handled per run, so one run never holds the database long.
const BATCH: i64 = 50;
pub const REMOVED_FILE_NAME: &str = "verwijderd";

/// The cases whose retention period ended by `now`.
pub fn due(conn: &mut DbConnection, days: i64, now: NaiveDateTime) -> QueryResult<Vec<i64>> {
    let cutoff = now - TimeDelta::days(days);
    cases::table
        .filter(cases::closed_at.le(cutoff))
        .filter(cases::anonymised_at.is_null())
        .order(cases::id)
        .limit(BATCH)
        .select(cases::id)
        .load(conn)
}

/// Anonymises the due cases; `days == 0` switches retention off. Returns how many were
/// done and the storage keys of their documents, whose files the caller deletes after the
/// commit (see [`run`]).
pub fn anonymise_due(conn: &mut DbConnection, days: i64, now: NaiveDateTime) -> QueryResult<(usize, Vec<String>)> {
    if days <= 0 {
        return Ok((0, Vec::new()));
    }
    let mut keys = Vec::new();
    let ids = due(conn, days, now)?;
    for case_id in &ids {
        keys.extend(anonymise_case(conn, *case_id, days, now)?);
    }
    Ok((ids.len(), keys))
}

/// The worker's entry: anonymise due cases and delete their files under `storage_dir`.
pub fn run(conn: &mut DbConnection, days: i64, now: NaiveDateTime) -> QueryResult<usize> {
    run_with_storage(conn, days, now, None)
}

pub fn run_with_storage(
    conn: &mut DbConnection,
    days: i64,
    now: NaiveDateTime,
    storage_dir: Option<&std::path::Path>,
) -> QueryResult<usize> {
    let (count, keys) = anonymise_due(conn, days, now)?;
    if let Some(dir) = storage_dir {
        for key in keys {
            if let Some(path) = crate::documents::path_for(dir, &key)
                && let Err(error) = std::fs::remove_file(&path)
                && error.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(%error, "cannot delete a document file after retention");
            }
        }
    }
    Ok(count)
}

fn clean(text: &str, known: &anonymise::KnownPersonalData) -> String {
    anonymise::anonymise(text, known)
}

/// One case, in one transaction.
pub fn anonymise_case(
    conn: &mut DbConnection,
    case_id: i64,
    days: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<String>> {
    crate::db::write_transaction(conn, |conn| {
        let known = publication::known_personal_data(conn, case_id)?;
        let (description, desired): (String, String) = cases::table
            .find(case_id)
            .select((cases::description, cases::desired_outcome))
            .first(conn)?;
        diesel::update(cases::table.find(case_id))
            .set((
                cases::description.eq(clean(&description, &known)),
                cases::desired_outcome.eq(clean(&desired, &known)),
                cases::private_note.eq(""),
                cases::anonymised_at.eq(Some(now)),
            ))
            .execute(conn)?;
        let bodies: Vec<(i64, String)> = messages::table
            .filter(messages::case_id.eq(case_id))
            .select((messages::id, messages::body))
            .load(conn)?;
        for (id, body) in bodies {
            diesel::update(messages::table.find(id))
                .set(messages::body.eq(clean(&body, &known)))
                .execute(conn)?;
        }
        let events: Vec<(i64, String)> = case_events::table
            .filter(case_events::case_id.eq(case_id))
            .select((case_events::id, case_events::detail))
            .load(conn)?;
        for (id, detail) in events {
            if let Ok(Value::Object(mut map)) = serde_json::from_str::<Value>(&detail) {
                let before = map.clone();
                map.remove("personal");
                if let Some(Value::String(note)) = map.get("note") {
                    let cleaned = clean(note, &known);
                    map.insert("note".into(), json!(cleaned));
                }
                if map != before {
                    diesel::update(case_events::table.find(id))
                        .set(case_events::detail.eq(Value::Object(map).to_string()))
                        .execute(conn)?;
                }
            }
        }
        let offer_texts: Vec<(i64, String, String, String)> = offers::table
            .filter(offers::case_id.eq(case_id))
            .select((offers::id, offers::terms, offers::actions, offers::response_reason))
            .load(conn)?;
        for (id, terms, actions, reason) in offer_texts {
            diesel::update(offers::table.find(id))
                .set((
                    offers::terms.eq(clean(&terms, &known)),
                    offers::actions.eq(clean(&actions, &known)),
                    offers::response_reason.eq(clean(&reason, &known)),
                ))
                .execute(conn)?;
        }
        let ruling_texts: Vec<(i64, String, String)> = rulings::table
            .filter(rulings::case_id.eq(case_id))
            .select((rulings::id, rulings::reasoning, rulings::summary))
            .load(conn)?;
        for (id, reasoning, summary) in ruling_texts {
            diesel::update(rulings::table.find(id))
                .set((
                    rulings::reasoning.eq(clean(&reasoning, &known)),
                    rulings::summary.eq(clean(&summary, &known)),
                ))
                .execute(conn)?;
        }
        let notes: Vec<(i64, String)> = compliance_reports::table
            .filter(compliance_reports::case_id.eq(case_id))
            .select((compliance_reports::id, compliance_reports::note))
            .load(conn)?;
        for (id, note) in notes {
            diesel::update(compliance_reports::table.find(id))
                .set(compliance_reports::note.eq(clean(&note, &known)))
                .execute(conn)?;
        }
        let comments: Vec<(i64, String)> = ratings::table
            .filter(ratings::case_id.eq(case_id))
            .select((ratings::id, ratings::comment))
            .load(conn)?;
        for (id, comment) in comments {
            diesel::update(ratings::table.find(id))
                .set(ratings::comment.eq(clean(&comment, &known)))
                .execute(conn)?;
        }
        let keys: Vec<String> = documents::table
            .filter(documents::case_id.eq(case_id))
            .filter(documents::file_name.ne(REMOVED_FILE_NAME))
            .select(documents::storage_key)
            .load(conn)?;
        diesel::update(documents::table.filter(documents::case_id.eq(case_id)))
            .set(documents::file_name.eq(REMOVED_FILE_NAME))
            .execute(conn)?;
        crate::audit::record(
            conn,
            None,
            "case",
            case_id,
            "anonymised",
            json!({ "reason": "retention", "days_after_closing": days, "documents_removed": keys.len() }),
            now,
        )?;
        Ok(keys)
    })
}
