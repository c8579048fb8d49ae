//! The register's search answers, kept per node under the register's revision.
//!
//! A search with a common word ranks the newest 2,000 of its matches (a few milliseconds of a core),
//! and the public asks the same few words again and again, so a node keeps its answers. Each search
//! first reads the register's revision (one row, `register_revision`, which triggers on the rulings,
//! the providers' names and the schemes' names increase: migration 000014), and answers are kept
//! under the revision they were read at. A ruling published, withdrawn or edited on any node
//! therefore shows on every node with the next search: no time-to-live, nothing to invalidate.
//! Reading the revision before the search keeps that true under concurrent changes: an answer read
//! after a change committed is at least as new as the revision it is kept under.

use std::sync::Arc;

use diesel::prelude::*;
use quick_cache::sync::Cache;

use super::search::Search;
use super::{RegisterPage, search_register};
use crate::db::DbConnection;
use crate::db::schema::register_revision;

/// How many answers a node keeps: a page is 20 rulings with their summaries, ~15 KB, so ~4 MB. The
/// cache's eviction keeps the often-asked answers when many different ones pass through once.
const ANSWERS_KEPT: usize = 256;

/// The register's current revision.
pub fn revision(conn: &mut DbConnection) -> QueryResult<i64> {
    register_revision::table
        .find(1_i64)
        .select(register_revision::revision)
        .first(conn)
}

/// The answers of one node, by revision and search.
pub struct RegisterCache(Cache<(i64, Search), Arc<RegisterPage>>);

impl Default for RegisterCache {
    fn default() -> Self {
        Self(Cache::new(ANSWERS_KEPT))
    }
}

impl RegisterCache {
    /// [`search_register`], answered from the node's answers when the register has not changed
    /// since. Concurrent searches for the same answer wait for one computation.
    pub fn search(&self, conn: &mut DbConnection, search: &Search) -> QueryResult<Arc<RegisterPage>> {
        let key = (revision(conn)?, search.clone());
        self.0
            .get_or_insert_with(&key, || search_register(conn, search).map(Arc::new))
    }
}
