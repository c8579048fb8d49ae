//! The register's word index kept in one piece (SQLite).
//!
//! FTS5 writes each batch of changes to its index as a new segment and merges segments a level at a
//! time (`automerge`), so a register that grows a ruling at a time lies in about a dozen segments
//! (12 in 7 levels after the benchmark's load), and a search looks up each of its words in every one.
//! Merged into one segment, a search never asked before ran ×1.43 faster on 1,500-word rulings
//! (docs/PERFORMANCE.md item 32). A full merge rewrites the whole index, so the worker merges once
//! the register has been quiet for [`QUIET`] (at night, in practice), in slices of
//! [`PAGES_PER_SLICE`] pages that are each a short write transaction of their own (~50 ms at
//! 100,000 cases): a filing waits for one slice at most, never for the whole merge.
//!
//! Merging changes where the index keeps its entries, not what they are: no search's answer, and
//! no ruling's length for the ranking (`db::register_rank`), changes with it, so the register's
//! revision stays as it is. PostgreSQL needs none of this: its GIN index's pending entries are
//! merged by autovacuum.

use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::{DbConnection, write_transaction};

/// How long the register must be unchanged before its index is merged.
pub const QUIET: TimeDelta = TimeDelta::hours(1);

/// The pages of index one slice of the merge writes at most (FTS5's pages of ~4 KB).
pub const PAGES_PER_SLICE: i64 = 1_000;

/// What a worker remembers of the register between its rounds of housekeeping.
#[derive(Debug, Default)]
pub struct IndexUpkeep {
    /// The register's revision when last looked at, and since when it has been that.
    seen: Option<(i64, NaiveDateTime)>,
    /// The revision whose index was last merged into one piece.
    merged: Option<i64>,
}

impl IndexUpkeep {
    /// Whether the index should be merged now: the register, at `revision`, has not changed for
    /// [`QUIET`] and was not merged since it last changed. A worker that has just started waits
    /// [`QUIET`] first, as it does not know since when the register has been at `revision`.
    pub fn due(&mut self, revision: i64, now: NaiveDateTime) -> bool {
        match self.seen {
            Some((seen, since)) if seen == revision => self.merged != Some(revision) && now - since >= QUIET,
            _ => {
                self.seen = Some((revision, now));
                false
            }
        }
    }

    /// The index was merged into one piece at `revision`.
    pub fn finished(&mut self, revision: i64) {
        self.merged = Some(revision);
    }
}

/// How far a merge came within its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MergeProgress {
    /// Slices that merged something.
    pub slices: u32,
    /// Whether the index is now one piece (always, on PostgreSQL).
    pub finished: bool,
}

/// Merges the index's segments, a slice of [`PAGES_PER_SLICE`] pages per write transaction, until it
/// is one segment or `budget` has passed (the slice under way is finished). Nothing on PostgreSQL.
pub fn merge_index(conn: &mut DbConnection, budget: Duration) -> QueryResult<MergeProgress> {
    if !matches!(conn, DbConnection::Sqlite(_)) {
        return Ok(MergeProgress {
            slices: 0,
            finished: true,
        });
    }
    let started = Instant::now();
    let mut slices = 0;
    loop {
        // A negative amount merges every segment, whatever its level (FTS5's incremental `optimize`);
        // the slice wrote something if it changed two rows or more (FTS5's documented test).
        let merged_some = write_transaction(conn, |conn| -> QueryResult<bool> {
            let before = total_changes(conn)?;
            diesel::sql_query("INSERT INTO published_rulings_fts (published_rulings_fts, rank) VALUES ('merge', ?)")
                .bind::<BigInt, _>(-PAGES_PER_SLICE)
                .execute(conn)?;
            Ok(total_changes(conn)? - before >= 2)
        })?;
        if !merged_some {
            return Ok(MergeProgress { slices, finished: true });
        }
        slices += 1;
        if started.elapsed() >= budget {
            return Ok(MergeProgress {
                slices,
                finished: false,
            });
        }
    }
}

#[derive(QueryableByName)]
struct TotalChanges {
    #[diesel(sql_type = BigInt)]
    changes: i64,
}

/// SQLite's count of rows changed on this connection since it opened.
fn total_changes(conn: &mut DbConnection) -> QueryResult<i64> {
    Ok(diesel::sql_query("SELECT total_changes() AS changes")
        .get_result::<TotalChanges>(conn)?
        .changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(minutes: i64) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, 7)
            .unwrap()
            .and_hms_opt(22, 0, 0)
            .unwrap()
            + TimeDelta::minutes(minutes)
    }

    #[test]
    fn a_worker_that_has_just_started_waits_a_quiet_hour_first() {
        let mut upkeep = IndexUpkeep::default();
        assert!(!upkeep.due(7, at(0)));
        assert!(!upkeep.due(7, at(59)));
        assert!(!upkeep.due(7, at(0) + QUIET - TimeDelta::seconds(1)));
        assert!(upkeep.due(7, at(0) + QUIET));
    }

    #[test]
    fn a_change_to_the_register_starts_the_quiet_hour_again() {
        let mut upkeep = IndexUpkeep::default();
        upkeep.due(7, at(0));
        assert!(!upkeep.due(8, at(50)), "changed: the hour starts again");
        assert!(!upkeep.due(8, at(109)));
        assert!(upkeep.due(8, at(110)));
    }

    #[test]
    fn a_merged_register_is_merged_again_only_after_it_changed_and_was_quiet() {
        let mut upkeep = IndexUpkeep::default();
        upkeep.due(7, at(0));
        assert!(upkeep.due(7, at(60)));
        upkeep.finished(7);
        assert!(!upkeep.due(7, at(61)));
        assert!(!upkeep.due(7, at(600)), "unchanged since the merge: nothing to do");
        assert!(!upkeep.due(9, at(601)));
        assert!(!upkeep.due(9, at(660)));
        assert!(upkeep.due(9, at(661)));
    }

    #[test]
    fn a_merge_that_ran_out_of_budget_goes_on_in_the_next_round() {
        let mut upkeep = IndexUpkeep::default();
        upkeep.due(7, at(0));
        assert!(upkeep.due(7, at(60)));
        // Not finished: still due a round later.
        assert!(upkeep.due(7, at(61)));
    }
}
