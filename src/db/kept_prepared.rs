//! Raw SQL that SQLite's connections keep prepared.
//!
//! diesel keeps the statements of its query builder prepared per connection, but never those of
//! `sql_query`, whose text could be anything. The register's search runs raw statements whose text
//! is one of a few (every value is bound), and on SQLite preparing them again for every search was
//! 4% of the CPU of a search never asked before (docs/PERFORMANCE.md item 30). Only for SQLite: a
//! statement PostgreSQL keeps prepared may change to one generic plan, and the search's best plan
//! depends on the word searched.

use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl};

/// `query`, raw SQL whose text is one of a fixed few, kept in the connection's statement cache
/// (keyed by its text and its values' types).
pub struct KeptPrepared<Q>(pub Q);

impl<Q: QueryFragment<Sqlite>> QueryFragment<Sqlite> for KeptPrepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _backend: &Sqlite) -> QueryResult<bool> {
        Ok(true)
    }
}

/// No static id: the cache keys the statement by its SQL text.
impl<Q> QueryId for KeptPrepared<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for KeptPrepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, Conn> RunQueryDsl<Conn> for KeptPrepared<Q> {}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use diesel::connection::{Connection, InstrumentationEvent};
    use diesel::sql_types::Integer;
    use diesel::sqlite::SqliteConnection;

    use super::*;

    #[derive(diesel::QueryableByName, Debug, PartialEq)]
    struct Number {
        #[diesel(sql_type = Integer)]
        n: i32,
    }

    #[test]
    fn a_kept_statement_is_prepared_once_per_connection_and_a_plain_raw_one_every_time() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let cached = Arc::new(Mutex::new(Vec::<String>::new()));
        let seen = Arc::clone(&cached);
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::CacheQuery { sql, .. } = event {
                seen.lock().unwrap().push(sql.to_owned());
            }
        });
        for n in 0..3 {
            let rows: Vec<Number> = KeptPrepared(diesel::sql_query("SELECT ? AS n").bind::<Integer, _>(n))
                .load(&mut conn)
                .unwrap();
            // Each run has its own value, though the statement is the kept one.
            assert_eq!(rows, [Number { n }]);
        }
        assert_eq!(*cached.lock().unwrap(), ["SELECT ? AS n"]);
        for n in 0..3 {
            let rows: Vec<Number> = diesel::sql_query("SELECT ? + 1 AS n")
                .bind::<Integer, _>(n)
                .load(&mut conn)
                .unwrap();
            assert_eq!(rows, [Number { n: n + 1 }]);
        }
        assert_eq!(cached.lock().unwrap().len(), 1, "diesel keeps no plain sql_query");
    }
}
