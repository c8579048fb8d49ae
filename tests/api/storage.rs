use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use geschillenportaal::db::{self, schema::*};

use crate::helpers::spawn_app;

#[tokio::test]
async fn migrations_run_up_down_and_up_again() {
    let app = spawn_app().await;
    app.with_db(|conn| {
        db::revert_all_migrations(conn).expect("down");
        assert!(
            diesel::sql_query("SELECT id FROM cases").execute(conn).is_err(),
            "tables are gone after down"
        );
        let applied = db::run_pending_migrations(conn).expect("up again");
        assert!(!applied.is_empty());
        assert_eq!(cases::table.count().get_result::<i64>(conn).unwrap(), 0);
    })
    .await;
}

/// Every column of the hand-kept diesel schema exists in the migrated database.
#[tokio::test]
async fn the_diesel_schema_matches_the_migrated_database() {
    let app = spawn_app().await;
    app.with_db(|conn| {
        macro_rules! check {
            ($($table:ident),*) => {$(
                $table::table.select($table::all_columns).limit(1).execute(conn)
                    .unwrap_or_else(|e| panic!("table {}: {e}", stringify!($table)));
            )*};
        }
        check!(
            schemes,
            scheme_rules,
            guarantors,
            providers,
            memberships,
            users,
            mediator_profiles,
            mediator_schemes,
            mediator_conflicts,
            sessions,
            api_tokens,
            used_tokens,
            intake_drafts,
            case_reference_counters,
            cases,
            case_events,
            case_assignments,
            messages,
            documents,
            offers,
            hearings,
            rulings,
            published_rulings,
            compliance_reports,
            guarantee_claims,
            ratings,
            audit_log,
            jobs,
            provider_search_terms,
            webhook_endpoints,
            webhook_deliveries,
            extension_requests,
            job_keys,
            case_figures,
            case_figures_stale,
            figure_totals,
            figure_answer_days,
            figure_totals_since
        );
    })
    .await;
}

#[tokio::test]
async fn a_failed_write_transaction_leaves_nothing_behind() {
    let app = spawn_app().await;
    app.with_db(|conn| {
        let result: Result<(), diesel::result::Error> = db::write_transaction(conn, |conn| {
            diesel::insert_into(used_tokens::table)
                .values((
                    used_tokens::jti.eq("a"),
                    used_tokens::used_at.eq(chrono::Utc::now().naive_utc()),
                ))
                .execute(conn)?;
            Err(diesel::result::Error::RollbackTransaction)
        });
        assert!(result.is_err());
        assert_eq!(used_tokens::table.count().get_result::<i64>(conn).unwrap(), 0);
    })
    .await;
}

#[tokio::test]
async fn case_references_count_per_scheme_and_year_even_when_filed_at_once() {
    let app = spawn_app().await;
    let db = app.db.clone();
    let (scheme_a, scheme_b) = app
        .with_db(|conn| {
            let rules = geschillenportaal::registry::rules::SchemeRules::commission_defaults();
            let now = chrono::Utc::now().naive_utc();
            let day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
            let a = geschillenportaal::registry::create_scheme(
                conn,
                geschillenportaal::registry::NewScheme {
                    code: "A",
                    name: "A",
                    languages: "nl",
                    reference_prefix: "A",
                },
                &rules,
                day,
                now,
            )
            .unwrap();
            let b = geschillenportaal::registry::create_scheme(
                conn,
                geschillenportaal::registry::NewScheme {
                    code: "B",
                    name: "B",
                    languages: "nl",
                    reference_prefix: "B",
                },
                &rules,
                day,
                now,
            )
            .unwrap();
            (a, b)
        })
        .await;
    // Eight threads take references for the same scheme and year at the same time.
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut conn = db.get().unwrap();
                (0..5)
                    .map(|_| {
                        db::write_transaction(&mut conn, |c| {
                            geschillenportaal::cases::next_reference(c, scheme_a, "A", 2026)
                        })
                        .unwrap()
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<String> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    all.sort();
    let expected: Vec<String> = (1..=40).map(|n| format!("A-2026-{n:06}")).collect();
    assert_eq!(all, expected);
    let other = app
        .with_db(move |conn| geschillenportaal::cases::next_reference(conn, scheme_b, "B", 2026).unwrap())
        .await;
    assert_eq!(other, "B-2026-000001");
    let next_year = app
        .with_db(move |conn| geschillenportaal::cases::next_reference(conn, scheme_a, "A", 2027).unwrap())
        .await;
    assert_eq!(next_year, "A-2027-000001");
}

#[tokio::test]
async fn demo_data_loads_once_with_an_account_per_role_and_cases_in_many_states() {
    let app = spawn_app().await;
    let db = app.db.clone();
    let first = tokio::task::spawn_blocking(move || geschillenportaal::demo::load_if_empty(&db).unwrap())
        .await
        .unwrap();
    let report = first.expect("loaded into an empty database");
    assert_eq!(report.providers, 20);
    let db = app.db.clone();
    let second = tokio::task::spawn_blocking(move || geschillenportaal::demo::load_if_empty(&db).unwrap())
        .await
        .unwrap();
    assert!(second.is_none(), "a database with data is left alone");
    let (states, events, roles): (Vec<String>, i64, Vec<String>) = app
        .with_db(|conn| {
            let states = cases::table.select(cases::state).distinct().load(conn).unwrap();
            let events = case_events::table
                .filter(case_events::kind.eq("imported"))
                .count()
                .get_result(conn)
                .unwrap();
            let roles = users::table.select(users::role).distinct().load(conn).unwrap();
            (states, events, roles)
        })
        .await;
    assert!(states.len() >= 10, "{states:?}");
    assert_eq!(events, 12);
    assert_eq!(roles.len(), 5);
    // Every demo account can sign in with the printed password.
    for account in &report.accounts {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let login = client
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = crate::helpers::extract_csrf(&login);
        let response = client
            .post(app.url("/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", account.email),
                ("password", account.password),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{}", account.email);
    }
}

/// On SQLite, a migration applied to a database analysed before leaves statistics for its new
/// index (without them the planner takes the index for very selective: the provider queue once
/// read every case through `cases_scheme_id`); a database never analysed is left unanalysed.
#[tokio::test]
async fn sqlite_statistics_that_exist_are_made_anew_after_migrations() {
    let app = spawn_app().await;
    app.seed_case().await;
    app.with_db(|conn| {
        let db::DbConnection::Sqlite(_) = conn else {
            return; // PostgreSQL keeps its statistics itself (autovacuum).
        };
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let count =
            |conn: &mut db::DbConnection, sql: &str| diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n;
        let stat_table = |conn: &mut db::DbConnection| {
            count(
                conn,
                "SELECT count(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat1'",
            )
        };
        let stats_of_index = |conn: &mut db::DbConnection| {
            count(
                conn,
                "SELECT count(*) AS n FROM sqlite_stat1 WHERE idx = 'cases_scheme_id'",
            )
        };
        let unapply_the_index = |conn: &mut db::DbConnection| {
            conn.batch_execute(
                "DROP INDEX cases_scheme_id; \
                 DELETE FROM __diesel_schema_migrations WHERE version = '20261122000012';",
            )
            .unwrap();
        };

        unapply_the_index(conn);
        assert_eq!(db::run_pending_migrations(conn).unwrap().len(), 1);
        assert_eq!(stat_table(conn), 0, "a database never analysed stays so");

        unapply_the_index(conn);
        conn.batch_execute("ANALYZE").unwrap();
        assert_eq!(stats_of_index(conn), 0);
        assert_eq!(db::run_pending_migrations(conn).unwrap().len(), 1);
        assert_eq!(stats_of_index(conn), 1, "the new index has statistics");
    })
    .await;
}
