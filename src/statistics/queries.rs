//! Reading case histories and ratings for the statistics and the yearly report: three
//! indexed queries per chunk of cases (cases by provider or scheme and period, keyset-paged by
//! id; their events by case; their issued rulings by case), handed one history at a time to a
//! fold in pure code (`statistics::Tally`, `report::ReportTally`), and the ratings counted and
//! added up per provider.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, sum};
use diesel::prelude::*;
use serde_json::Value;

use super::{CaseHistory, Event};
use crate::db::DbConnection;
use crate::db::schema::{case_events, case_figures_stale, cases, providers, ratings, rulings};

/// Which cases: of one provider, of one scheme, or all; alive during `[from, until)`
/// (submitted before `until`, and not closed before `from`).
#[derive(Clone, Copy, Debug)]
pub struct Filter {
    pub provider_id: Option<i64>,
    pub scheme_id: Option<i64>,
    pub from: NaiveDateTime,
    pub until: NaiveDateTime,
}

/// Lists of ids are asked for in chunks below SQLite's bound-parameter limit.
const CHUNK: usize = 2000;

/// Cases read at a time by [`for_each_history`]: with their events and rulings a few MB.
pub const HISTORY_CHUNK: usize = 2000;

type CaseRow = (i64, i64, i64, String, NaiveDateTime);

/// Hands each case history of `filter` to `each`, in the order of the cases' ids, reading
/// `chunk` cases at a time (keyset-paged by id) with their events and issued rulings, so memory
/// holds one chunk however many cases there are.
pub fn for_each_history(
    conn: &mut DbConnection,
    filter: Filter,
    chunk: usize,
    each: impl FnMut(CaseHistory),
) -> QueryResult<()> {
    for_each_history_of(conn, filter, chunk, each)
}

/// As [`for_each_history`], of the cases of `filter` marked stale for the figures only (those
/// whose `case_figures` row is not current; `statistics::aggregates`): read from the marks, so
/// the work is the marks', not the scheme's cases'.
pub fn for_each_stale_history(
    conn: &mut DbConnection,
    filter: Filter,
    chunk: usize,
    mut each: impl FnMut(CaseHistory),
) -> QueryResult<()> {
    let chunk = chunk.max(1);
    let mut after = 0;
    loop {
        let marked: Vec<i64> = case_figures_stale::table
            .filter(case_figures_stale::case_id.gt(after))
            .order(case_figures_stale::case_id)
            .select(case_figures_stale::case_id)
            .limit(i64::try_from(chunk).unwrap_or(i64::MAX))
            .load(conn)?;
        let Some(&last) = marked.last() else {
            return Ok(());
        };
        after = last;
        let rows = case_rows(conn, filter, Some(&marked), 0, chunk)?;
        histories_of(conn, rows)?.into_iter().for_each(&mut each);
        if marked.len() < chunk {
            return Ok(());
        }
    }
}

fn for_each_history_of(
    conn: &mut DbConnection,
    filter: Filter,
    chunk: usize,
    mut each: impl FnMut(CaseHistory),
) -> QueryResult<()> {
    let chunk = chunk.max(1);
    let mut after = 0;
    loop {
        let rows = case_rows(conn, filter, None, after, chunk)?;
        let Some(last) = rows.last() else {
            return Ok(());
        };
        after = last.0;
        let full = rows.len() == chunk;
        histories_of(conn, rows)?.into_iter().for_each(&mut each);
        if !full {
            return Ok(());
        }
    }
}

/// The histories of the cases `ids` (those that exist), in the order of their ids.
pub fn histories_of_ids(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<CaseHistory>> {
    let mut rows: Vec<CaseRow> = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(CHUNK) {
        rows.extend(
            cases::table
                .filter(cases::id.eq_any(chunk))
                .select((
                    cases::id,
                    cases::provider_id,
                    cases::scheme_id,
                    cases::category,
                    cases::submitted_at,
                ))
                .load::<CaseRow>(conn)?,
        );
    }
    rows.sort_unstable_by_key(|row| row.0);
    histories_of(conn, rows)
}

/// The next `limit` cases of `filter` with an id above `after` (and among `ids`, when given), by id.
fn case_rows(
    conn: &mut DbConnection,
    filter: Filter,
    ids: Option<&[i64]>,
    after: i64,
    limit: usize,
) -> QueryResult<Vec<CaseRow>> {
    let mut query = cases::table
        .filter(cases::id.gt(after))
        .filter(cases::submitted_at.lt(filter.until))
        .filter(cases::closed_at.is_null().or(cases::closed_at.ge(filter.from)))
        .select((
            cases::id,
            cases::provider_id,
            cases::scheme_id,
            cases::category,
            cases::submitted_at,
        ))
        .into_boxed();
    if let Some(provider) = filter.provider_id {
        query = query.filter(cases::provider_id.eq(provider));
    }
    if let Some(scheme) = filter.scheme_id {
        query = query.filter(cases::scheme_id.eq(scheme));
    }
    if let Some(ids) = ids {
        query = query.filter(cases::id.eq_any(ids));
    }
    query
        .order(cases::id)
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .load(conn)
}

/// The histories of `rows`: their events and issued rulings, asked for [`CHUNK`] ids at a time.
fn histories_of(conn: &mut DbConnection, rows: Vec<CaseRow>) -> QueryResult<Vec<CaseHistory>> {
    let mut events: HashMap<i64, Vec<Event>> = HashMap::new();
    let mut rulings_by_case: HashMap<i64, (String, NaiveDateTime)> = HashMap::new();
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    for chunk in ids.chunks(CHUNK) {
        let loaded: Vec<(i64, NaiveDateTime, String, Option<String>, String, String)> = case_events::table
            .filter(case_events::case_id.eq_any(chunk))
            .order((case_events::case_id, case_events::id))
            .select((
                case_events::case_id,
                case_events::at,
                case_events::kind,
                case_events::to_state,
                case_events::actor_role,
                case_events::detail,
            ))
            .load(conn)?;
        for (case_id, at, kind, to_state, actor_role, detail) in loaded {
            events.entry(case_id).or_default().push(Event {
                at,
                kind,
                to_state,
                actor_role,
                reason: reason_of(&detail),
            });
        }
        let issued: Vec<(i64, String, Option<NaiveDateTime>)> = rulings::table
            .filter(rulings::case_id.eq_any(chunk))
            .filter(rulings::issued_at.is_not_null())
            .order(rulings::id)
            .select((rulings::case_id, rulings::outcome, rulings::issued_at))
            .load(conn)?;
        for (case_id, outcome, issued_at) in issued {
            if let Some(issued_at) = issued_at {
                rulings_by_case.insert(case_id, (outcome, issued_at));
            }
        }
    }
    Ok(rows
        .into_iter()
        .map(
            |(case_id, provider_id, scheme_id, category, submitted_at)| CaseHistory {
                case_id,
                provider_id,
                scheme_id,
                category,
                submitted_at,
                events: events.remove(&case_id).unwrap_or_default(),
                ruling: rulings_by_case.remove(&case_id),
            },
        )
        .collect())
}

/// The ground or reason recorded with an event: `detail.ground` (a refusal ground code),
/// else `detail.reason`.
pub fn reason_of(detail: &str) -> Option<String> {
    if !detail.contains("reason") && !detail.contains("ground") {
        return None;
    }
    let value: Value = serde_json::from_str(detail).ok()?;
    ["ground", "refusal_ground", "reason"]
        .iter()
        .find_map(|key| value.get(*key).and_then(Value::as_str))
        .map(|s| s.trim().chars().take(60).collect::<String>())
        .filter(|s| !s.is_empty())
}

/// The ratings given in `[from, until)` per provider (one provider, a scheme's, or all): the
/// provider, how many, and their scores added up.
pub fn rating_totals(conn: &mut DbConnection, filter: Filter) -> QueryResult<Vec<(i64, u64, i64)>> {
    let mut query = ratings::table
        .inner_join(cases::table)
        .filter(ratings::created_at.ge(filter.from))
        .filter(ratings::created_at.lt(filter.until))
        .group_by(ratings::provider_id)
        .select((ratings::provider_id, count_star(), sum(ratings::score)))
        .into_boxed();
    if let Some(provider) = filter.provider_id {
        query = query.filter(ratings::provider_id.eq(provider));
    }
    if let Some(scheme) = filter.scheme_id {
        query = query.filter(cases::scheme_id.eq(scheme));
    }
    let rows: Vec<(i64, i64, Option<i64>)> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(provider, count, sum)| (provider, count.unsigned_abs(), sum.unwrap_or(0)))
        .collect())
}

pub fn provider_names(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<HashMap<i64, String>> {
    let mut names = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        let rows: Vec<(i64, String)> = providers::table
            .filter(providers::id.eq_any(chunk))
            .select((providers::id, providers::legal_name))
            .load(conn)?;
        names.extend(rows);
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::reason_of;

    #[test]
    fn the_ground_or_reason_is_read_from_an_events_detail() {
        assert_eq!(
            reason_of(r#"{"ground":"filing_limit","note":"te laat"}"#).as_deref(),
            Some("filing_limit")
        );
        assert_eq!(
            reason_of(r#"{"reason":"solved_with_provider"}"#).as_deref(),
            Some("solved_with_provider")
        );
        assert_eq!(reason_of(r#"{"ground":"  "}"#), None);
        assert_eq!(reason_of(r#"{"note":"x"}"#), None);
        assert_eq!(reason_of("not json"), None);
    }
}
