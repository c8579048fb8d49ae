//! The schemes' codes and names, which the register's filter, the statistics page and the yearly
//! report list on every view. Schemes are only ever inserted, never changed or removed, so a list a
//! node has read stays true; it is read again each minute, and at once when a page asks for a code
//! that is not in it (a scheme added meanwhile, perhaps on another node).

use std::sync::Arc;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use quick_cache::sync::Cache;

use crate::db::DbConnection;
use crate::db::schema::schemes;

/// A scheme as the lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct SchemeName {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// Every scheme, by code.
pub fn load(conn: &mut DbConnection) -> QueryResult<Vec<SchemeName>> {
    schemes::table
        .order(schemes::code)
        .select((schemes::id, schemes::code, schemes::name))
        .load(conn)
}

/// The list per node, for the clock minute (the key), so a new scheme shows within a minute.
pub struct SchemeListCache(Cache<i64, Arc<Vec<SchemeName>>>);

impl Default for SchemeListCache {
    fn default() -> Self {
        // Only the current minute's list is looked up; a few keep the cache from evicting it.
        Self(Cache::new(4))
    }
}

fn minute(now: NaiveDateTime) -> i64 {
    now.and_utc().timestamp().div_euclid(60)
}

impl SchemeListCache {
    /// All schemes by code.
    pub fn all(&self, conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Arc<Vec<SchemeName>>> {
        self.0.get_or_insert_with(&minute(now), || load(conn).map(Arc::new))
    }

    /// All schemes by code, and the one with `code` if there is one (none for an empty code): a
    /// code missing from the kept list reads the list again, so a scheme added a moment ago is found.
    pub fn with_code(
        &self,
        conn: &mut DbConnection,
        code: &str,
        now: NaiveDateTime,
    ) -> QueryResult<(Arc<Vec<SchemeName>>, Option<SchemeName>)> {
        let find = |list: &[SchemeName]| list.iter().find(|s| s.code == code).cloned();
        let kept = self.all(conn, now)?;
        if code.is_empty() {
            return Ok((kept, None));
        }
        if let Some(found) = find(&kept) {
            return Ok((kept, Some(found)));
        }
        let fresh = Arc::new(load(conn)?);
        self.0.insert(minute(now), fresh.clone());
        let found = find(&fresh);
        Ok((fresh, found))
    }
}
