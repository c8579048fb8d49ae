//! The figures' aggregates (decision 0005). What each case contributes to the figures
//! ([`Contribution`]) is kept per case in `case_figures`, and those rows are kept added up per
//! scheme and provider (`figure_totals`, and `figure_answer_days` for the exact median) over the
//! cases received from the first day of the window on (`figure_totals_since`). The hourly figures
//! read the totals and correct them by a few rows, instead of folding every case history.
//!
//! Derived data, kept current like an outbox: whatever changes what a case's history contributes
//! (a case filed or imported, a transition, an issued ruling) marks the case in
//! `case_figures_stale` in its own transaction ([`mark`]); the worker takes marks off and derives
//! the cases' rows again from their histories, taking the old rows out of the totals and adding
//! the new ones, all in one transaction ([`catch_up`]); it also moves the totals' window on
//! ([`move_window`]). A row is always derived from the whole history, so deriving it again changes
//! nothing. On PostgreSQL workers of several nodes take disjoint marks (`FOR UPDATE SKIP LOCKED`),
//! add to the totals under their rows' locks, in key order, and hold the window's first day shared
//! while moving it takes it exclusively.
//!
//! The figures are exactly the fold of every history at any time, however far the worker is
//! behind ([`scheme_tallies`]): in one snapshot they take the totals, correct them by the rows of
//! the days between the totals' window and theirs and of the cases the fold passes over, take out
//! the rows of marked cases and fold those cases' histories instead. Right after the migration every
//! case is marked, and the figures cost what they did before until the worker has caught up.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Timestamp};
use diesel::upsert::excluded;

use super::queries::{self, Filter};
use super::{CaseHistory, Contribution, Share, Sums, Tally};
use crate::db::schema::{
    case_figures, case_figures_stale, cases, figure_answer_days, figure_totals, figure_totals_since,
};
use crate::db::{self, DbConnection};

/// Cases derived again per transaction of [`catch_up`].
pub const CATCH_UP_BATCH: usize = 1000;

/// Marks a case whose history changed (or that is new), in the transaction of the change.
pub fn mark(conn: &mut DbConnection, case_id: i64, now: NaiveDateTime) -> QueryResult<()> {
    let row = (
        case_figures_stale::case_id.eq(case_id),
        case_figures_stale::marked_at.eq(now),
    );
    // An update rather than nothing on conflict: it locks a mark a worker may be taking off, so on
    // PostgreSQL the worker's transaction and this one are ordered and the mark of a change the
    // worker's read did not see stays (or is made again) for the next round.
    match conn {
        DbConnection::Postgres(pg) => diesel::insert_into(case_figures_stale::table)
            .values(row)
            .on_conflict(case_figures_stale::case_id)
            .do_update()
            .set(case_figures_stale::marked_at.eq(now))
            .execute(pg)?,
        DbConnection::Sqlite(lite) => diesel::insert_into(case_figures_stale::table)
            .values(row)
            .on_conflict(case_figures_stale::case_id)
            .do_update()
            .set(case_figures_stale::marked_at.eq(now))
            .execute(lite)?,
    };
    Ok(())
}

/// Marks every case (after a bulk load that wrote histories directly, such as `bench-data`).
pub fn mark_all(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO case_figures_stale (case_id, marked_at) SELECT id, $1 FROM cases \
         WHERE id NOT IN (SELECT case_id FROM case_figures_stale)",
    )
    .bind::<Timestamp, _>(now)
    .execute(conn)
}

#[derive(QueryableByName)]
struct Taken {
    #[diesel(sql_type = BigInt)]
    case_id: i64,
}

/// A row of `case_figures`: what one case adds to its scheme's and provider's figures. Public for
/// the tests, which check the rows against the histories (`tests/api/figures.rs`).
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_figures)]
pub struct FigureRow {
    pub case_id: i64,
    pub scheme_id: i64,
    pub provider_id: i64,
    pub submitted_at: NaiveDateTime,
    pub closed_at: Option<NaiveDateTime>,
    #[diesel(embed)]
    pub flags: FigureFlags,
    pub answer_days: Option<i32>,
}

/// A case's yes/no contributions, 0 or 1 each (integers, as both backends store them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = case_figures)]
pub struct FigureFlags {
    pub finished: i32,
    pub settled: i32,
    pub on_merits: i32,
    pub upheld: i32,
    pub compliance_known: i32,
    pub complied: i32,
}

/// The counts a row adds to its scheme's and provider's totals: cases, finished, settled, on the
/// merits, upheld, compliance known, complied.
type Counts = [i64; 7];

impl FigureRow {
    fn of(case: &CaseHistory, closed_at: Option<NaiveDateTime>) -> Self {
        let c = Contribution::of(case);
        let flag = |b: bool| i32::from(b);
        Self {
            case_id: case.case_id,
            scheme_id: case.scheme_id,
            provider_id: case.provider_id,
            submitted_at: case.submitted_at,
            closed_at,
            flags: FigureFlags {
                finished: flag(c.finished),
                settled: flag(c.settled),
                on_merits: flag(c.on_merits),
                upheld: flag(c.upheld),
                compliance_known: flag(c.compliance_known),
                complied: flag(c.complied),
            },
            answer_days: c.answer_days.and_then(|d| i32::try_from(d).ok()),
        }
    }

    fn counts(&self) -> Counts {
        let [a, b, c, d, e, f] = self.flags.as_array();
        [1, a, b, c, d, e, f].map(i64::from)
    }
}

impl FigureFlags {
    /// Finished, settled, on the merits, upheld, compliance known, complied: the order of [`Counts`]
    /// after the case itself.
    pub fn as_array(self) -> [i32; 6] {
        [
            self.finished,
            self.settled,
            self.on_merits,
            self.upheld,
            self.compliance_known,
            self.complied,
        ]
    }
}

/// Changes to the totals, by scheme and provider and by scheme, provider and days to answer;
/// kept in key order, so that transactions lock the totals' rows in one order.
#[derive(Default)]
struct Deltas {
    totals: BTreeMap<(i64, i64), Counts>,
    days: BTreeMap<(i64, i64, i64), i64>,
}

impl Deltas {
    fn add(&mut self, row: &FigureRow, sign: i64) {
        let totals = self.totals.entry((row.scheme_id, row.provider_id)).or_default();
        for (total, count) in totals.iter_mut().zip(row.counts()) {
            *total += sign * count;
        }
        if let Some(days) = row.answer_days {
            *self
                .days
                .entry((row.scheme_id, row.provider_id, i64::from(days)))
                .or_default() += sign;
        }
    }

    fn apply(self, conn: &mut DbConnection) -> QueryResult<()> {
        use figure_answer_days as d;
        use figure_totals as t;
        for ((scheme_id, provider_id), [cases, finished, settled, on_merits, upheld, known, complied]) in self.totals {
            let row = (
                t::scheme_id.eq(scheme_id),
                t::provider_id.eq(provider_id),
                t::cases.eq(cases),
                t::finished.eq(finished),
                t::settled.eq(settled),
                t::on_merits.eq(on_merits),
                t::upheld.eq(upheld),
                t::compliance_known.eq(known),
                t::complied.eq(complied),
            );
            let add = (
                t::cases.eq(t::cases + excluded(t::cases)),
                t::finished.eq(t::finished + excluded(t::finished)),
                t::settled.eq(t::settled + excluded(t::settled)),
                t::on_merits.eq(t::on_merits + excluded(t::on_merits)),
                t::upheld.eq(t::upheld + excluded(t::upheld)),
                t::compliance_known.eq(t::compliance_known + excluded(t::compliance_known)),
                t::complied.eq(t::complied + excluded(t::complied)),
            );
            match conn {
                DbConnection::Postgres(pg) => diesel::insert_into(t::table)
                    .values(row)
                    .on_conflict((t::scheme_id, t::provider_id))
                    .do_update()
                    .set(add)
                    .execute(pg)?,
                DbConnection::Sqlite(lite) => diesel::insert_into(t::table)
                    .values(row)
                    .on_conflict((t::scheme_id, t::provider_id))
                    .do_update()
                    .set(add)
                    .execute(lite)?,
            };
        }
        for ((scheme_id, provider_id, days), cases) in self.days {
            if cases == 0 {
                continue;
            }
            let row = (
                d::scheme_id.eq(scheme_id),
                d::provider_id.eq(provider_id),
                d::days.eq(i32::try_from(days).unwrap_or(i32::MAX)),
                d::cases.eq(cases),
            );
            let key = (d::scheme_id, d::provider_id, d::days);
            match conn {
                DbConnection::Postgres(pg) => diesel::insert_into(d::table)
                    .values(row)
                    .on_conflict(key)
                    .do_update()
                    .set(d::cases.eq(d::cases + excluded(d::cases)))
                    .execute(pg)?,
                DbConnection::Sqlite(lite) => diesel::insert_into(d::table)
                    .values(row)
                    .on_conflict(key)
                    .do_update()
                    .set(d::cases.eq(d::cases + excluded(d::cases)))
                    .execute(lite)?,
            };
        }
        Ok(())
    }
}

/// How [`totals_since`] is read: as the figures read it, or locked as deriving rows (shared) and
/// moving the window (exclusive) lock it on PostgreSQL (SQLite has one writer at a time anyway).
#[derive(Clone, Copy)]
enum Lock {
    None,
    Shared,
    Exclusive,
}

/// The first day of the cases the totals hold.
fn totals_since(conn: &mut DbConnection, lock: Lock) -> QueryResult<NaiveDate> {
    #[derive(QueryableByName)]
    struct Since {
        #[diesel(sql_type = Date)]
        from_day: NaiveDate,
    }
    let lock = match lock {
        Lock::None => "",
        Lock::Shared => "FOR SHARE",
        Lock::Exclusive => "FOR UPDATE",
    };
    let since: Since = match conn {
        DbConnection::Postgres(pg) => {
            diesel::sql_query(format!("SELECT from_day FROM figure_totals_since WHERE id = 1 {lock}")).get_result(pg)?
        }
        DbConnection::Sqlite(lite) => {
            diesel::sql_query("SELECT from_day FROM figure_totals_since WHERE id = 1").get_result(lite)?
        }
    };
    Ok(since.from_day)
}

fn midnight(day: NaiveDate) -> NaiveDateTime {
    day.and_hms_opt(0, 0, 0).expect("midnight")
}

/// Which rows of `case_figures` to read: a scheme's (or all) received in `[from, until)`, and
/// optionally only those closed before a time, or only those of marked cases.
#[derive(Clone, Copy, Default)]
struct Rows {
    scheme_id: Option<i64>,
    from: Option<NaiveDateTime>,
    until: Option<NaiveDateTime>,
    closed_before: Option<NaiveDateTime>,
    /// Only rows whose case closed before it was received (`case_figures_closed_early`).
    closed_early: bool,
    alive_at: Option<NaiveDateTime>,
    marked_only: bool,
}

fn rows(conn: &mut DbConnection, which: Rows) -> QueryResult<Vec<FigureRow>> {
    use case_figures as f;
    let mut query = f::table.select(FigureRow::as_select()).into_boxed();
    if let Some(scheme) = which.scheme_id {
        query = query.filter(f::scheme_id.eq(scheme));
    }
    if let Some(from) = which.from {
        query = query.filter(f::submitted_at.ge(from));
    }
    if let Some(until) = which.until {
        query = query.filter(f::submitted_at.lt(until));
    }
    if let Some(closed) = which.closed_before {
        query = query.filter(f::closed_at.lt(closed));
    }
    if which.closed_early {
        query = query.filter(f::closed_at.lt(f::submitted_at.nullable()));
    }
    if let Some(at) = which.alive_at {
        query = query.filter(f::closed_at.is_null().or(f::closed_at.ge(at)));
    }
    if which.marked_only {
        query = query.filter(f::case_id.eq_any(case_figures_stale::table.select(case_figures_stale::case_id)));
    }
    query.load(conn)
}

/// Moves the window of the totals to the one of `now`: the rows of the days that left it are
/// taken out. Never backwards (a node whose clock is behind reads the difference itself).
pub fn move_window(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<()> {
    let target = window_start(now);
    db::write_transaction(conn, |conn| {
        let since = totals_since(conn, Lock::Exclusive)?;
        if since >= target {
            return Ok(());
        }
        let mut deltas = Deltas::default();
        let left = rows(
            conn,
            Rows {
                from: Some(midnight(since)),
                until: Some(midnight(target)),
                ..Rows::default()
            },
        )?;
        left.iter().for_each(|row| deltas.add(row, -1));
        deltas.apply(conn)?;
        diesel::update(figure_totals_since::table.find(1))
            .set(figure_totals_since::from_day.eq(target))
            .execute(conn)?;
        Ok(())
    })
}

/// The first day of the statistics' window at `now` (as `statistics::handlers` computes it).
pub fn window_start(now: NaiveDateTime) -> NaiveDate {
    (now - TimeDelta::days(365)).date()
}

/// Takes up to `batch` marks off and derives those cases' rows again, and the totals with them,
/// in one transaction. Returns how many marks were taken.
pub fn catch_up_batch(conn: &mut DbConnection, batch: usize) -> QueryResult<usize> {
    let limit = i64::try_from(batch.max(1)).unwrap_or(i64::MAX);
    db::write_transaction(conn, |conn| {
        let since = midnight(totals_since(conn, Lock::Shared)?);
        let taken: Vec<Taken> = match conn {
            DbConnection::Postgres(pg) => diesel::sql_query(
                "DELETE FROM case_figures_stale WHERE case_id IN \
                 (SELECT case_id FROM case_figures_stale ORDER BY case_id LIMIT $1 FOR UPDATE SKIP LOCKED) \
                 RETURNING case_id",
            )
            .bind::<BigInt, _>(limit)
            .load(pg)?,
            DbConnection::Sqlite(lite) => diesel::sql_query(
                "DELETE FROM case_figures_stale WHERE case_id IN \
                 (SELECT case_id FROM case_figures_stale ORDER BY case_id LIMIT ?) RETURNING case_id",
            )
            .bind::<BigInt, _>(limit)
            .load(lite)?,
        };
        let mut ids: Vec<i64> = taken.into_iter().map(|t| t.case_id).collect();
        if ids.is_empty() {
            return Ok(0);
        }
        ids.sort_unstable();
        let mut deltas = Deltas::default();
        for chunk in ids.chunks(1000) {
            let old: Vec<FigureRow> = case_figures::table
                .filter(case_figures::case_id.eq_any(chunk))
                .select(FigureRow::as_select())
                .load(conn)?;
            old.iter()
                .filter(|row| row.submitted_at >= since)
                .for_each(|row| deltas.add(row, -1));
            diesel::delete(case_figures::table.filter(case_figures::case_id.eq_any(chunk))).execute(conn)?;
        }
        let histories = queries::histories_of_ids(conn, &ids)?;
        let mut closed: BTreeMap<i64, Option<NaiveDateTime>> = BTreeMap::new();
        for chunk in ids.chunks(1000) {
            closed.extend(
                cases::table
                    .filter(cases::id.eq_any(chunk))
                    .select((cases::id, cases::closed_at))
                    .load::<(i64, Option<NaiveDateTime>)>(conn)?,
            );
        }
        let new: Vec<FigureRow> = histories
            .iter()
            .map(|case| FigureRow::of(case, closed.get(&case.case_id).copied().flatten()))
            .collect();
        new.iter()
            .filter(|row| row.submitted_at >= since)
            .for_each(|row| deltas.add(row, 1));
        // 12 values a row: 500 rows stay below SQLite's limit of bound values.
        for chunk in new.chunks(500) {
            match conn {
                DbConnection::Postgres(pg) => diesel::insert_into(case_figures::table).values(chunk).execute(pg)?,
                DbConnection::Sqlite(lite) => diesel::insert_into(case_figures::table).values(chunk).execute(lite)?,
            };
        }
        deltas.apply(conn)?;
        Ok(ids.len())
    })
}

/// Moves the totals' window to `now`'s, then derives marked cases again, a batch per
/// transaction, until none are left or `budget` is spent. Returns how many were derived.
pub fn catch_up(conn: &mut DbConnection, budget: Duration, now: NaiveDateTime) -> QueryResult<usize> {
    let started = Instant::now();
    move_window(conn, now)?;
    let mut done = 0;
    loop {
        let taken = catch_up_batch(conn, CATCH_UP_BATCH)?;
        done += taken;
        if taken < CATCH_UP_BATCH || started.elapsed() >= budget {
            return Ok(done);
        }
    }
}

/// How many cases are marked (the worker's backlog).
pub fn backlog(conn: &mut DbConnection) -> QueryResult<i64> {
    case_figures_stale::table.count().get_result(conn)
}

/// A scheme's figures as tallies: the whole and each provider with a case in the window.
#[derive(Clone, Debug)]
pub struct SchemeTallies {
    pub total: Tally,
    pub providers: BTreeMap<i64, Tally>,
}

/// A row of `figure_totals`: a scheme's and provider's [`Counts`]. Public for the tests, which add
/// up the figure rows and compare (`tests/api/figures.rs`).
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = figure_totals)]
pub struct TotalsRow {
    pub scheme_id: i64,
    pub provider_id: i64,
    pub cases: i64,
    pub finished: i64,
    pub settled: i64,
    pub on_merits: i64,
    pub upheld: i64,
    pub compliance_known: i64,
    pub complied: i64,
}

impl TotalsRow {
    /// The counts in the order of [`Counts`]: cases, then the flags of [`FigureFlags::as_array`].
    pub fn counts(&self) -> [i64; 7] {
        [
            self.cases,
            self.finished,
            self.settled,
            self.on_merits,
            self.upheld,
            self.compliance_known,
            self.complied,
        ]
    }
}

/// Counts per provider that rows are added to and taken from.
#[derive(Default)]
struct Account {
    counts: Counts,
    days: BTreeMap<i64, i64>,
}

impl Account {
    fn add(&mut self, row: &FigureRow, sign: i64) {
        for (total, count) in self.counts.iter_mut().zip(row.counts()) {
            *total += sign * count;
        }
        if let Some(days) = row.answer_days {
            *self.days.entry(i64::from(days)).or_default() += sign;
        }
    }

    fn tally(&self, from_day: NaiveDate, until_day: NaiveDate) -> Tally {
        let n = |v: i64| {
            debug_assert!(v >= 0, "the totals and their rows disagree");
            v.max(0).unsigned_abs()
        };
        let [cases, finished, settled, on_merits, upheld, known, complied] = self.counts;
        let mut tally = Tally::new(from_day, until_day);
        tally.add_sums(&Sums {
            cases: n(cases),
            settled: Share {
                count: n(settled),
                of: n(finished),
            },
            upheld: Share {
                count: n(upheld),
                of: n(on_merits),
            },
            complied: Share {
                count: n(complied),
                of: n(known),
            },
        });
        for (&days, &count) in &self.days {
            tally.add_answer_days(days, n(count));
        }
        tally
    }
}

/// The tallies of the cases of a scheme that the fold reads (those alive in `[from, until)`,
/// `queries::Filter`) and counts (received in the days `[from_day, until_day)`, [`Tally`]), exactly
/// as the fold of their histories would give them, from the scheme's totals: corrected by the rows
/// of the days between the totals' first day and the window's, of the cases the fold passes over
/// (received after `until`, or closed before `from`) and of marked cases,
/// whose histories are folded instead, `chunk` at a time. Call it inside [`db::snapshot`]: every
/// read must see the same totals, rows and marks.
pub fn scheme_tallies(
    conn: &mut DbConnection,
    scheme_id: i64,
    (from, until): (NaiveDateTime, NaiveDateTime),
    (from_day, until_day): (NaiveDate, NaiveDate),
    chunk: usize,
) -> QueryResult<SchemeTallies> {
    let mut accounts: BTreeMap<i64, Account> = BTreeMap::new();
    let totals: Vec<TotalsRow> = figure_totals::table
        .filter(figure_totals::scheme_id.eq(scheme_id))
        .select(TotalsRow::as_select())
        .load(conn)?;
    for row in totals {
        accounts.entry(row.provider_id).or_default().counts = row.counts();
    }
    let days: Vec<(i64, i32, i64)> = figure_answer_days::table
        .filter(figure_answer_days::scheme_id.eq(scheme_id))
        .select((
            figure_answer_days::provider_id,
            figure_answer_days::days,
            figure_answer_days::cases,
        ))
        .load(conn)?;
    for (provider, days, count) in days {
        *accounts
            .entry(provider)
            .or_default()
            .days
            .entry(i64::from(days))
            .or_default() += count;
    }
    // The totals hold the rows received from their first day on; the window starts at `from_day`.
    let (since, first) = (midnight(totals_since(conn, Lock::None)?), midnight(from_day));
    let scheme = Rows {
        scheme_id: Some(scheme_id),
        ..Rows::default()
    };
    let mut correct = |conn: &mut DbConnection, which: Rows, sign: i64| -> QueryResult<()> {
        for row in rows(conn, which)? {
            accounts.entry(row.provider_id).or_default().add(&row, sign);
        }
        Ok(())
    };
    if since < first {
        let left = Rows {
            from: Some(since),
            until: Some(first),
            ..scheme
        };
        correct(conn, left, -1)?;
    } else if since > first {
        let not_yet_added = Rows {
            from: Some(first),
            until: Some(since),
            ..scheme
        };
        correct(conn, not_yet_added, 1)?;
    }
    let end = until.min(midnight(until_day));
    let received_later = Rows {
        from: Some(end),
        ..scheme
    };
    correct(conn, received_later, -1)?;
    // Closed before the window began: received on its first day, or (only where a history's times
    // disagree, as in imported or generated data) closed before it was received.
    let closed_before_the_window = Rows {
        from: Some(first),
        until: Some(from.max(first)),
        closed_before: Some(from),
        ..scheme
    };
    correct(conn, closed_before_the_window, -1)?;
    let closed_early = Rows {
        from: Some(from.max(first)),
        until: Some(end),
        closed_before: Some(from),
        closed_early: true,
        ..scheme
    };
    correct(conn, closed_early, -1)?;
    let marked = Rows {
        from: Some(first),
        until: Some(end),
        alive_at: Some(from),
        marked_only: true,
        ..scheme
    };
    correct(conn, marked, -1)?;

    let mut total = Tally::new(from_day, until_day);
    let mut providers: BTreeMap<i64, Tally> = BTreeMap::new();
    for (provider, account) in &accounts {
        let tally = account.tally(from_day, until_day);
        total.merge(&tally);
        providers.insert(*provider, tally);
    }
    let filter = Filter {
        provider_id: None,
        scheme_id: Some(scheme_id),
        from,
        until,
    };
    queries::for_each_stale_history(conn, filter, chunk, |case| {
        total.add_case(&case);
        providers
            .entry(case.provider_id)
            .or_insert_with(|| Tally::new(from_day, until_day))
            .add_case(&case);
    })?;
    Ok(SchemeTallies { total, providers })
}
