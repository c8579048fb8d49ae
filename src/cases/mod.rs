//! Cases: the state machine (`lifecycle`, pure), mediator assignment (`assignment`,
//! pure) and the queries that read and write cases.

pub mod api;
pub mod assignment;
pub mod assignments;
pub mod deadlines;
pub mod extensions;
pub mod handlers;
pub mod lifecycle;
pub mod moderation;
pub mod page_lists;
pub mod queries;
pub mod service;
pub mod thread;
pub mod transition;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};

use crate::db::DbConnection;
use crate::db::schema::{case_events, cases};

/// The next human-readable reference for a scheme and year, e.g. `TEL-2026-000123`.
/// One statement on both backends (SQLite ≥ 3.35 and PostgreSQL share this upsert), so
/// concurrent filings never get the same number.
pub fn next_reference(conn: &mut DbConnection, scheme_id: i64, prefix: &str, year: i32) -> QueryResult<String> {
    #[derive(QueryableByName)]
    struct Counter {
        #[diesel(sql_type = BigInt)]
        last_number: i64,
    }
    const UPSERT: &str = "INSERT INTO case_reference_counters (scheme_id, year, last_number) VALUES ($1, $2, 1) \
         ON CONFLICT (scheme_id, year) DO UPDATE SET last_number = case_reference_counters.last_number + 1 \
         RETURNING last_number";
    let counter: Counter = match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(UPSERT)
            .bind::<BigInt, _>(scheme_id)
            .bind::<Integer, _>(year)
            .get_result(pg)?,
        DbConnection::Sqlite(lite) => diesel::sql_query(UPSERT)
            .bind::<BigInt, _>(scheme_id)
            .bind::<Integer, _>(year)
            .get_result(lite)?,
    };
    Ok(format_reference(prefix, year, counter.last_number))
}

pub fn format_reference(prefix: &str, year: i32, number: i64) -> String {
    format!("{prefix}-{year}-{number:06}")
}

/// A case taken over from elsewhere (a previous system, or the demo data) in the state
/// it has there. This is the one place besides the transition function that sets a
/// case's state, and it records an `imported` event in the same transaction.
pub struct ImportedCase<'a> {
    pub scheme_id: i64,
    pub reference_prefix: &'a str,
    pub rules_id: i64,
    pub consumer_id: i64,
    pub provider_id: i64,
    pub category: &'a str,
    pub language: &'a str,
    pub state: &'a str,
    pub state_due_on: Option<NaiveDate>,
    pub contract_date: Option<NaiveDate>,
    pub written_complaint_date: NaiveDate,
    pub written_complaint_channel: &'a str,
    pub claim_cents: Option<i64>,
    pub desired_outcome: &'a str,
    pub description: &'a str,
    pub fee_cents: i64,
    pub fee_status: &'a str,
    pub complete_on: Option<NaiveDate>,
    pub outcome_due_on: Option<NaiveDate>,
    pub submitted_at: NaiveDateTime,
}

pub fn import_case(
    conn: &mut DbConnection,
    case: ImportedCase<'_>,
    actor_id: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<(i64, String)> {
    crate::db::write_transaction(conn, |conn| {
        let reference = next_reference(conn, case.scheme_id, case.reference_prefix, case.submitted_at.year())?;
        let id: i64 = diesel::insert_into(cases::table)
            .values((
                cases::reference.eq(&reference),
                cases::scheme_id.eq(case.scheme_id),
                cases::rules_id.eq(case.rules_id),
                cases::consumer_id.eq(case.consumer_id),
                cases::provider_id.eq(case.provider_id),
                cases::category.eq(case.category),
                cases::language.eq(case.language),
                cases::state.eq(case.state),
                cases::state_entered_at.eq(now),
                cases::state_due_on.eq(case.state_due_on),
                cases::contract_date.eq(case.contract_date),
                cases::written_complaint_date.eq(case.written_complaint_date),
                cases::written_complaint_channel.eq(case.written_complaint_channel),
                cases::claim_cents.eq(case.claim_cents),
                cases::desired_outcome.eq(case.desired_outcome),
                cases::description.eq(case.description),
                cases::fee_cents.eq(case.fee_cents),
                cases::fee_status.eq(case.fee_status),
                cases::complete_on.eq(case.complete_on),
                cases::outcome_due_on.eq(case.outcome_due_on),
                cases::submitted_at.eq(case.submitted_at),
                cases::updated_at.eq(now),
            ))
            .returning(cases::id)
            .get_result(conn)?;
        diesel::insert_into(case_events::table)
            .values((
                case_events::case_id.eq(id),
                case_events::at.eq(now),
                case_events::actor_id.eq(actor_id),
                case_events::actor_role.eq("system"),
                case_events::kind.eq("imported"),
                case_events::to_state.eq(case.state),
            ))
            .execute(conn)?;
        crate::statistics::aggregates::mark(conn, id, now)?;
        Ok((id, reference))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn references_are_zero_padded_per_scheme_and_year() {
        assert_eq!(super::format_reference("TEL", 2026, 123), "TEL-2026-000123");
    }
}
