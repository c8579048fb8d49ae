//! The membership check's answers, kept per node under the registry's revision.
//!
//! The check is public and asked again and again for the same few names; its answer is read in
//! three statements (the providers found, their memberships, the schemes' facts), each a round trip
//! on PostgreSQL. A node keeps what they read, so a check asked before costs one statement: the
//! registry's revision (one row, `registry_revision`, which triggers on the providers, their search
//! terms, memberships, guarantors, schemes and the schemes' rules increase: migration 000018).
//! Answers are kept under the revision they were read at, as the register's are
//! (`publication::cache`): a change on any node shows on every node with the next check. The
//! answer itself ([`check::answer`]) is put together per check from what was read, for the day and
//! contract date asked. The schemes' facts (the rules in force on a day) are kept apart, by
//! revision and day, since every search shares them: a name not asked before costs its providers
//! and their memberships only.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use diesel::prelude::*;
use quick_cache::sync::Cache;

use super::check::{self, CheckAnswer};
use super::queries::{self, MembershipRow, ProviderRow, SchemeFacts};
use super::search::SearchQuery;
use crate::db::DbConnection;
use crate::db::schema::registry_revision;

/// How many searches a node keeps: up to 20 providers with their memberships, a few KB each.
const ANSWERS_KEPT: usize = 512;

/// How many days' scheme facts a node keeps: today's, and yesterday's for checks around midnight.
const SCHEME_DAYS_KEPT: usize = 4;

/// What a check reads from the database for one search.
struct Found {
    providers: Vec<ProviderRow>,
    more: bool,
    memberships: Vec<MembershipRow>,
}

/// The node's kept reads of the membership check: the providers found with their memberships by
/// revision, search and most providers shown; the schemes' facts by revision and day.
pub struct CheckCache {
    found: Cache<(i64, SearchQuery, usize), Arc<Found>>,
    /// The schemes with the rules in force on a day are the same for every search: a name not
    /// asked before reads only its providers and their memberships.
    schemes: Cache<(i64, NaiveDate), Arc<BTreeMap<i64, SchemeFacts>>>,
}

impl Default for CheckCache {
    fn default() -> Self {
        Self {
            found: Cache::new(ANSWERS_KEPT),
            schemes: Cache::new(SCHEME_DAYS_KEPT),
        }
    }
}

/// The registry's current revision.
fn revision(conn: &mut DbConnection) -> QueryResult<i64> {
    registry_revision::table
        .find(1_i64)
        .select(registry_revision::revision)
        .first(conn)
}

/// Reads the providers the check of `query` finds (at most `limit`) and their memberships.
fn find(conn: &mut DbConnection, query: &SearchQuery, limit: usize) -> QueryResult<Found> {
    let (providers, more) = queries::search_providers(conn, query, limit)?;
    let ids: Vec<i64> = providers.iter().map(|p| p.id).collect();
    let memberships = queries::memberships_of(conn, &ids)?
        .into_iter()
        .map(|(m, _, _, _)| m)
        .collect();
    Ok(Found {
        providers,
        more,
        memberships,
    })
}

impl CheckCache {
    /// The check's answer for `query` on `today` (and the contract date, if given), from what the
    /// node read before if the registry has not changed since.
    pub fn check(
        &self,
        conn: &mut DbConnection,
        query: &SearchQuery,
        today: NaiveDate,
        date: Option<NaiveDate>,
        limit: usize,
    ) -> QueryResult<CheckAnswer> {
        let revision = revision(conn)?;
        let found = self.found.get_or_insert_with(&(revision, query.clone(), limit), || {
            find(conn, query, limit).map(Arc::new)
        })?;
        let schemes = self
            .schemes
            .get_or_insert_with(&(revision, today), || queries::scheme_facts(conn, today).map(Arc::new))?;
        Ok(check::answer(
            found.providers.clone(),
            &found.memberships,
            &schemes,
            today,
            date,
            found.more,
        ))
    }
}
