//! The statistics' aggregates checked against the histories they are derived from: used by the
//! statistics tests, and by every test's end (`TestApp`'s drop), so that a new writer of case
//! history that forgets `statistics::aggregates::mark` leaves a figure row out of date and unmarked,
//! and fails the test that exercises it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDateTime;
use diesel::prelude::*;
use geschillenportaal::db::schema::{
    case_figures, case_figures_stale, cases, figure_answer_days, figure_totals, figure_totals_since,
};
use geschillenportaal::db::{self, DbConnection};
use geschillenportaal::statistics::aggregates::{self, FigureRow};
use geschillenportaal::statistics::{CaseHistory, Contribution, queries};

/// Every row of `case_figures`, by case.
pub fn rows(conn: &mut DbConnection) -> Vec<FigureRow> {
    case_figures::table
        .order(case_figures::case_id)
        .select(FigureRow::as_select())
        .load(conn)
        .unwrap()
}

/// The totals per scheme and provider (and per number of days to answer) are the rows received
/// on or after the totals' first day, added up.
pub fn assert_totals_are_the_rows_added_up(conn: &mut DbConnection) {
    let since: chrono::NaiveDate = figure_totals_since::table
        .select(figure_totals_since::from_day)
        .first(conn)
        .unwrap();
    let mut expected: BTreeMap<(i64, i64), [i64; 7]> = BTreeMap::new();
    let mut expected_days: BTreeMap<(i64, i64, i32), i64> = BTreeMap::new();
    for row in rows(conn)
        .into_iter()
        .filter(|r| r.submitted_at >= since.and_hms_opt(0, 0, 0).unwrap())
    {
        let counts = expected.entry((row.scheme_id, row.provider_id)).or_default();
        counts[0] += 1;
        for (n, flag) in row.flags.as_array().into_iter().enumerate() {
            counts[n + 1] += i64::from(flag);
        }
        if let Some(days) = row.answer_days {
            *expected_days.entry((row.scheme_id, row.provider_id, days)).or_default() += 1;
        }
    }
    let totals: BTreeMap<(i64, i64), [i64; 7]> = figure_totals::table
        .select(aggregates::TotalsRow::as_select())
        .load(conn)
        .unwrap()
        .into_iter()
        .filter(|row| row.cases != 0)
        .map(|row| ((row.scheme_id, row.provider_id), row.counts()))
        .collect();
    assert_eq!(totals, expected);
    let days: BTreeMap<(i64, i64, i32), i64> = figure_answer_days::table
        .select((
            figure_answer_days::scheme_id,
            figure_answer_days::provider_id,
            figure_answer_days::days,
            figure_answer_days::cases,
        ))
        .load::<(i64, i64, i32, i64)>(conn)
        .unwrap()
        .into_iter()
        .filter(|r| r.3 != 0)
        .map(|(s, p, d, n)| ((s, p, d), n))
        .collect();
    assert_eq!(days, expected_days);
}

/// Every case has exactly one row, and it is what its history contributes now; the totals are
/// the rows added up.
type Compared = (i64, i64, NaiveDateTime, [i32; 6], Option<i64>);

/// What a figure row says of its case.
fn row_of(row: &FigureRow) -> Compared {
    (
        row.scheme_id,
        row.provider_id,
        row.submitted_at,
        row.flags.as_array(),
        row.answer_days.map(i64::from),
    )
}

/// What the case's history says its figure row should be.
fn derived(history: &CaseHistory) -> Compared {
    let c = Contribution::of(history);
    let flags = [
        c.finished,
        c.settled,
        c.on_merits,
        c.upheld,
        c.compliance_known,
        c.complied,
    ]
    .map(i32::from);
    (
        history.scheme_id,
        history.provider_id,
        history.submitted_at,
        flags,
        c.answer_days,
    )
}

pub fn assert_rows_are_current(conn: &mut DbConnection) {
    assert_totals_are_the_rows_added_up(conn);
    let ids: Vec<i64> = cases::table.order(cases::id).select(cases::id).load(conn).unwrap();
    let rows = rows(conn);
    assert_eq!(
        rows.iter().map(|r| r.case_id).collect::<Vec<_>>(),
        ids,
        "one row per case"
    );
    let histories = queries::histories_of_ids(conn, &ids).unwrap();
    for (row, history) in rows.iter().zip(&histories) {
        assert_eq!(row_of(row), derived(history), "case {}", row.case_id);
    }
}

/// Every case either is marked for the worker or has the figure row its history gives, read in
/// one snapshot (a writer marks in the transaction that changes the history, and the worker takes
/// a mark in the one that derives the row).
pub fn assert_rows_current_or_marked(conn: &mut DbConnection) {
    db::snapshot(conn, |conn| {
        let marked: BTreeSet<i64> = case_figures_stale::table
            .select(case_figures_stale::case_id)
            .load::<i64>(conn)?
            .into_iter()
            .collect();
        let ids: Vec<i64> = cases::table
            .order(cases::id)
            .select(cases::id)
            .load::<i64>(conn)?
            .into_iter()
            .filter(|id| !marked.contains(id))
            .collect();
        let rows: BTreeMap<i64, FigureRow> = rows(conn).into_iter().map(|row| (row.case_id, row)).collect();
        for history in queries::histories_of_ids(conn, &ids)? {
            let row = rows.get(&history.case_id).unwrap_or_else(|| {
                panic!(
                    "case {} has no figure row and no mark: its writer did not call aggregates::mark",
                    history.case_id
                )
            });
            assert_eq!(
                row_of(row),
                derived(&history),
                "case {}'s figure row is out of date and the case is not marked: a writer of its \
                 history did not call aggregates::mark",
                history.case_id
            );
        }
        Ok::<_, diesel::result::Error>(())
    })
    .unwrap();
}
