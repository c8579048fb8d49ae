//! The register's search answers, kept per node under the register's revision.
//!
//! A search with a common word ranks the newest 2,000 of its matches (a few milliseconds of a core),
//! and the public asks the same few words again and again, so a node keeps its answers: the pages
//! asked, and each word search's ranking, from which its other pages are cut with one look-up of 20
//! rulings by id (a visitor who pages through a search does not have it ranked again per page).
//!
//! Each search first reads the register's revision (one row, `register_revision`, which triggers on
//! the rulings, the providers' names and the schemes' names increase: migration 000014), and answers
//! are kept under the revision they were read at. A ruling published, withdrawn or edited on any
//! node therefore shows on every node with the next search: no time-to-live, nothing to invalidate.
//! Reading the revision before the search keeps that true under concurrent changes: an answer read
//! after a change committed is at least as new as the revision it is kept under.

use std::sync::Arc;

use diesel::prelude::*;
use quick_cache::sync::Cache;

use super::search::{RANKED_MATCHES, Search};
use super::{Ranking, RegisterPage, page_of_ranking, rank_matches, search_register};
use crate::db::DbConnection;
use crate::db::schema::register_revision;

/// How many pages a node keeps: a page is 20 rulings with their summaries, ~15 KB, so ~4 MB. The
/// cache's eviction keeps the often-asked answers when many different ones pass through once.
const ANSWERS_KEPT: usize = 256;
/// How many rankings a node keeps: at most 2,000 ids each, 16 KB, so ~2 MB.
const RANKINGS_KEPT: usize = 128;

/// The register's current revision.
pub fn revision(conn: &mut DbConnection) -> QueryResult<i64> {
    register_revision::table
        .find(1_i64)
        .select(register_revision::revision)
        .first(conn)
}

/// The answers of one node, by revision and search.
pub struct RegisterCache {
    pages: Cache<(i64, Search), Arc<RegisterPage>>,
    /// By revision and the search's first page ([`Search::first_page`]).
    rankings: Cache<(i64, Search), Arc<Ranking>>,
}

impl Default for RegisterCache {
    fn default() -> Self {
        Self {
            pages: Cache::new(ANSWERS_KEPT),
            rankings: Cache::new(RANKINGS_KEPT),
        }
    }
}

impl RegisterCache {
    /// [`search_register`], answered from the node's answers when the register has not changed
    /// since. Concurrent searches for the same answer wait for one computation.
    pub fn search(&self, conn: &mut DbConnection, search: &Search) -> QueryResult<Arc<RegisterPage>> {
        let revision = revision(conn)?;
        self.pages.get_or_insert_with(&(revision, search.clone()), || {
            if !search.is_ranked() {
                return search_register(conn, search).map(Arc::new);
            }
            let ranking = self.rankings.get_or_insert_with(&(revision, search.first_page()), || {
                rank_matches(conn, search, RANKED_MATCHES, Some(revision)).map(Arc::new)
            })?;
            page_of_ranking(conn, &ranking, search.page).map(Arc::new)
        })
    }
}
