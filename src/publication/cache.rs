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
use std::time::Duration;

use diesel::prelude::*;
use quick_cache::sync::Cache;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

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

/// How long a search waits for a turn to be ranked before the node answers 503.
const RANKING_WAIT: Duration = Duration::from_secs(10);

/// The answers of one node, by revision and search, and its turns for rankings computed afresh.
pub struct RegisterCache {
    pages: Cache<(i64, Search), Arc<RegisterPage>>,
    /// By revision and the search's first page ([`Search::first_page`]).
    rankings: Cache<(i64, Search), Arc<Ranking>>,
    /// A ranking computed afresh keeps a connection busy for milliseconds (on PostgreSQL ~25 ms for
    /// a common word in 1,500-word rulings), so a storm of searches never asked before took the
    /// whole pool and the cores from every other page (16 connections of them took the case page
    /// from ~1,800 to ~90 a second on PostgreSQL). With turns for half the pool's connections
    /// (`Settings::ranking_turns`) it kept ~1,100 (docs/PERFORMANCE.md item 34). Searches waiting
    /// for a turn hold no connection.
    ranking_turns: Arc<Semaphore>,
}

/// Why a search was not answered without ranking it afresh.
enum Unanswered {
    NeedsRanking,
    Query(diesel::result::Error),
}

impl From<diesel::result::Error> for Unanswered {
    fn from(error: diesel::result::Error) -> Self {
        Self::Query(error)
    }
}

impl RegisterCache {
    /// A cache whose node ranks at most `turns` searches afresh at once.
    pub fn with_ranking_turns(turns: usize) -> Self {
        Self {
            pages: Cache::new(ANSWERS_KEPT),
            rankings: Cache::new(RANKINGS_KEPT),
            ranking_turns: Arc::new(Semaphore::new(turns.max(1))),
        }
    }

    /// [`search_register`], answered from the node's answers when the register has not changed
    /// since. Concurrent searches for the same answer wait for one computation. A search that has
    /// to be ranked afresh is ranked here: call it in a turn ([`Self::ranking_turn`]) when
    /// [`Self::search_without_ranking`] found no answer.
    pub fn search(&self, conn: &mut DbConnection, search: &Search) -> QueryResult<Arc<RegisterPage>> {
        self.answer(conn, search, |conn, revision| {
            rank_matches(conn, search, RANKED_MATCHES, Some(revision)).map(Arc::new)
        })
    }

    /// [`Self::search`] if it needs no ranking computed afresh (a kept answer, a page of a kept
    /// ranking, a search by date); `None` if it does.
    pub fn search_without_ranking(
        &self,
        conn: &mut DbConnection,
        search: &Search,
    ) -> QueryResult<Option<Arc<RegisterPage>>> {
        match self.answer(conn, search, |_, _| Err(Unanswered::NeedsRanking)) {
            Ok(page) => Ok(Some(page)),
            Err(Unanswered::NeedsRanking) => Ok(None),
            Err(Unanswered::Query(error)) => Err(error),
        }
    }

    /// One of the node's turns to rank a search afresh, once one is free; `None` if none was
    /// within [`RANKING_WAIT`].
    pub async fn ranking_turn(&self) -> Option<OwnedSemaphorePermit> {
        tokio::time::timeout(RANKING_WAIT, self.ranking_turns.clone().acquire_owned())
            .await
            .ok()?
            .ok()
    }

    fn answer<E: From<diesel::result::Error>>(
        &self,
        conn: &mut DbConnection,
        search: &Search,
        rank: impl FnOnce(&mut DbConnection, i64) -> Result<Arc<Ranking>, E>,
    ) -> Result<Arc<RegisterPage>, E> {
        let revision = revision(conn)?;
        self.pages.get_or_insert_with(&(revision, search.clone()), || {
            if !search.is_ranked() {
                return Ok(Arc::new(search_register(conn, search)?));
            }
            let ranking = self
                .rankings
                .get_or_insert_with(&(revision, search.first_page()), || rank(conn, revision))?;
            Ok(Arc::new(page_of_ranking(conn, &ranking, search.page)?))
        })
    }
}
