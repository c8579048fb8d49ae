//! The audit log of changes outside a case (registry, schemes, users): who changed what,
//! when. Changes to a case are case events, written by the case transition instead.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;

use crate::db::DbConnection;
use crate::db::schema::audit_log;

/// Records one change; call it inside the transaction that makes the change.
pub fn record(
    conn: &mut DbConnection,
    actor_id: Option<i64>,
    entity: &str,
    entity_id: i64,
    action: &str,
    detail: Value,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::at.eq(now),
            audit_log::actor_id.eq(actor_id),
            audit_log::entity.eq(entity),
            audit_log::entity_id.eq(entity_id),
            audit_log::action.eq(action),
            audit_log::detail.eq(detail.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}
