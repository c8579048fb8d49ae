//! The durable job table: side effects (e-mail, reminders, deadline steps) are written
//! here in the same transaction as the change that causes them, and a worker carries
//! them out. A claimed job carries a lease: if its worker dies, the lease runs out and
//! another worker takes it, so nothing is lost. Success deletes the job; failure
//! schedules a retry with exponential back-off.

pub mod worker;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};
use serde::{Deserialize, Serialize};

use crate::db::DbConnection;
use crate::db::schema::{job_keys, jobs};

pub const SEND_EMAIL: &str = "send_email";

/// How long a worker may hold a job before others may take it over. Longer than any
/// job's own time-outs (SMTP: 30 s), so a live worker never loses its job.
pub const LEASE: TimeDelta = TimeDelta::minutes(5);

/// An e-mail ready to send; rendered in the recipient's language when enqueued.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct OutgoingEmail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Files sent along (e.g. a hearing's calendar file); absent in older payloads.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
}

/// A file attached to an e-mail; the content is kept base64-encoded in the job's JSON.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    pub content_base64: String,
}

impl Attachment {
    pub fn new(file_name: &str, content_type: &str, content: &[u8]) -> Self {
        use base64::Engine;
        Self {
            file_name: file_name.to_owned(),
            content_type: content_type.to_owned(),
            content_base64: base64::engine::general_purpose::STANDARD.encode(content),
        }
    }

    pub fn content(&self) -> Result<Vec<u8>, base64::DecodeError> {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.decode(&self.content_base64)
    }
}

#[derive(Debug, QueryableByName)]
pub struct ClaimedJob {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub payload: String,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
}

/// Adds a job. With a `dedup_key`, a second job with the same key is silently not added, also
/// after the first has run and its row is gone (a reminder for one deadline is sent once, however
/// often it is scheduled): the key is kept in `job_keys`.
pub fn enqueue(
    conn: &mut DbConnection,
    kind: &str,
    payload: &impl Serialize,
    run_at: NaiveDateTime,
    dedup_key: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let payload = serde_json::to_string(payload).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let row = (
        jobs::kind.eq(kind),
        jobs::payload.eq(&payload),
        jobs::dedup_key.eq(dedup_key),
        jobs::run_at.eq(run_at),
        jobs::created_at.eq(now),
    );
    if let Some(key) = dedup_key {
        let kept = (job_keys::key.eq(key), job_keys::created_at.eq(now));
        // ON CONFLICT is not part of diesel's common backend, so these are among the few per-backend statements.
        let new_key = match conn {
            DbConnection::Postgres(pg) => diesel::insert_into(job_keys::table)
                .values(kept)
                .on_conflict_do_nothing()
                .execute(pg)?,
            DbConnection::Sqlite(lite) => diesel::insert_into(job_keys::table)
                .values(kept)
                .on_conflict_do_nothing()
                .execute(lite)?,
        };
        if new_key == 0 {
            return Ok(());
        }
    }
    match conn {
        DbConnection::Postgres(pg) => diesel::insert_into(jobs::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(pg)?,
        DbConnection::Sqlite(lite) => diesel::insert_into(jobs::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(lite)?,
    };
    Ok(())
}

pub fn enqueue_email(conn: &mut DbConnection, email: &OutgoingEmail, now: NaiveDateTime) -> QueryResult<()> {
    enqueue(conn, SEND_EMAIL, email, now, None, now)
}

/// Adds one e-mail job per message in one statement (a transaction that notifies several people
/// makes one round trip for all of them).
pub fn enqueue_emails(conn: &mut DbConnection, emails: &[OutgoingEmail], now: NaiveDateTime) -> QueryResult<()> {
    let payloads = emails
        .iter()
        .map(serde_json::to_string)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    let rows: Vec<_> = payloads
        .iter()
        .map(|payload| {
            (
                jobs::kind.eq(SEND_EMAIL),
                jobs::payload.eq(payload),
                jobs::run_at.eq(now),
                jobs::created_at.eq(now),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    // Multi-row inserts are not part of diesel's common backend.
    match conn {
        DbConnection::Postgres(pg) => diesel::insert_into(jobs::table).values(&rows).execute(pg)?,
        DbConnection::Sqlite(lite) => diesel::insert_into(jobs::table).values(&rows).execute(lite)?,
    };
    Ok(())
}

/// Takes the next due job for `worker_id`, or none. On PostgreSQL `SKIP LOCKED` lets
/// several nodes claim side by side; SQLite serialises writers itself.
pub fn claim_next(conn: &mut DbConnection, worker_id: &str, now: NaiveDateTime) -> QueryResult<Option<ClaimedJob>> {
    let lease_until = now + LEASE;
    let claimed = match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(
            "UPDATE jobs SET locked_until = $1, locked_by = $2, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM jobs WHERE run_at <= $3 AND (locked_until IS NULL OR locked_until < $3) \
                         ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) \
             RETURNING id, kind, payload, attempts",
        )
        .bind::<Timestamp, _>(lease_until)
        .bind::<Text, _>(worker_id)
        .bind::<Timestamp, _>(now)
        .get_results::<ClaimedJob>(pg)?,
        DbConnection::Sqlite(lite) => diesel::sql_query(
            "UPDATE jobs SET locked_until = ?, locked_by = ?, attempts = attempts + 1 \
             WHERE id = (SELECT id FROM jobs WHERE run_at <= ? AND (locked_until IS NULL OR locked_until < ?) \
                         ORDER BY run_at, id LIMIT 1) \
             RETURNING id, kind, payload, attempts",
        )
        .bind::<Timestamp, _>(lease_until)
        .bind::<Text, _>(worker_id)
        .bind::<Timestamp, _>(now)
        .bind::<Timestamp, _>(now)
        .get_results::<ClaimedJob>(lite)?,
    };
    Ok(claimed.into_iter().next())
}

/// Done: the job is deleted, but only by the worker that still holds it.
pub fn finish(conn: &mut DbConnection, id: i64, worker_id: &str) -> QueryResult<()> {
    diesel::delete(jobs::table.find(id).filter(jobs::locked_by.eq(worker_id))).execute(conn)?;
    Ok(())
}

/// Failed: release the job and try again after the back-off for its attempt count.
pub fn retry_later(
    conn: &mut DbConnection,
    id: i64,
    worker_id: &str,
    attempts: i32,
    error: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(jobs::table.find(id).filter(jobs::locked_by.eq(worker_id)))
        .set((
            jobs::run_at.eq(now + backoff(attempts)),
            jobs::locked_until.eq(None::<NaiveDateTime>),
            jobs::locked_by.eq(None::<String>),
            jobs::last_error.eq(error.chars().take(2000).collect::<String>()),
        ))
        .execute(conn)?;
    Ok(())
}

/// 10 s, 20 s, 40 s … doubling, capped at one hour: a mail server that is down for a
/// day is retried hourly, and its mail goes out within the hour after it is back.
pub fn backoff(attempts: i32) -> TimeDelta {
    let exponent = attempts.clamp(1, 20) - 1;
    TimeDelta::seconds((10i64 << exponent).min(3600))
}

pub fn queue_depth(conn: &mut DbConnection) -> QueryResult<i64> {
    jobs::table.count().get_result(conn)
}

/// How long the key of a de-duplicated job is kept: longer than any deadline it can concern is ahead.
pub const KEY_RETENTION: TimeDelta = TimeDelta::days(400);

/// Forgets de-duplication keys older than `KEY_RETENTION`.
pub fn purge_keys(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(job_keys::table.filter(job_keys::created_at.lt(now - KEY_RETENTION))).execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_and_is_capped_at_an_hour() {
        assert_eq!(backoff(1), TimeDelta::seconds(10));
        assert_eq!(backoff(2), TimeDelta::seconds(20));
        assert_eq!(backoff(5), TimeDelta::seconds(160));
        assert_eq!(backoff(9), TimeDelta::seconds(2560));
        assert_eq!(backoff(10), TimeDelta::hours(1));
        assert_eq!(backoff(1000), TimeDelta::hours(1));
        assert_eq!(backoff(0), TimeDelta::seconds(10));
    }
}
