//! The statistics' figures from the aggregates (`statistics::aggregates`) against the fold of
//! every case history they replace, on generated histories, and the worker's catch-up: idempotent,
//! and safe with the workers of several nodes and changes arriving while it runs.

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use geschillenportaal::db::schema::{case_events, cases, ratings, rulings, schemes, users};
use geschillenportaal::db::{self, DbConnection};
use geschillenportaal::registry::{self, NewScheme, rules::SchemeRules};
use geschillenportaal::statistics::cache::FiguresCache;
use geschillenportaal::statistics::generated::generated_cases;
use geschillenportaal::statistics::handlers::{compare, scheme_figures_in_chunks};
use geschillenportaal::statistics::queries::{self, Filter};
use geschillenportaal::statistics::{CaseHistory, Figures, Tally, aggregates};

use crate::figures::{assert_rows_are_current, assert_totals_are_the_rows_added_up, rows};
use crate::helpers::{SECRETARIAT, spawn_app};

/// The figures as computed before the aggregates: every history of the window, folded.
fn folded(conn: &mut DbConnection, scheme_id: i64, now: NaiveDateTime) -> (Figures, BTreeMap<i64, Figures>) {
    let (from, until) = (now - TimeDelta::days(365), now);
    let (from_day, until_day) = (from.date(), until.date() + TimeDelta::days(1));
    let filter = Filter {
        provider_id: None,
        scheme_id: Some(scheme_id),
        from,
        until,
    };
    let mut total = Tally::new(from_day, until_day);
    let mut providers: BTreeMap<i64, Tally> = BTreeMap::new();
    queries::for_each_history(conn, filter, 2000, |case| {
        total.add_case(&case);
        providers
            .entry(case.provider_id)
            .or_insert_with(|| Tally::new(from_day, until_day))
            .add_case(&case);
    })
    .unwrap();
    for (provider, count, sum) in queries::rating_totals(conn, filter).unwrap() {
        total.add_ratings(count, sum);
        providers
            .entry(provider)
            .or_insert_with(|| Tally::new(from_day, until_day))
            .add_ratings(count, sum);
    }
    (
        total.finish(),
        shown(providers.into_iter().map(|(id, t)| (id, t.finish()))),
    )
}

/// The providers a page shows: those with cases or ratings in the window.
fn shown(providers: impl Iterator<Item = (i64, Figures)>) -> BTreeMap<i64, Figures> {
    providers.filter(|(_, f)| f.cases > 0 || f.ratings > 0).collect()
}

fn from_aggregates(
    conn: &mut DbConnection,
    scheme_id: i64,
    now: NaiveDateTime,
    chunk: usize,
) -> (Figures, BTreeMap<i64, Figures>) {
    let figures = scheme_figures_in_chunks(conn, scheme_id, now, chunk).unwrap();
    (
        figures.total,
        shown(figures.providers.into_iter().map(|(id, (_, f))| (id, f))),
    )
}

/// Writes generated histories as cases of `scheme_id` (the generator's providers 1–4 become
/// `providers`), each marked as the writers of a history mark it. Returns the case ids.
fn write_histories(
    conn: &mut DbConnection,
    histories: &[CaseHistory],
    (scheme_id, rules_id, consumer_id): (i64, i64, i64),
    providers: [i64; 4],
) -> Vec<i64> {
    let prefix: String = schemes::table
        .find(scheme_id)
        .select(schemes::reference_prefix)
        .first(conn)
        .unwrap();
    let by: i64 = users::table
        .filter(users::email.eq(SECRETARIAT))
        .select(users::id)
        .first(conn)
        .unwrap();
    let mut ids = Vec::new();
    for history in histories {
        let (id, _) = geschillenportaal::cases::import_case(
            conn,
            geschillenportaal::cases::ImportedCase {
                scheme_id,
                reference_prefix: &prefix,
                rules_id,
                consumer_id,
                provider_id: providers[(history.provider_id - 1) as usize],
                category: &history.category,
                language: "nl",
                state: "submitted",
                state_due_on: None,
                contract_date: None,
                written_complaint_date: history.submitted_at.date() - TimeDelta::days(40),
                written_complaint_channel: "email",
                claim_cents: None,
                desired_outcome: "",
                description: "",
                fee_cents: 0,
                fee_status: "none",
                complete_on: None,
                outcome_due_on: None,
                submitted_at: history.submitted_at,
            },
            None,
            history.submitted_at,
        )
        .unwrap();
        append(conn, id, &history.events);
        if let Some((outcome, at)) = &history.ruling {
            diesel::insert_into(rulings::table)
                .values((
                    rulings::case_id.eq(id),
                    rulings::status.eq("issued"),
                    rulings::outcome.eq(outcome),
                    rulings::reasoning.eq("…"),
                    rulings::summary.eq("…"),
                    rulings::language.eq("nl"),
                    rulings::drafted_by.eq(by),
                    rulings::issued_at.eq(Some(*at)),
                    rulings::created_at.eq(*at),
                    rulings::updated_at.eq(*at),
                ))
                .execute(conn)
                .unwrap();
        }
        ids.push(id);
    }
    ids
}

/// Appends events to a case as the transition function would (the case closed when it first
/// reaches an end) and marks it.
fn append(conn: &mut DbConnection, case_id: i64, events: &[geschillenportaal::statistics::Event]) {
    for event in events {
        diesel::insert_into(case_events::table)
            .values((
                case_events::case_id.eq(case_id),
                case_events::at.eq(event.at),
                case_events::actor_role.eq(&event.actor_role),
                case_events::kind.eq(&event.kind),
                case_events::to_state.eq(&event.to_state),
                case_events::detail.eq(event
                    .reason
                    .as_ref()
                    .map_or_else(|| "{}".to_owned(), |r| serde_json::json!({ "reason": r }).to_string())),
            ))
            .execute(conn)
            .unwrap();
        let ends = ["refused", "withdrawn", "not_admissible", "closed"];
        if event.to_state.as_deref().is_some_and(|s| ends.contains(&s)) {
            diesel::update(cases::table.find(case_id).filter(cases::closed_at.is_null()))
                .set(cases::closed_at.eq(event.at))
                .execute(conn)
                .unwrap();
        }
    }
    aggregates::mark(conn, case_id, Utc::now().naive_utc()).unwrap();
}

#[tokio::test]
async fn the_figures_from_the_aggregates_equal_the_fold_of_every_history_however_far_the_worker_is() {
    let app = spawn_app().await;
    let seeded = app.seed_case().await;
    let seeded_id = seeded.case_id;
    app.with_db(move |conn| {
        let (tel, tel_rules, consumer, first) = crate::helpers::case_template(conn, seeded_id);
        let now = Utc::now().naive_utc();
        let today = now.date();
        let (ict, ict_rules) = crate::helpers::second_scheme(conn, now);
        let others = [
            crate::helpers::provider(conn, "70000001", now),
            crate::helpers::provider(conn, "70000002", now),
            crate::helpers::provider(conn, "70000003", now),
        ];
        let tel_providers = [first, others[0], others[1], others[2]];
        // The generator's edges are the window's: its first day, its last (today), and the days around.
        let (from_day, until_day) = ((now - TimeDelta::days(365)).date(), today + TimeDelta::days(1));
        let tel_cases = write_histories(
            conn,
            &generated_cases(11, 300, from_day, until_day),
            (tel, tel_rules, consumer),
            tel_providers,
        );
        // The other scheme shares one provider, which is then compared with both schemes together.
        write_histories(
            conn,
            &generated_cases(12, 80, from_day, until_day),
            (ict, ict_rules, consumer),
            [others[0], others[0], others[2], others[2]],
        );
        for (n, case_id) in tel_cases.iter().enumerate().step_by(9) {
            let provider: i64 = cases::table
                .find(case_id)
                .select(cases::provider_id)
                .first(conn)
                .unwrap();
            diesel::insert_into(ratings::table)
                .values((
                    ratings::case_id.eq(case_id),
                    ratings::provider_id.eq(provider),
                    ratings::score.eq(1 + (n % 5) as i32),
                    ratings::created_at.eq(now - TimeDelta::days(n as i64)),
                ))
                .execute(conn)
                .unwrap();
        }
        let expected = folded(conn, tel, now);
        assert!(expected.0.cases > 100 && expected.0.upheld.of > 0 && expected.0.complied.of > 0);
        assert!(expected.0.median_days_to_answer.is_some() && expected.0.ratings > 0);
        assert_eq!(expected.1.len(), 4);
        let expected_comparison = |conn: &mut DbConnection| {
            let (tel_total, tel_providers) = folded(conn, tel, now);
            let (ict_total, ict_providers) = folded(conn, ict, now);
            (tel_total, tel_providers, ict_total, ict_providers)
        };
        let (_, tel_own, _, ict_own) = expected_comparison(conn);
        assert!(tel_own.contains_key(&others[0]) && ict_own.contains_key(&others[0]));

        // Every case marked, none derived yet: the histories are folded as before.
        assert!(aggregates::backlog(conn).unwrap() >= 380);
        for chunk in [1, 7, 2000] {
            assert_eq!(
                from_aggregates(conn, tel, now, chunk),
                expected,
                "all marked, chunks of {chunk}"
            );
        }
        // Part of the way, in batches as workers take them.
        assert_eq!(aggregates::catch_up_batch(conn, 7).unwrap(), 7);
        assert_eq!(from_aggregates(conn, tel, now, 3), expected, "7 derived");
        assert_eq!(aggregates::catch_up_batch(conn, 150).unwrap(), 150);
        assert_eq!(from_aggregates(conn, tel, now, 2000), expected, "157 derived");
        // All of it: the figures are added up from the rows alone.
        aggregates::catch_up(conn, std::time::Duration::from_secs(600), now).unwrap();
        assert_eq!(aggregates::backlog(conn).unwrap(), 0);
        assert_rows_are_current(conn);
        assert_eq!(from_aggregates(conn, tel, now, 2000), expected, "all derived");

        // Idempotent: nothing marked, nothing done; everything marked again, the same rows.
        let before = rows(conn);
        assert_eq!(aggregates::catch_up_batch(conn, 100).unwrap(), 0);
        assert!(aggregates::mark_all(conn, now).unwrap() >= 380);
        aggregates::catch_up(conn, std::time::Duration::from_secs(600), now).unwrap();
        assert_eq!(rows(conn), before);

        // Histories that change after their rows were derived: marked, they are folded until
        // derived again, and the figures follow at every step.
        let later = generated_cases(13, 40, from_day, until_day);
        for (case_id, history) in tel_cases.iter().step_by(7).zip(&later) {
            append(conn, *case_id, &history.events);
        }
        let changed = folded(conn, tel, now);
        assert_ne!(changed, expected, "the changes change the figures");
        assert_eq!(from_aggregates(conn, tel, now, 5), changed, "changes marked");
        aggregates::catch_up_batch(conn, 20).unwrap();
        assert_eq!(from_aggregates(conn, tel, now, 5), changed, "changes partly derived");
        aggregates::catch_up(conn, std::time::Duration::from_secs(600), now).unwrap();
        assert_rows_are_current(conn);
        assert_eq!(from_aggregates(conn, tel, now, 2000), changed, "changes derived");

        // The window moves on: read ahead of the totals' window, then with it moved, then behind it.
        let later = now + TimeDelta::days(3);
        let moved = folded(conn, tel, later);
        assert_ne!(moved, changed, "cases left the window");
        assert_eq!(
            from_aggregates(conn, tel, later, 2000),
            moved,
            "the totals behind the window"
        );
        aggregates::move_window(conn, later).unwrap();
        assert_totals_are_the_rows_added_up(conn);
        assert_eq!(
            from_aggregates(conn, tel, later, 2000),
            moved,
            "the totals moved with the window"
        );
        assert_eq!(
            from_aggregates(conn, tel, now, 2000),
            changed,
            "the totals ahead of the window"
        );

        // A provider with cases in both schemes against the two schemes together, from the rows.
        let both = |conn: &mut DbConnection| {
            let mut own = Tally::new(from_day, until_day);
            let mut sector = Tally::new(from_day, until_day);
            for scheme in [tel, ict] {
                let filter = Filter {
                    provider_id: None,
                    scheme_id: Some(scheme),
                    from: now - TimeDelta::days(365),
                    until: now,
                };
                queries::for_each_history(conn, filter, 2000, |case| {
                    if case.provider_id == others[0] {
                        own.add_case(&case);
                    }
                    sector.add_case(&case);
                })
                .unwrap();
                for (provider, count, sum) in queries::rating_totals(conn, filter).unwrap() {
                    if provider == others[0] {
                        own.add_ratings(count, sum);
                    }
                    sector.add_ratings(count, sum);
                }
            }
            (own.finish(), sector.finish())
        };
        let (own, sector) = both(conn);
        let comparison = compare(conn, &FiguresCache::default(), others[0], now).unwrap();
        assert_eq!((comparison.provider.clone(), comparison.sector.clone()), (own, sector));
        assert!(comparison.sector.cases > comparison.provider.cases && comparison.provider.cases > 0);
    })
    .await;
}

#[tokio::test]
async fn workers_of_several_nodes_derive_every_case_once_and_lose_no_change_made_meanwhile() {
    let app = spawn_app().await;
    let seeded = app.seed_case().await;
    let seeded_id = seeded.case_id;
    let ids = app
        .with_db(move |conn| {
            let (tel, rules, consumer, first) = crate::helpers::case_template(conn, seeded_id);
            let now = Utc::now().naive_utc();
            let (from_day, until_day) = ((now - TimeDelta::days(365)).date(), now.date() + TimeDelta::days(1));
            write_histories(
                conn,
                &generated_cases(21, 400, from_day, until_day),
                (tel, rules, consumer),
                [first; 4],
            )
        })
        .await;
    // Three workers take marks off in small batches while cases change and are marked again,
    // each change in its own transaction, as the transition function makes them.
    let worker = |db: geschillenportaal::db::Database| {
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get().unwrap();
            let mut derived = 0;
            for _ in 0..400 {
                derived += aggregates::catch_up_batch(&mut conn, 5).unwrap();
            }
            derived
        })
    };
    let changes = {
        let db = app.db.clone();
        let ids = ids.clone();
        tokio::task::spawn_blocking(move || {
            let mut conn = db.get().unwrap();
            let now = Utc::now().naive_utc();
            let (from_day, until_day) = ((now - TimeDelta::days(365)).date(), now.date() + TimeDelta::days(1));
            let later = generated_cases(22, 150, from_day, until_day);
            for (n, history) in later.iter().enumerate() {
                let case_id = ids[(n * 37) % ids.len()];
                db::write_transaction(&mut conn, |conn| {
                    append(conn, case_id, &history.events);
                    Ok::<_, diesel::result::Error>(())
                })
                .unwrap();
            }
        })
    };
    let workers = [worker(app.db.clone()), worker(app.db.clone()), worker(app.db.clone())];
    changes.await.unwrap();
    let mut derived = 0;
    for w in workers {
        derived += w.await.unwrap();
    }
    assert!(derived >= ids.len(), "{derived} derived");
    app.with_db(|conn| {
        aggregates::catch_up(conn, std::time::Duration::from_secs(600), Utc::now().naive_utc()).unwrap();
        assert_eq!(aggregates::backlog(conn).unwrap(), 0);
        assert_rows_are_current(conn);
    })
    .await;
}

fn plan(conn: &mut DbConnection, postgres: bool, sql: &str) -> String {
    #[derive(QueryableByName)]
    struct PgPlan {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        plan: String,
    }
    #[derive(QueryableByName)]
    struct SqlitePlan {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }
    if postgres {
        let rows: Vec<PgPlan> = diesel::sql_query(format!("EXPLAIN {sql}")).load(conn).unwrap();
        rows.into_iter().map(|r| r.plan).collect::<Vec<_>>().join("\n")
    } else {
        let rows: Vec<SqlitePlan> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load(conn)
            .unwrap();
        rows.into_iter().map(|r| r.detail).collect::<Vec<_>>().join("\n")
    }
}

#[tokio::test]
async fn a_schemes_cases_and_figure_rows_are_read_along_an_index_among_many_small_schemes() {
    let app = spawn_app().await;
    let seeded = app.seed_case().await;
    let case_id = seeded.case_id;
    let postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty());
    app.with_db(move |conn| {
        let now = Utc::now().naive_utc();
        let mut scheme_ids = Vec::new();
        for n in 0..40 {
            let code = format!("S{n}");
            scheme_ids.push(
                registry::create_scheme(
                    conn,
                    NewScheme {
                        code: &code,
                        name: &code,
                        languages: "nl",
                        reference_prefix: &code,
                    },
                    &SchemeRules::commission_defaults(),
                    now.date() - TimeDelta::days(2000),
                    now,
                )
                .unwrap(),
            );
        }
        let (first, last) = (scheme_ids[0], scheme_ids[39]);
        // 20,000 cases spread evenly over the 40 schemes and a year, then the planner's statistics.
        let (series, day) = if postgres {
            ("generate_series(1, 20000) g(n)", "now() - (n % 360 || ' days')::interval")
        } else {
            (
                "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 20000) SELECT n FROM s) g",
                "datetime('now', '-' || (n % 360) || ' days')",
            )
        };
        diesel::sql_query(format!(
            "INSERT INTO cases (reference, scheme_id, rules_id, consumer_id, provider_id, category, language, state, \
             state_entered_at, written_complaint_date, written_complaint_channel, desired_outcome, description, fee_cents, \
             fee_status, submitted_at, updated_at) \
             SELECT 'MANY-' || n, {first} + n % 40, c.rules_id, c.consumer_id, c.provider_id, c.category, 'nl', 'submitted', \
             {day}, c.written_complaint_date, 'email', '', '', 0, 'none', {day}, {day} FROM {series}, cases c WHERE c.id = {case_id}"
        ))
        .execute(conn)
        .unwrap();
        aggregates::mark_all(conn, now).unwrap();
        aggregates::catch_up(conn, std::time::Duration::from_secs(600), Utc::now().naive_utc()).unwrap();
        // As between two rounds of the worker: a few cases changed since.
        let changed: Vec<i64> = cases::table.select(cases::id).limit(5).load(conn).unwrap();
        for id in changed {
            aggregates::mark(conn, id, now).unwrap();
        }
        diesel::sql_query("ANALYZE").execute(conn).unwrap();
        let window = "submitted_at < '2100-01-01' AND (closed_at IS NULL OR closed_at >= '2000-01-01')";
        // A chunk of a scheme's histories (statistics::queries::case_rows).
        let chunk = plan(
            conn,
            postgres,
            &format!(
                "SELECT id, provider_id, scheme_id, category, submitted_at FROM cases \
                 WHERE id > 100 AND {window} AND scheme_id = {last} ORDER BY id LIMIT 2000"
            ),
        );
        if postgres {
            assert!(chunk.contains("cases_scheme_id"), "{chunk}");
        } else {
            assert!(chunk.contains("USING INDEX cases_scheme_id (scheme_id=? AND id>?)"), "{chunk}");
            assert!(!chunk.contains("TEMP B-TREE"), "{chunk}");
        }
        // The rows the figures correct their totals by (statistics::aggregates::scheme_tallies): a
        // range of a scheme's rows by the time received, and those closed before they were received.
        let later = plan(
            conn,
            postgres,
            &format!("SELECT * FROM case_figures WHERE scheme_id = {last} AND submitted_at >= '2100-01-01'"),
        );
        let early = plan(
            conn,
            postgres,
            &format!(
                "SELECT * FROM case_figures WHERE scheme_id = {last} AND submitted_at >= '2000-01-01' \
                 AND submitted_at < '2100-01-01' AND closed_at < '2000-01-01' AND closed_at < submitted_at"
            ),
        );
        if postgres {
            assert!(later.contains("case_figures_window"), "{later}");
        } else {
            assert!(
                later.contains("SEARCH case_figures USING PRIMARY KEY (scheme_id=? AND submitted_at>?)"),
                "{later}"
            );
        }
        assert!(early.contains("case_figures_closed_early"), "{early}");
        eprintln!("chunk:\n{chunk}\nlater:\n{later}\nearly:\n{early}");
    })
    .await;
}
