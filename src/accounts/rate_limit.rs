//! Rate limits for sign-in, registration and password reset: fixed-window counters in the
//! database, so that every node counts together. Each limit applies per account and
//! per client address; a refusal says when to try again.

use chrono::{DateTime, NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};

use crate::db::DbConnection;
use crate::db::schema::rate_limits;

#[derive(Clone, Copy, Debug)]
pub struct Limit {
    pub name: &'static str,
    pub max_hits: i32,
    pub window: TimeDelta,
}

pub const SIGN_IN_PER_ACCOUNT: Limit = Limit {
    name: "sign-in:account",
    max_hits: 10,
    window: TimeDelta::minutes(15),
};
pub const SIGN_IN_PER_ADDRESS: Limit = Limit {
    name: "sign-in:address",
    max_hits: 50,
    window: TimeDelta::minutes(15),
};
pub const REGISTER_PER_ADDRESS: Limit = Limit {
    name: "register:address",
    max_hits: 10,
    window: TimeDelta::hours(1),
};
pub const RESET_PER_ACCOUNT: Limit = Limit {
    name: "reset:account",
    max_hits: 5,
    window: TimeDelta::hours(1),
};
pub const RESET_PER_ADDRESS: Limit = Limit {
    name: "reset:address",
    max_hits: 20,
    window: TimeDelta::hours(1),
};

/// Refused: try again after this many seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

/// The start of the window `now` falls in (windows are aligned to the Unix epoch).
pub fn window_start(now: NaiveDateTime, window: TimeDelta) -> NaiveDateTime {
    let seconds = window.num_seconds().max(1);
    let start = now.and_utc().timestamp().div_euclid(seconds) * seconds;
    DateTime::from_timestamp(start, 0).expect("in range").naive_utc()
}

/// Counts one attempt for `key` under `limit`; refuses once the window's budget is used up.
pub fn hit(
    conn: &mut DbConnection,
    limit: Limit,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<Result<(), RetryAfter>> {
    #[derive(QueryableByName)]
    struct Hits {
        #[diesel(sql_type = Integer)]
        hits: i32,
    }
    const UPSERT: &str = "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 RETURNING hits";
    let start = window_start(now, limit.window);
    let bucket = format!("{}:{}", limit.name, key);
    let counted: Hits = match conn {
        DbConnection::Postgres(pg) => diesel::sql_query(UPSERT)
            .bind::<Text, _>(&bucket)
            .bind::<Timestamp, _>(start)
            .get_result(pg)?,
        DbConnection::Sqlite(lite) => diesel::sql_query(UPSERT)
            .bind::<Text, _>(&bucket)
            .bind::<Timestamp, _>(start)
            .get_result(lite)?,
    };
    if counted.hits > limit.max_hits {
        let retry = (start + limit.window - now).num_seconds().max(1) as u64;
        return Ok(Err(RetryAfter(retry)));
    }
    Ok(Ok(()))
}

/// Forgets windows that ended more than a day ago (run by the worker).
pub fn purge(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(rate_limits::table.filter(rate_limits::window_start.lt(now - TimeDelta::days(1)))).execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned_and_contain_now() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 22)
            .unwrap()
            .and_hms_opt(10, 7, 30)
            .unwrap();
        let start = window_start(now, TimeDelta::minutes(15));
        assert_eq!(start, now.date().and_hms_opt(10, 0, 0).unwrap());
        let exact = now.date().and_hms_opt(10, 15, 0).unwrap();
        assert_eq!(window_start(exact, TimeDelta::minutes(15)), exact);
    }
}
