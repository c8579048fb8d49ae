//! Publication of rulings and the public register, statistics, the yearly report, the
//! OpenAPI document, webhooks and data protection.

use chrono::{NaiveDate, NaiveDateTime, TimeDelta, Timelike, Utc};
use diesel::prelude::*;
use geschillenportaal::db::DbConnection;
use geschillenportaal::db::schema::{
    audit_log, case_events, cases, jobs, messages, ratings, rulings, schemes, users, webhook_endpoints,
};
use geschillenportaal::report::{self, ReportTally};
use geschillenportaal::statistics::aggregates;
use geschillenportaal::statistics::cache::FiguresCache;
use geschillenportaal::statistics::handlers::{compare, scheme_figures_in_chunks};
use geschillenportaal::statistics::queries::{self, Filter};
use geschillenportaal::statistics::{CaseHistory, figures};
use serde_json::{Value, json};

use crate::helpers::{CONSUMER, SECRETARIAT, STAFF, extract_csrf, spawn_app, spawn_app_with};

const NAME: &str = "Johanna Wilhelmina Kuipers-Brouwer";
const PHONE: &str = "06-87654321";
const IBAN: &str = "NL91ABNA0417164300";
const STREET: &str = "Lindenlaan 17b";
const POSTCODE: &str = "7511 JK";
const PLACE: &str = "Enschede";
const CUSTOMER_NUMBER: &str = "KN-4471023";

/// Plants the consumer's personal data in the case (account, intake details, text) and
/// issues a ruling whose text repeats it; returns the ruling id.
fn plant_and_issue(conn: &mut DbConnection, case_id: i64, now: NaiveDateTime) -> i64 {
    let consumer: i64 = cases::table
        .find(case_id)
        .select(cases::consumer_id)
        .first(conn)
        .unwrap();
    diesel::update(users::table.find(consumer))
        .set(users::display_name.eq(NAME))
        .execute(conn)
        .unwrap();
    diesel::insert_into(case_events::table)
        .values((
            case_events::case_id.eq(case_id),
            case_events::at.eq(now),
            case_events::actor_role.eq("system"),
            case_events::kind.eq("personal_data"),
            case_events::detail.eq(json!({ "personal": {
                "address": STREET, "place": PLACE, "phone": PHONE, "iban": IBAN, "customer_number": CUSTOMER_NUMBER,
            }})
            .to_string()),
        ))
        .execute(conn)
        .unwrap();
    let reasoning = format!(
        "Mevrouw {NAME}, wonend aan de {STREET}, {POSTCODE} {PLACE}, klant onder klantnummer {CUSTOMER_NUMBER}, \
         klaagt dat haar glasvezelverbinding sinds maart elke avond wegvalt. Zij belde de storingsdienst vanaf \
         {PHONE} en mailde vanaf {CONSUMER}. De heer Pieters van de aanbieder beloofde terugbetaling op \
         {IBAN}. Mevrouw Kuipers-Brouwer kreeg niets. De commissie acht de klacht gegrond: de aanbieder betaalt \
         € 240,00 terug."
    );
    let summary = format!("{NAME} krijgt drie maanden abonnement terug wegens storingen.");
    issue_ruling(conn, case_id, (&summary, &reasoning, "upheld"), Some(24_000), now)
}

/// Writes a ruling issued by the secretariat's member now, as the issuing transition leaves it (the
/// case's figures marked); returns its id.
fn issue_ruling(
    conn: &mut DbConnection,
    case_id: i64,
    (summary, reasoning, outcome): (&str, &str, &str),
    award_cents: Option<i64>,
    now: NaiveDateTime,
) -> i64 {
    let drafted_by: i64 = users::table
        .filter(users::email.eq(SECRETARIAT))
        .select(users::id)
        .first(conn)
        .unwrap();
    let ruling_id = diesel::insert_into(rulings::table)
        .values((
            rulings::case_id.eq(case_id),
            rulings::status.eq("issued"),
            rulings::outcome.eq(outcome),
            rulings::award_cents.eq(award_cents),
            rulings::reasoning.eq(reasoning),
            rulings::summary.eq(summary),
            rulings::language.eq("nl"),
            rulings::drafted_by.eq(drafted_by),
            rulings::issued_by.eq(Some(drafted_by)),
            rulings::issued_at.eq(Some(now)),
            rulings::created_at.eq(now),
            rulings::updated_at.eq(now),
        ))
        .returning(rulings::id)
        .get_result(conn)
        .unwrap();
    aggregates::mark(conn, case_id, now).unwrap();
    ruling_id
}

fn planted() -> Vec<&'static str> {
    vec![
        NAME,
        "Johanna",
        "Kuipers",
        "Brouwer",
        "Pieters",
        PHONE,
        "87654321",
        IBAN,
        "0417164300",
        STREET,
        "Lindenlaan",
        POSTCODE,
        PLACE,
        CUSTOMER_NUMBER,
        "4471023",
        CONSUMER,
    ]
}

#[tokio::test]
async fn a_published_ruling_contains_none_of_the_personal_data_planted_in_the_case() {
    let app = spawn_app().await;
    let seeded = app.seed_case().await;
    let case_id = seeded.case_id;
    let published_id = app
        .with_db(move |conn| {
            let now = Utc::now().naive_utc();
            let ruling_id = plant_and_issue(conn, case_id, now);
            let id = geschillenportaal::publication::prepare_for_ruling(conn, ruling_id, now).unwrap();
            // Idempotent: the issuer may call it again.
            assert_eq!(
                geschillenportaal::publication::prepare_for_ruling(conn, ruling_id, now).unwrap(),
                id
            );
            id
        })
        .await;

    // Nothing is public before the secretariat publishes.
    let reference: String = app
        .with_db(move |conn| cases::table.find(case_id).select(cases::reference).first(conn).unwrap())
        .await;
    assert_eq!(app.get(&format!("/uitspraken/{reference}")).await.status(), 404);
    let listing: Value = app.get("/api/v1/rulings").await.json().await.unwrap();
    assert_eq!(listing["rulings"].as_array().unwrap().len(), 0);

    // The secretariat reviews: the queue lists it, the review page shows the placeholders.
    let secretariat = app.client_for(SECRETARIAT).await;
    let queue = secretariat
        .get(app.url("/secretariaat/uitspraken"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(queue.contains(&reference), "{queue}");
    let review = secretariat
        .get(app.url(&format!("/secretariaat/uitspraken/{published_id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        review.contains("[CONSUMENT]") && review.contains("[PLAATS]") && review.contains("[IBAN]"),
        "{review}"
    );
    // The text area holds the body; take the summary and body from the database to edit.
    let (summary, body): (String, String) = app
        .with_db(move |conn| {
            use geschillenportaal::db::schema::published_rulings as p;
            p::table
                .find(published_id)
                .select((p::summary, p::body))
                .first(conn)
                .unwrap()
        })
        .await;
    // An edit that types the name back in is cleaned again and not published yet.
    let csrf = extract_csrf(&review);
    let edited_body = format!("{body}\n\nNoot: {NAME} was telefonisch bereikbaar op {PHONE}.");
    let response = secretariat
        .post(app.url(&format!("/secretariaat/uitspraken/{published_id}")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("summary", summary.as_str()),
            ("body", edited_body.as_str()),
            ("action", "publish"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert!(crate::helpers::location(&response).ends_with("notice=anonymised-again"));
    assert_eq!(app.get(&format!("/uitspraken/{reference}")).await.status(), 404);
    let (summary, body): (String, String) = app
        .with_db(move |conn| {
            use geschillenportaal::db::schema::published_rulings as p;
            p::table
                .find(published_id)
                .select((p::summary, p::body))
                .first(conn)
                .unwrap()
        })
        .await;
    let response = secretariat
        .post(app.url(&format!("/secretariaat/uitspraken/{published_id}")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("summary", summary.as_str()),
            ("body", body.as_str()),
            ("action", "publish"),
        ])
        .send()
        .await
        .unwrap();
    assert!(crate::helpers::location(&response).ends_with("notice=published"));

    // Published: the page, the register and the API carry none of the planted data.
    let page = app.get_html(&format!("/uitspraken/{reference}")).await;
    let register = app.get_html("/uitspraken?q=glasvezelverbinding").await;
    let api = app
        .get("/api/v1/rulings?q=glasvezelverbinding")
        .await
        .text()
        .await
        .unwrap();
    let document = app
        .get(&format!("/api/v1/rulings/{reference}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("gegrond") && page.contains("€ 240,00"), "{page}");
    assert!(register.contains(&reference), "the register finds it: {register}");
    assert!(api.contains(&reference), "{api}");
    for text in [&page, &register, &api, &document] {
        for secret in planted() {
            assert!(!text.contains(secret), "{secret} leaked into:\n{text}");
            assert!(
                !text.to_lowercase().contains(&secret.to_lowercase()),
                "{secret} leaked (case) into:\n{text}"
            );
        }
    }
    // The register filters: the outcome and the year of the ruling; a filter that matches nothing.
    let year = Utc::now().format("%Y").to_string();
    let filtered = app
        .get_html(&format!("/uitspraken?outcome=upheld&year={year}&scheme=TEL&sort=date"))
        .await;
    assert!(filtered.contains(&reference), "{filtered}");
    let none = app.get_html("/uitspraken?outcome=rejected").await;
    assert!(!none.contains(&reference));
    let nonsense = app.get("/uitspraken?page=-4&year=abc&q=%22%29%28*").await;
    assert_eq!(nonsense.status(), 200);
    // Only the secretariat reaches the review pages.
    let consumer = app.client_for(CONSUMER).await;
    let refused = consumer.get(app.url("/secretariaat/uitspraken")).send().await.unwrap();
    assert_eq!(refused.status(), 404);
}

/// Inserts `n` published rulings in bulk by SQL (one statement per backend).
fn bulk_rulings(conn: &mut DbConnection, case_id: i64, n: i64, postgres: bool) {
    let scheme_id: i64 = cases::table.find(case_id).select(cases::scheme_id).first(conn).unwrap();
    let provider_id: i64 = cases::table
        .find(case_id)
        .select(cases::provider_id)
        .first(conn)
        .unwrap();
    let drafted_by: i64 = users::table
        .filter(users::email.eq(SECRETARIAT))
        .select(users::id)
        .first(conn)
        .unwrap();
    let statements: Vec<String> = if postgres {
        vec![
            format!(
                "INSERT INTO rulings (case_id, status, outcome, reasoning, summary, language, drafted_by, issued_at, created_at, updated_at) \
                 SELECT {case_id}, 'issued', CASE WHEN g % 3 = 0 THEN 'upheld' WHEN g % 3 = 1 THEN 'rejected' ELSE 'partly_upheld' END, \
                 'tekst ' || g, 'samenvatting ' || g, 'nl', {drafted_by}, now(), now(), now() FROM generate_series(1, {n}) g"
            ),
            format!(
                "INSERT INTO published_rulings (ruling_id, scheme_id, provider_id, reference, category, year, outcome, summary, body, status, published_at) \
                 SELECT id, {scheme_id}, {provider_id}, 'BULK-' || id, CASE WHEN id % 2 = 0 THEN 'billing' ELSE 'outage_speed' END, 2020 + (id % 6)::int, outcome, \
                 'Uitspraak over ' || CASE WHEN id % 50 = 0 THEN 'roaming in het buitenland' ELSE 'een storing van het internet' END || ' nummer ' || id, \
                 'De consument klaagt over ' || CASE WHEN id % 1000 = 0 THEN 'afgesloten telefoonlijnen en betalingen' ELSE 'een trage verbinding die vaak wegvalt' END || '. De commissie overweegt de feiten.', \
                 'published', now() - (id || ' minutes')::interval FROM rulings WHERE summary LIKE 'samenvatting %'"
            ),
            "ANALYZE".into(),
        ]
    } else {
        vec![
            format!(
                "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < {n}) \
                 INSERT INTO rulings (case_id, status, outcome, reasoning, summary, language, drafted_by, issued_at, created_at, updated_at) \
                 SELECT {case_id}, 'issued', CASE WHEN n % 3 = 0 THEN 'upheld' WHEN n % 3 = 1 THEN 'rejected' ELSE 'partly_upheld' END, \
                 'tekst ' || n, 'samenvatting ' || n, 'nl', {drafted_by}, datetime('now'), datetime('now'), datetime('now') FROM g"
            ),
            format!(
                "INSERT INTO published_rulings (ruling_id, scheme_id, provider_id, reference, category, year, outcome, summary, body, status, published_at) \
                 SELECT id, {scheme_id}, {provider_id}, 'BULK-' || id, CASE WHEN id % 2 = 0 THEN 'billing' ELSE 'outage_speed' END, 2020 + (id % 6), outcome, \
                 'Uitspraak over ' || CASE WHEN id % 50 = 0 THEN 'roaming in het buitenland' ELSE 'een storing van het internet' END || ' nummer ' || id, \
                 'De consument klaagt over ' || CASE WHEN id % 1000 = 0 THEN 'afgesloten telefoonlijnen en betalingen' ELSE 'een trage verbinding die vaak wegvalt' END || '. De commissie overweegt de feiten.', \
                 'published', datetime('now', '-' || id || ' minutes') FROM rulings WHERE summary LIKE 'samenvatting %'"
            ),
            "ANALYZE".into(),
        ]
    };
    for statement in statements {
        diesel::sql_query(statement).execute(conn).unwrap();
    }
    // As issuing a ruling does: the case's figures are derived again.
    aggregates::mark(conn, case_id, Utc::now().naive_utc()).unwrap();
}

fn plan(conn: &mut DbConnection, postgres: bool, sql: &str) -> String {
    if postgres {
        #[derive(QueryableByName)]
        struct PgPlan {
            #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
            plan: String,
        }
        diesel::sql_query(format!("EXPLAIN {sql}"))
            .load::<PgPlan>(conn)
            .unwrap()
            .into_iter()
            .map(|r| r.plan)
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        #[derive(QueryableByName)]
        struct SqlitePlan {
            #[diesel(sql_type = diesel::sql_types::Text)]
            detail: String,
        }
        diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
            .load::<SqlitePlan>(conn)
            .unwrap()
            .into_iter()
            .map(|r| r.detail)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[tokio::test]
async fn the_register_searches_100000_rulings_through_its_full_text_index_quickly() {
    let app = spawn_app().await;
    let seeded = app.seed_case().await;
    let postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty());
    let case_id = seeded.case_id;
    app.with_db(move |conn| {
        let started = std::time::Instant::now();
        bulk_rulings(conn, case_id, 100_000, postgres);
        eprintln!("inserted 100,000 rulings in {:?}", started.elapsed());
        use geschillenportaal::publication::{search, search_register};
        let run = |conn: &mut DbConnection, raw: search::RawSearch| {
            let started = std::time::Instant::now();
            let result = search_register(conn, &search::parse(&raw)).unwrap();
            (result, started.elapsed())
        };
        let q = |q: &str| search::RawSearch { q: q.into(), ..Default::default() };
        // A rare word: 100 rulings; Dutch stemming on PostgreSQL, word starts on SQLite.
        let (found, took) = run(conn, q("telefoonlijn"));
        eprintln!("rare word: {took:?}");
        assert_eq!(found.items.len(), 20);
        assert!(found.more && !found.ranking_limited);
        assert!(found.items.iter().all(|r| r.reference.starts_with("BULK-")));
        assert!(took < std::time::Duration::from_secs(2), "{took:?}");
        // A common word with filters, by relevance and by date, and a deep page.
        for raw in [
            search::RawSearch { q: "roaming".into(), outcome: "upheld".into(), ..Default::default() },
            search::RawSearch { q: "storing internet".into(), year: "2024".into(), category: "billing".into(), sort: "date".into(), ..Default::default() },
            search::RawSearch { page: "50".into(), ..Default::default() },
            search::RawSearch { q: "verbinding".into(), ..Default::default() },
        ] {
            let (found, took) = run(conn, raw.clone());
            eprintln!("{raw:?}: {} in {took:?}", found.items.len());
            assert!(!found.items.is_empty(), "{raw:?}");
            assert!(took < std::time::Duration::from_secs(3), "{raw:?} took {took:?}");
        }
        let (found, _) = run(conn, search::RawSearch { q: "roaming".into(), outcome: "upheld".into(), ..Default::default() });
        assert!(found.items.iter().all(|r| r.outcome == "upheld" && r.summary.contains("roaming")));
        // A word in every ruling ranks only the newest matches, and says so; by date it is not cut.
        let (found, took) = run(conn, q("verbinding"));
        eprintln!("a word in every ruling, by relevance: {took:?}");
        assert!(found.ranking_limited && found.more);
        let (found, _) = run(conn, search::RawSearch { q: "verbinding".into(), sort: "date".into(), ..Default::default() });
        assert!(!found.ranking_limited);
        let newest: String = {
            use geschillenportaal::db::schema::published_rulings as p;
            p::table
                .filter(p::body.like("%verbinding%"))
                .order((p::published_at.desc(), p::id.desc()))
                .select(p::reference)
                .first(conn)
                .unwrap()
        };
        assert_eq!(found.items[0].reference, newest);

        // The word search reads the full-text index, not the table: the ranking statement's walk of
        // the newest matches. SQLite walks the index in its order, filters
        // included, without sorting and without reading the table.
        let plan = if postgres {
            plan(
                conn,
                true,
                "SELECT p.id, -ts_rank(p.search_vector, websearch_to_tsquery('dutch', 'telefoonlijnen'))::float8 FROM published_rulings p \
                 WHERE p.search_vector @@ websearch_to_tsquery('dutch', 'telefoonlijnen') AND p.status = 'published' \
                 AND p.outcome = 'upheld' ORDER BY p.published_at DESC, p.id DESC LIMIT 2001",
            )
        } else {
            plan(
                conn,
                false,
                "SELECT f.rowid & 1073741823, register_rank(published_rulings_fts, '100') FROM published_rulings_fts f \
                 WHERE published_rulings_fts MATCH '{summary body} : ((\"telefoonlijnen\")) AND facets : (outcomeupheld)' ORDER BY f.rowid DESC LIMIT 2001",
            )
        };
        eprintln!("{plan}");
        if postgres {
            assert!(plan.contains("published_rulings_search"), "{plan}");
            // The word index holds the filters too (migration 000016): it intersects them itself.
            let index_condition = plan.lines().find(|line| line.contains("Index Cond") && line.contains("search_vector"));
            assert!(index_condition.is_some_and(|line| line.contains("outcome")), "{plan}");
        } else {
            assert!(plan.contains("VIRTUAL TABLE INDEX"), "{plan}");
            assert!(!plan.contains("TEMP B-TREE") && !plan.contains(" p "), "{plan}");
        }
        // PostgreSQL walks a common word's matches in the date index newest first, reading each
        // ruling's tsvector from the table: the index carries only the filters' columns, as a
        // tsvector can exceed an index row (migration 000017).
        if postgres {
            diesel::sql_query("VACUUM (ANALYZE) published_rulings").execute(conn).unwrap();
            let walk = self::plan(
                conn,
                true,
                "SELECT p.id, -ts_rank(p.search_vector, websearch_to_tsquery('dutch', 'verbinding'))::float8 FROM published_rulings p \
                 WHERE p.search_vector @@ websearch_to_tsquery('dutch', 'verbinding') AND p.status = 'published' \
                 ORDER BY p.published_at DESC, p.id DESC LIMIT 2001",
            );
            eprintln!("{walk}");
            assert!(walk.contains("Scan Backward using published_rulings_date"), "{walk}");
        }
        // The date order without words walks the date index.
        let plan = plan_of_date_order(conn, postgres);
        eprintln!("{plan}");
        assert!(plan.contains("published_rulings_date"), "{plan}");

        // The secretariat's queue: the latest published and withdrawn rulings, newest first, as an
        // oracle over every ruling orders them, read along the date index per status.
        {
            use geschillenportaal::db::schema::published_rulings as p;
            use geschillenportaal::publication::review_queue;
            let secretariat: i64 = users::table
                .filter(users::email.eq(SECRETARIAT))
                .select(users::id)
                .first(conn)
                .unwrap();
            let newest_ids: Vec<i64> = p::table.order(p::published_at.desc()).select(p::id).limit(7).load(conn).unwrap();
            let now = Utc::now().naive_utc();
            for id in newest_ids.iter().skip(1).step_by(2) {
                geschillenportaal::publication::set_published(conn, *id, false, secretariat, now).unwrap();
            }
            let mut all: Vec<(Option<NaiveDateTime>, i64, String)> = p::table
                .filter(p::status.ne("in_review"))
                .select((p::published_at, p::id, p::status))
                .load(conn)
                .unwrap();
            all.sort_by_key(|row| std::cmp::Reverse((row.0, row.1)));
            let started = std::time::Instant::now();
            let queue = review_queue(conn, 100).unwrap();
            eprintln!("the secretariat's queue of 100,000 rulings: {:?}", started.elapsed());
            let listed: Vec<(Option<NaiveDateTime>, i64, String)> =
                queue.iter().map(|r| (r.published_at, r.id, r.status.clone())).collect();
            assert_eq!(listed, all[..100].to_vec());
            assert_eq!(listed.iter().filter(|r| r.2 == "withdrawn").count(), 3, "{listed:?}");
        }
    })
    .await;
}

/// Publishes a ruling of the case with these texts and outcome, `minutes` before `now`; returns the
/// published ruling's id.
fn publish_text(
    conn: &mut DbConnection,
    case_id: i64,
    reference: &str,
    (summary, body, outcome): (&str, &str, &str),
    published_at: NaiveDateTime,
) -> i64 {
    use geschillenportaal::db::schema::published_rulings as p;
    let (scheme_id, provider_id): (i64, i64) = cases::table
        .find(case_id)
        .select((cases::scheme_id, cases::provider_id))
        .first(conn)
        .unwrap();
    let ruling_id = issue_ruling(conn, case_id, (summary, body, outcome), None, published_at);
    diesel::insert_into(p::table)
        .values((
            p::ruling_id.eq(ruling_id),
            p::scheme_id.eq(scheme_id),
            p::provider_id.eq(Some(provider_id)),
            p::reference.eq(reference),
            p::category.eq("outage_speed"),
            p::year.eq(2026),
            p::outcome.eq(outcome),
            p::summary.eq(summary),
            p::body.eq(body),
            p::status.eq("published"),
            p::published_at.eq(Some(published_at)),
        ))
        .returning(p::id)
        .get_result(conn)
        .unwrap()
}

/// A text of `words` words drawn from `distinct` made-up ones of 4 to 12 letters, the same each run.
fn long_text(words: usize, distinct: u64) -> String {
    let word = |n: u64| {
        let mut state = n
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let letters = 4 + (state >> 60) as usize % 9;
        (0..letters)
            .map(|_| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                char::from(b'a' + (state >> 59) as u8 % 26)
            })
            .collect::<String>()
    };
    (0..words as u64)
        .map(|i| word(i * 7919 % distinct))
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::test]
async fn a_ruling_of_real_length_is_issued_for_publication_published_and_found() {
    let app = spawn_app().await;
    let case_id = app.seed_case().await.case_id;
    app.with_db(move |conn| {
        use geschillenportaal::publication::search::{self, RawSearch};
        use geschillenportaal::publication::{prepare_for_ruling, save_text, search_register, set_published};
        let now = Utc::now().naive_utc().with_nanosecond(0).unwrap();
        let secretariat: i64 = users::table
            .filter(users::email.eq(SECRETARIAT))
            .select(users::id)
            .first(conn)
            .unwrap();
        // Binding advice runs to thousands of words: its tsvector is tens of kilobytes, more than
        // an index row may hold (PostgreSQL's date index once carried it: docs/PERFORMANCE.md item 31).
        let reasoning = format!(
            "De commissie overweegt het volgende. {} Zeldzaamwoord.",
            long_text(6_000, 2_500)
        );
        let ruling_id = issue_ruling(conn, case_id, ("Een lange uitspraak", &reasoning, "upheld"), None, now);
        // What issuing the ruling does, in its transaction.
        let published = prepare_for_ruling(conn, ruling_id, now).unwrap();
        // The secretariat's review makes it longer still, then publishes it.
        let edited = format!("{reasoning} {}", long_text(3_000, 3_000));
        save_text(conn, published, "Een lange uitspraak", &edited, secretariat, now).unwrap();
        set_published(conn, published, true, secretariat, now).unwrap();
        for q in ["zeldzaamwoord", "commissie zeldzaamwoord"] {
            for sort in ["", "date"] {
                let page = search_register(
                    conn,
                    &search::parse(&RawSearch {
                        q: q.into(),
                        sort: sort.into(),
                        ..Default::default()
                    }),
                )
                .unwrap();
                assert_eq!(
                    page.items.iter().map(|r| r.summary.as_str()).collect::<Vec<_>>(),
                    ["Een lange uitspraak"],
                    "{q} {sort}"
                );
            }
        }
        // On PostgreSQL the register's vectors are compressed with lz4 where the server has it
        // (migration 000019): pglz's decompression was most of a search never asked before.
        if matches!(conn, DbConnection::Postgres(_)) {
            #[derive(QueryableByName)]
            struct Compression {
                #[diesel(sql_type = diesel::sql_types::Bool)]
                server_has_lz4: bool,
                #[diesel(sql_type = diesel::sql_types::Text)]
                column: String,
                #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
                stored: Option<String>,
            }
            let compression: Compression = diesel::sql_query(
                "SELECT 'lz4' = ANY (SELECT unnest(enumvals) FROM pg_settings WHERE name = 'default_toast_compression') \
                 AS server_has_lz4, \
                 (SELECT attcompression::text FROM pg_attribute WHERE attrelid = 'published_rulings'::regclass \
                 AND attname = 'search_vector') AS column, \
                 (SELECT pg_column_compression(search_vector) FROM published_rulings WHERE id = $1) AS stored",
            )
            .bind::<diesel::sql_types::BigInt, _>(published)
            .get_result(conn)
            .unwrap();
            if compression.server_has_lz4 {
                assert_eq!(compression.column, "l", "the column's compression");
                assert!(
                    matches!(compression.stored.as_deref(), None | Some("lz4")),
                    "stored as is or with lz4, not pglz: {:?}",
                    compression.stored
                );
            }
        }
    })
    .await;
}

#[tokio::test]
async fn a_word_search_ranks_the_newest_matches_that_pass_the_filters_and_says_when_there_were_more() {
    let app = spawn_app().await;
    let case_id = app.seed_case().await.case_id;
    app.with_db(move |conn| {
        use geschillenportaal::publication::{search, search_register, search_register_ranking_at_most, set_published};
        let now = Utc::now().naive_utc().with_nanosecond(0).unwrap();
        let outcome = |i: usize| if i.is_multiple_of(2) { "upheld" } else { "rejected" };
        // Six older rulings with the word in the summary (the better matches) and six newer ones with
        // it only in the text; the newest rulings of all do not match.
        for i in 0..6 {
            let texts = (
                "Storing bij de aansluiting",
                "De commissie beslist als volgt.",
                outcome(i),
            );
            publish_text(
                conn,
                case_id,
                &format!("S{i}"),
                texts,
                now - TimeDelta::minutes(100 - i as i64),
            );
        }
        for i in 0..6 {
            let texts = (
                "Uitspraak over de aansluiting",
                "De consument meldt een storing.",
                outcome(i),
            );
            publish_text(
                conn,
                case_id,
                &format!("B{i}"),
                texts,
                now - TimeDelta::minutes(10 - i as i64),
            );
        }
        for i in 0..3 {
            let texts = (
                "Uitspraak over een rekening",
                "De commissie beslist als volgt.",
                "upheld",
            );
            publish_text(
                conn,
                case_id,
                &format!("N{i}"),
                texts,
                now - TimeDelta::minutes(3 - i as i64),
            );
        }
        let raw = |q: &str, outcome: &str, sort: &str| search::RawSearch {
            q: q.into(),
            outcome: outcome.into(),
            sort: sort.into(),
            ..Default::default()
        };
        let found = |conn: &mut DbConnection, raw: search::RawSearch, ranked: i64| {
            let page = search_register_ranking_at_most(conn, &search::parse(&raw), ranked).unwrap();
            let references: Vec<String> = page.items.iter().map(|r| r.reference.clone()).collect();
            (references, page.ranking_limited)
        };

        // Fewer matches than the bound: every match ranked, the summaries first, as without a bound.
        let (all, limited) = found(conn, raw("storing", "", ""), 100);
        assert!(!limited);
        assert_eq!(all.len(), 12);
        assert!(all[..6].iter().all(|r| r.starts_with('S')), "{all:?}");
        let default = search_register(conn, &search::parse(&raw("storing", "", ""))).unwrap();
        assert_eq!(
            default.items.iter().map(|r| r.reference.clone()).collect::<Vec<_>>(),
            all
        );
        assert_eq!(
            found(conn, raw("storing", "", ""), 12),
            (all.clone(), false),
            "exactly the bound is not cut"
        );

        // More matches than the bound: the newest four are ranked (equal texts: newest first), and
        // the answer says the ranking was cut.
        assert_eq!(
            found(conn, raw("storing", "", ""), 4),
            (vec!["B5".into(), "B4".into(), "B3".into(), "B2".into()], true)
        );
        assert!(found(conn, raw("storing", "", ""), 11).1);
        // The filters apply before the bound: the newest four upheld matches are three texts and
        // one summary, which ranks first.
        assert_eq!(
            found(conn, raw("storing", "upheld", ""), 4),
            (vec!["S4".into(), "B4".into(), "B2".into(), "B0".into()], true)
        );
        assert!(!found(conn, raw("storing", "upheld", ""), 6).1);
        // Every filter together, and each one that matches nothing (SQLite keeps them as words of
        // the index, PostgreSQL as conditions).
        let (scheme, provider): (String, i64) = cases::table
            .inner_join(geschillenportaal::db::schema::schemes::table)
            .filter(cases::id.eq(case_id))
            .select((geschillenportaal::db::schema::schemes::code, cases::provider_id))
            .first(conn)
            .unwrap();
        let filtered = |scheme: &str, category: &str, year: &str, provider: String| search::RawSearch {
            q: "storing".into(),
            scheme: scheme.into(),
            category: category.into(),
            year: year.into(),
            outcome: "upheld".into(),
            provider,
            ..Default::default()
        };
        let everything = filtered(&scheme, "outage_speed", "2026", provider.to_string());
        let upheld = ["S4", "S2", "S0", "B4", "B2", "B0"].map(String::from).to_vec();
        assert_eq!(found(conn, everything, 100), (upheld.clone(), false));
        for nothing in [
            filtered("XYZ", "outage_speed", "2026", provider.to_string()),
            filtered(&scheme, "billing", "2026", provider.to_string()),
            filtered(&scheme, "outage_speed", "2025", provider.to_string()),
            filtered(&scheme, "outage_speed", "2026", (provider + 1).to_string()),
        ] {
            assert_eq!(found(conn, nothing.clone(), 100), (vec![], false), "{nothing:?}");
        }
        // Every combination of the scheme, category, year and outcome (SQLite searches each
        // combination as one word of the index): the matches that pass it, and none with another
        // category or year in it.
        let sorted = |mut references: Vec<String>| {
            references.sort();
            references
        };
        for filters in 0..16u8 {
            let pick = |bit: u8, value: &str| {
                if filters & bit != 0 {
                    value.to_owned()
                } else {
                    String::new()
                }
            };
            let combination = |category: &str, year: &str| search::RawSearch {
                q: "storing".into(),
                scheme: pick(1, &scheme),
                category: pick(2, category),
                year: pick(4, year),
                outcome: pick(8, "upheld"),
                ..Default::default()
            };
            let expected = if filters & 8 != 0 { upheld.clone() } else { all.clone() };
            assert_eq!(
                sorted(found(conn, combination("outage_speed", "2026"), 100).0),
                sorted(expected),
                "filters {filters:04b}"
            );
            if filters & 6 != 0 {
                let other = combination("billing", "2025");
                assert_eq!(found(conn, other, 100).0, Vec::<String>::new(), "filters {filters:04b}");
            }
        }
        // By date nothing is cut: every match, newest first.
        let by_date = ["B5", "B4", "B3", "B2", "B1", "B0", "S5", "S4", "S3", "S2", "S1", "S0"]
            .map(String::from)
            .to_vec();
        assert_eq!(found(conn, raw("storing", "", "date"), 4), (by_date.clone(), false));

        // Withdrawn rulings leave the word search, and come back in their place when published
        // again (the first publication date stays); an edited text is found by its new words.
        let id_of = |conn: &mut DbConnection, reference: &str| -> i64 {
            use geschillenportaal::db::schema::published_rulings as p;
            p::table
                .filter(p::reference.eq(reference))
                .select(p::id)
                .first(conn)
                .unwrap()
        };
        let secretariat: i64 = users::table
            .filter(users::email.eq(SECRETARIAT))
            .select(users::id)
            .first(conn)
            .unwrap();
        let b5 = id_of(conn, "B5");
        set_published(conn, b5, false, secretariat, now).unwrap();
        assert_eq!(found(conn, raw("storing", "", "date"), 100).0, by_date[1..].to_vec());
        set_published(conn, b5, true, secretariat, now + TimeDelta::minutes(5)).unwrap();
        assert_eq!(found(conn, raw("storing", "", "date"), 100).0, by_date);
        let s0 = id_of(conn, "S0");
        geschillenportaal::publication::save_text(
            conn,
            s0,
            "Vergoeding na een verhuizing",
            "De commissie beslist.",
            secretariat,
            now,
        )
        .unwrap();
        assert_eq!(found(conn, raw("storing", "", "date"), 100).0, by_date[..11].to_vec());
        assert_eq!(
            found(conn, raw("verhuizing", "", ""), 100),
            (vec!["S0".to_string()], false)
        );
    })
    .await;
}

/// The ranking of a word search as `ts_rank` over the rulings' whole vectors gives it (PostgreSQL):
/// the newest `ranked` matches that pass the outcome, best first, equal ones newest first; and
/// whether there were more. Written apart from the portal's statements, as the test's oracle.
fn ranked_through_vectors(conn: &mut DbConnection, q: &str, outcome: &str, ranked: i64) -> (Vec<i64>, bool) {
    #[derive(QueryableByName)]
    struct Match {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    let matches: Vec<Match> = diesel::sql_query(
        "SELECT m.id FROM (SELECT p.id, p.published_at, ts_rank(p.search_vector, websearch_to_tsquery('dutch', $1)) AS r \
         FROM published_rulings p WHERE p.search_vector @@ websearch_to_tsquery('dutch', $1) AND p.status = 'published' \
         AND ($2 = '' OR p.outcome = $2) ORDER BY p.published_at DESC, p.id DESC LIMIT $3) m \
         ORDER BY m.r DESC, m.published_at DESC, m.id DESC",
    )
    .bind::<diesel::sql_types::Text, _>(q)
    .bind::<diesel::sql_types::Text, _>(outcome)
    .bind::<diesel::sql_types::BigInt, _>(ranked + 1)
    .load(conn)
    .unwrap();
    let mut ids: Vec<i64> = matches.into_iter().map(|m| m.id).collect();
    let limited = ids.len() as i64 > ranked;
    if limited {
        // The oldest of the walked matches is the one past the bound, wherever it ranked.
        let oldest = ranked_oldest(conn, &ids);
        ids.retain(|id| *id != oldest);
    }
    (ids, limited)
}

fn ranked_oldest(conn: &mut DbConnection, ids: &[i64]) -> i64 {
    use geschillenportaal::db::schema::published_rulings as p;
    p::table
        .filter(p::id.eq_any(ids))
        .order((p::published_at.asc(), p::id.asc()))
        .select(p::id)
        .first(conn)
        .unwrap()
}

/// Whether the register's postings (PostgreSQL, migration 000020) hold exactly the published rulings'
/// words, each with the ruling's date and filters, its entry, and the rank of the word alone as
/// `ts_rank` over the whole vector gives it; the number of rows that do not.
fn postings_out_of_step(conn: &mut DbConnection) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(
        "SELECT (SELECT count(*) FROM register_postings x LEFT JOIN published_rulings p ON p.id = x.ruling_id \
           WHERE p.id IS NULL OR p.status <> 'published' OR x.published_at <> p.published_at \
           OR x.scheme_id <> p.scheme_id OR x.category <> p.category OR x.year <> p.year OR x.outcome <> p.outcome \
           OR x.provider_id IS DISTINCT FROM p.provider_id \
           OR NOT (p.search_vector @@ register_lexeme_query(x.lexeme)) \
           OR x.rank_alone <> ts_rank(p.search_vector, register_lexeme_query(x.lexeme)) \
           OR length(x.entry) <> 1 \
           OR ts_rank(x.entry, register_lexeme_query(x.lexeme)) <> x.rank_alone) \
         + abs((SELECT count(*) FROM register_postings) \
           - (SELECT coalesce(sum(length(search_vector)), 0) FROM published_rulings WHERE status = 'published')) AS n",
    )
    .get_result::<Count>(conn)
    .unwrap()
    .n
}

#[tokio::test]
async fn postgresql_ranks_through_the_postings_as_through_the_vectors_and_keeps_them_in_step() {
    let app = spawn_app().await;
    let case_id = app.seed_case().await.case_id;
    app.with_db(move |conn| {
        use geschillenportaal::publication::{rank_matches, save_text, search, set_published};
        let postgres = matches!(conn, DbConnection::Postgres(_));
        let now = Utc::now().naive_utc().with_nanosecond(0).unwrap();
        let secretariat = crate::helpers::user_id(conn, SECRETARIAT);
        // Rulings that share made-up words in different numbers and places, some in the summary
        // (weight A) and some in the text (weight B), and real words with their stems.
        let vocabulary = long_text(400, 60);
        let words: Vec<&str> = vocabulary.split(' ').collect();
        let outcomes = ["upheld", "rejected", "partly_upheld"];
        let mut published = Vec::new();
        for i in 0..30usize {
            let summary = format!("Storing van het internet {} {}", words[i], words[i * 3 % 60]);
            let body = format!(
                "De consument meldt storingen. {} Het internet viel uit.",
                words[i * 5 % 200..i * 5 % 200 + 40 + i].join(" ")
            );
            published.push(publish_text(
                conn,
                case_id,
                &format!("P{i}"),
                (&summary, &body, outcomes[i % 3]),
                now - TimeDelta::minutes(100 - (i as i64 % 17) * 3 - i as i64 / 17),
            ));
        }
        let searches: Vec<String> = [
            "storing",
            "internet",
            "storingen internet",
            "internet internet",
            "storing or internet",
        ]
        .into_iter()
        .map(String::from)
        .chain(words[..12].iter().map(|w| w.to_string()))
        .chain((0..8).map(|i| format!("{} {}", words[i], words[i + 7])))
        .chain((0..4).map(|i| format!("{} {} internet", words[i * 2], words[i * 3 + 1])))
        .chain(["de het".to_string(), "onbekendwoord".to_string()])
        .collect();
        let compare = |conn: &mut DbConnection| {
            if !postgres {
                return;
            }
            assert_eq!(postings_out_of_step(conn), 0, "the postings mirror the vectors");
            for q in &searches {
                for outcome in ["", "upheld"] {
                    for ranked in [3, 1_000] {
                        let raw = search::RawSearch {
                            q: q.clone(),
                            outcome: outcome.into(),
                            ..Default::default()
                        };
                        let ranking = rank_matches(conn, &search::parse(&raw), ranked, None).unwrap();
                        assert_eq!(
                            (ranking.ids, ranking.ranking_limited),
                            ranked_through_vectors(conn, q, outcome, ranked),
                            "{q:?} {outcome:?} ranking {ranked}"
                        );
                    }
                }
            }
        };
        compare(conn);
        // The searches are not all empty: the oracle finds what the comparison compares.
        if postgres {
            assert_eq!(ranked_through_vectors(conn, "internet", "", 1_000).0.len(), 30);
            assert!(
                !ranked_through_vectors(conn, &format!("{} {}", words[0], words[7]), "", 1_000)
                    .0
                    .is_empty()
            );
        }

        // Withdrawn, published again, edited: the postings follow in the same transaction.
        let found = |conn: &mut DbConnection, q: &str| {
            let raw = search::RawSearch {
                q: q.into(),
                ..Default::default()
            };
            let ranking = rank_matches(conn, &search::parse(&raw), 1_000, None).unwrap();
            ranking.ids
        };
        set_published(conn, published[4], false, secretariat, now).unwrap();
        assert!(!found(conn, "internet").contains(&published[4]));
        compare(conn);
        set_published(conn, published[4], true, secretariat, now).unwrap();
        assert!(found(conn, "internet").contains(&published[4]));
        save_text(
            conn,
            published[9],
            "Vergoeding na een verhuizing",
            "De commissie beslist.",
            secretariat,
            now,
        )
        .unwrap();
        assert_eq!(found(conn, "verhuizing"), vec![published[9]]);
        assert!(!found(conn, "internet").contains(&published[9]));
        compare(conn);
        // A ruling deleted from the register's table leaves no postings.
        diesel::delete(geschillenportaal::db::schema::published_rulings::table.find(published[9]))
            .execute(conn)
            .unwrap();
        assert!(found(conn, "verhuizing").is_empty());
        compare(conn);
    })
    .await;
}

/// The register's search answers of a few kinds, as references in their order.
async fn register_answers(app: &crate::helpers::TestApp) -> Vec<Vec<String>> {
    app.with_db(|conn| {
        use geschillenportaal::publication::{search, search_register};
        ["storing", "rekening", "storing rekening", "aansluiting commissie", ""]
            .iter()
            .map(|q| {
                let raw = search::RawSearch {
                    q: (*q).into(),
                    ..Default::default()
                };
                let page = search_register(conn, &search::parse(&raw)).unwrap();
                page.items.into_iter().map(|r| r.reference).collect()
            })
            .collect()
    })
    .await
}

#[tokio::test]
async fn the_worker_merges_the_register_word_index_once_the_register_is_quiet_and_every_search_finds_the_same() {
    use geschillenportaal::jobs::worker::register_index_upkeep;
    use geschillenportaal::publication::index_upkeep::{IndexUpkeep, MergeProgress, QUIET, merge_index};
    let app = spawn_app().await;
    let sqlite = !app.settings.database_url.starts_with("postgres");
    let case_id = app.seed_case().await.case_id;
    let now = Utc::now().naive_utc().with_nanosecond(0).unwrap();
    // Published a ruling at a time, as a live register grows: on SQLite each is a piece of the index
    // of its own until FTS5 merges them (four at a time).
    let publish = |i: i64, at: NaiveDateTime| {
        app.with_db(move |conn| {
            let summary = if i % 3 == 0 {
                "Storing bij de aansluiting"
            } else {
                "Uitspraak over de rekening"
            };
            let body = format!(
                "{}De commissie beslist over de rekening.",
                "Een storing. ".repeat((i % 5) as usize)
            );
            let outcome = if i % 2 == 0 { "upheld" } else { "rejected" };
            publish_text(conn, case_id, &format!("R{i}"), (summary, &body, outcome), at);
        })
    };
    for i in 0..30 {
        publish(i, now - TimeDelta::minutes(100 - i)).await;
    }
    let before = register_answers(&app).await;
    assert!(before.iter().all(|answer| answer.len() >= 5), "{before:?}");

    let context = app.worker_context();
    let mut upkeep = IndexUpkeep::default();
    let merged = register_index_upkeep(&context, &mut upkeep, now).await.unwrap();
    assert_eq!(merged, None, "a worker that has just started waits for a quiet hour");
    let merged = register_index_upkeep(&context, &mut upkeep, now + QUIET - TimeDelta::seconds(1))
        .await
        .unwrap();
    assert_eq!(merged, None);
    // On SQLite the worker merges, into one piece; PostgreSQL's index needs no merging by it.
    let merged_into_one = |merged: Option<MergeProgress>| match merged {
        Some(merged) => sqlite && merged.finished && merged.slices > 0,
        None => !sqlite,
    };
    let merged = register_index_upkeep(&context, &mut upkeep, now + QUIET).await.unwrap();
    assert!(merged_into_one(merged), "due after a quiet hour: {merged:?}");
    let again = app
        .with_db(|conn| merge_index(conn, std::time::Duration::from_secs(5)).unwrap())
        .await;
    let nothing_left = MergeProgress {
        slices: 0,
        finished: true,
    };
    assert_eq!(again, nothing_left, "a merge by hand finds nothing left to do");
    assert_eq!(
        register_answers(&app).await,
        before,
        "merged, every search answers as before"
    );

    // Not again until the register has changed and been quiet for an hour again.
    let merged = register_index_upkeep(&context, &mut upkeep, now + QUIET * 3)
        .await
        .unwrap();
    assert_eq!(merged, None);
    publish(30, now).await;
    let changed = now + QUIET * 3 + TimeDelta::minutes(1);
    let merged = register_index_upkeep(&context, &mut upkeep, changed).await.unwrap();
    assert_eq!(merged, None, "changed: the quiet hour starts again");
    let merged = register_index_upkeep(&context, &mut upkeep, changed + QUIET)
        .await
        .unwrap();
    assert!(merged_into_one(merged), "quiet again: {merged:?}");
    let after = register_answers(&app).await;
    assert!(after[0].contains(&"R30".to_owned()), "{after:?}");
    assert_eq!(after[4][0], "R30", "newest first");
}

/// The references and provider names of the register's API answer for `query` at `base`.
async fn register_answer(base: &str, query: &str) -> Vec<(String, String)> {
    let answer: Value = reqwest::get(format!("{base}/api/v1/rulings?{query}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["rulings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["reference"].as_str().unwrap().to_owned(),
                r["provider_name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn each_node_keeps_register_answers_only_until_a_ruling_a_provider_name_or_a_scheme_changes() {
    use geschillenportaal::db::schema::providers;
    use geschillenportaal::publication::{cache, save_text, set_published};
    let app = spawn_app().await;
    // A second node on the same database, as behind a load balancer.
    let other = geschillenportaal::startup::Application::build(app.settings.clone())
        .await
        .expect("second node builds");
    let other_url = other.url();
    tokio::spawn(other.run_until_stopped());
    let case_id = app.seed_case().await.case_id;
    let (ruling, provider_id, secretariat, revision) = app
        .with_db(move |conn| {
            let now = Utc::now().naive_utc().with_nanosecond(0).unwrap();
            let before = cache::revision(conn).unwrap();
            let texts = ("Glasvezelstoring na verhuizing", "De commissie beslist.", "upheld");
            let ruling = publish_text(conn, case_id, "TEL-2026-000901", texts, now);
            assert!(
                cache::revision(conn).unwrap() > before,
                "publishing changes the revision"
            );
            let provider_id: i64 = cases::table
                .find(case_id)
                .select(cases::provider_id)
                .first(conn)
                .unwrap();
            let secretariat: i64 = users::table
                .filter(users::email.eq(SECRETARIAT))
                .select(users::id)
                .first(conn)
                .unwrap();
            (ruling, provider_id, secretariat, cache::revision(conn).unwrap())
        })
        .await;
    let nodes = [app.address.clone(), other_url];
    let name_before: String = app
        .with_db(move |conn| {
            providers::table
                .find(provider_id)
                .select(providers::legal_name)
                .first(conn)
                .unwrap()
        })
        .await;
    let found = vec![("TEL-2026-000901".to_owned(), name_before.clone())];
    for node in &nodes {
        // Twice: the second answer comes from the node's kept answers.
        for _ in 0..2 {
            assert_eq!(register_answer(node, "q=glasvezelstoring").await, found, "{node}");
            assert_eq!(register_answer(node, "sort=date").await, found, "{node}");
        }
    }
    // Reading does not change the revision.
    assert_eq!(app.with_db(|conn| cache::revision(conn).unwrap()).await, revision);

    // Withdrawn (on neither node's HTTP path): gone from both nodes at once.
    app.with_db(move |conn| set_published(conn, ruling, false, secretariat, Utc::now().naive_utc()).unwrap())
        .await;
    for node in &nodes {
        assert_eq!(register_answer(node, "q=glasvezelstoring").await, vec![], "{node}");
        assert_eq!(register_answer(node, "sort=date").await, vec![], "{node}");
    }
    // Published again, then its text edited: the old word finds nothing, the new one finds it.
    app.with_db(move |conn| {
        let now = Utc::now().naive_utc();
        set_published(conn, ruling, true, secretariat, now).unwrap();
        save_text(
            conn,
            ruling,
            "Opzegging na verhuizing",
            "De commissie beslist.",
            secretariat,
            now,
        )
        .unwrap();
    })
    .await;
    for node in &nodes {
        assert_eq!(register_answer(node, "q=glasvezelstoring").await, vec![], "{node}");
        assert_eq!(register_answer(node, "q=opzegging").await, found, "{node}");
    }
    // The provider renamed (a registry import): the new name on both nodes.
    app.with_db(move |conn| {
        diesel::update(providers::table.find(provider_id))
            .set(providers::legal_name.eq("Hernoemd Glasvezel B.V."))
            .execute(conn)
            .unwrap()
    })
    .await;
    let renamed = vec![("TEL-2026-000901".to_owned(), "Hernoemd Glasvezel B.V.".to_owned())];
    for node in &nodes {
        assert_eq!(register_answer(node, "q=opzegging").await, renamed, "{node}");
        assert!(
            reqwest::get(format!("{node}/uitspraken?q=opzegging"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .contains("Hernoemd Glasvezel B.V."),
            "{node}"
        );
    }
    // A scheme renamed: the page shows the new name.
    app.with_db(move |conn| {
        diesel::update(schemes::table.filter(schemes::code.eq("TEL")))
            .set(schemes::name.eq("Geschillencommissie Telecom (nieuw)"))
            .execute(conn)
            .unwrap()
    })
    .await;
    let answer: Value = reqwest::get(format!("{}/api/v1/rulings?q=opzegging", nodes[1]))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        answer["rulings"][0]["scheme_name"],
        "Geschillencommissie Telecom (nieuw)"
    );
}

#[tokio::test]
async fn a_typed_word_finds_the_rulings_of_each_word_it_starts_and_the_search_says_when_it_stood_for_too_many() {
    let app = spawn_app().await;
    let case_id = app.seed_case().await.case_id;
    let postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty());
    app.with_db(move |conn| {
        use geschillenportaal::publication::search::{self, WORDS_PER_SEARCH};
        use geschillenportaal::publication::{search_register, set_published, whole_words};
        let now = Utc::now().naive_utc().with_nanosecond(0).unwrap();
        let mut minutes = 1000;
        let mut publish = |conn: &mut DbConnection, reference: &str, summary: &str, body: &str| {
            minutes -= 1;
            publish_text(
                conn,
                case_id,
                reference,
                (summary, body, "upheld"),
                now - TimeDelta::minutes(minutes),
            )
        };
        publish(conn, "NET", "Uitspraak over het internet", "De commissie beslist.");
        publish(conn, "AANSLUITING", "Uitspraak over een internetaansluiting", "De commissie beslist.");
        publish(conn, "VERBINDING", "Uitspraak over een internetverbinding", "Het internet viel weg.");
        publish(conn, "ACCENTS", "Uitspraak over Zoëtel in Łódź", "Een café zonder bereik.");
        // "storing" and more continuations than a search looks for: "storingsmelding1" is in one
        // ruling, the others in two or more, so it is the one left out.
        publish(conn, "STORING", "Uitspraak over een storing", "De commissie beslist.");
        let continuations: Vec<String> = (1..=WORDS_PER_SEARCH).map(|i| format!("storingsmelding{i}")).collect();
        publish(conn, "RAREST", "Uitspraak", &continuations[0]);
        publish(conn, "OTHERS-1", "Uitspraak", &continuations[1..].join(" "));
        publish(conn, "OTHERS-2", "Uitspraak", &continuations[1..].join(" "));
        let found = |conn: &mut DbConnection, q: &str| {
            let page = search_register(
                conn,
                &search::parse(&search::RawSearch {
                    q: q.into(),
                    ..Default::default()
                }),
            )
            .unwrap();
            let mut references: Vec<String> = page.items.iter().map(|r| r.reference.clone()).collect();
            references.sort();
            (references, page.words_limited)
        };
        let list = |references: &[&str]| references.iter().map(|r| r.to_string()).collect::<Vec<_>>();

        // A word that starts nothing of the register finds nothing, on both backends.
        assert_eq!(found(conn, "xyzzy"), (vec![], false));
        assert_eq!(found(conn, "internet xyzzy"), (vec![], false));
        if postgres {
            // PostgreSQL searches Dutch word stems, not word starts: a compound is another word.
            assert_eq!(found(conn, "internet"), (list(&["NET", "VERBINDING"]), false));
            assert_eq!(whole_words(conn, "internet", 24).unwrap(), Default::default());
            return;
        }
        // The prefix stands for each word it starts, the word itself first.
        let words = |found: &search::WholeWords| found.words.iter().map(|w| (w.word.clone(), w.rulings)).collect::<Vec<_>>();
        let internet = whole_words(conn, "Internet", 24).unwrap();
        assert_eq!(
            words(&internet),
            [("internet".to_string(), 2), ("internetaansluiting".to_string(), 1), ("internetverbinding".to_string(), 1)]
        );
        assert!(!internet.cut);
        assert_eq!(found(conn, "internet"), (list(&["AANSLUITING", "NET", "VERBINDING"]), false));
        assert_eq!(found(conn, "internetv"), (list(&["VERBINDING"]), false));
        assert_eq!(found(conn, "internet beslist"), (list(&["AANSLUITING", "NET"]), false));
        // Diacritics and case do not matter, as in the index.
        for q in ["zoetel", "Zoë", "CAFÉ", "łódź", "Łodz"] {
            assert_eq!(found(conn, q), (list(&["ACCENTS"]), false), "{q}");
        }
        // Too many continuations: the word itself and the most frequent are searched, and the answer
        // says that some were left out; a longer prefix reaches the one left out.
        let storing = whole_words(conn, "storing", WORDS_PER_SEARCH).unwrap();
        assert!(storing.cut);
        assert_eq!(storing.words.len(), WORDS_PER_SEARCH);
        assert_eq!(storing.words[0].word, "storing");
        assert!(storing.words.iter().all(|w| w.word != "storingsmelding1"), "{storing:?}");
        assert_eq!(found(conn, "storing"), (list(&["OTHERS-1", "OTHERS-2", "STORING"]), true));
        assert_eq!(found(conn, "storingsmelding1"), (list(&["OTHERS-1", "OTHERS-2", "RAREST"]), false));

        // The words are counted as rulings come and go: a withdrawn ruling's words leave.
        let secretariat: i64 = users::table
            .filter(users::email.eq(SECRETARIAT))
            .select(users::id)
            .first(conn)
            .unwrap();
        let accents: i64 = {
            use geschillenportaal::db::schema::published_rulings as p;
            p::table.filter(p::reference.eq("ACCENTS")).select(p::id).first(conn).unwrap()
        };
        set_published(conn, accents, false, secretariat, now).unwrap();
        assert!(whole_words(conn, "zoetel", 24).unwrap().words.is_empty());
        assert_eq!(found(conn, "zoetel"), (vec![], false));
        set_published(conn, accents, true, secretariat, now).unwrap();
        assert_eq!(words(&whole_words(conn, "zoetel", 24).unwrap()), [("zoetel".to_string(), 1)]);

        // The register's ranking function gives bm25's scores, with the counts of the words table.
        #[derive(QueryableByName)]
        struct Scores {
            #[diesel(sql_type = diesel::sql_types::Double)]
            bm25: f64,
            #[diesel(sql_type = diesel::sql_types::Double)]
            register: f64,
        }
        let phrases = search::phrase_rulings(&[internet.clone(), whole_words(conn, "beslist", 12).unwrap()]).unwrap();
        let scores: Vec<Scores> = diesel::sql_query(
            "SELECT bm25(published_rulings_fts, 4.0, 1.0, 0.0) AS bm25, register_rank(published_rulings_fts, ?) AS register \
             FROM published_rulings_fts WHERE published_rulings_fts MATCH \
             '{summary body} : ((\"internet\" OR \"internetaansluiting\" OR \"internetverbinding\") AND (\"beslist\")) AND facets : (outcomeupheld)'",
        )
        .bind::<diesel::sql_types::Text, _>(phrases)
        .load(conn)
        .unwrap();
        assert_eq!(scores.len(), 2);
        for score in scores {
            assert!(score.bm25 < 0.0);
            assert!((score.bm25 - score.register).abs() < 1e-9, "{} {}", score.bm25, score.register);
        }

        // Given the register's revision, the connection keeps the matches' lengths for the next
        // searches of that revision; a ruling's text changed is a new revision, under which the kept
        // lengths are not used. The scores stay bm25's throughout.
        let compare = |conn: &mut DbConnection, revision: i64| {
            let scores: Vec<Scores> = diesel::sql_query(
                "SELECT bm25(published_rulings_fts, 4.0, 1.0, 0.0) AS bm25, register_rank(published_rulings_fts, ?, ?) AS register \
                 FROM published_rulings_fts WHERE published_rulings_fts MATCH '{summary body} : (\"internet\" OR \"beslist\")'",
            )
            .bind::<diesel::sql_types::Text, _>("2,3")
            .bind::<diesel::sql_types::BigInt, _>(revision)
            .load(conn)
            .unwrap();
            assert_eq!(scores.len(), 4);
            for score in &scores {
                assert!((score.bm25 - score.register).abs() < 1e-9, "{} {}", score.bm25, score.register);
            }
            scores.iter().map(|s| s.register).collect::<Vec<f64>>()
        };
        let revision = geschillenportaal::publication::cache::revision(conn).unwrap();
        let first = compare(conn, revision);
        assert_eq!(compare(conn, revision), first);
        diesel::sql_query(
            "UPDATE published_rulings SET body = body || ' Een lange toelichting die de uitspraak veel langer maakt dan de andere, \
             met nog meer woorden erbij zodat de lengte echt verschilt.' WHERE reference = 'NET'",
        )
        .execute(conn)
        .unwrap();
        let changed = geschillenportaal::publication::cache::revision(conn).unwrap();
        assert!(changed > revision);
        let after = compare(conn, changed);
        assert_ne!(after, first, "the longer ruling scores lower");
        // A search still on the old revision reads the lengths from the index too.
        assert_eq!(compare(conn, revision), after);
    })
    .await;
    let api = app
        .get("/api/v1/rulings?q=storing")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(api["words_limited"], !postgres, "{api}");
    let page = app.get_html("/uitspraken?q=storing").await;
    assert_eq!(
        page.contains("Alleen die welke in de meeste uitspraken voorkomen"),
        !postgres,
        "{page}"
    );
    let page = app.get_html("/uitspraken?q=internet").await;
    assert!(
        !page.contains("Alleen die welke in de meeste uitspraken voorkomen"),
        "{page}"
    );
}

#[tokio::test]
async fn the_register_and_the_api_say_when_a_word_matches_more_rulings_than_are_ranked() {
    use geschillenportaal::publication::search::RANKED_MATCHES;
    let app = spawn_app().await;
    let case_id = app.seed_case().await.case_id;
    let postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty());
    // "storing" is in 49 of 50 rulings, "roaming" in the other.
    app.with_db(move |conn| bulk_rulings(conn, case_id, RANKED_MATCHES + 100, postgres))
        .await;

    let api = |query: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/rulings?{query}"))
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let common = api("q=storing").await;
    assert_eq!(common["ranking_limited"], true, "{common}");
    assert_eq!(common["rulings"].as_array().unwrap().len(), 20);
    let rare = api("q=roaming").await;
    assert_eq!(rare["ranking_limited"], false, "{rare}");
    assert!(!rare["rulings"].as_array().unwrap().is_empty());
    let by_date = api("q=storing&sort=date").await;
    assert_eq!(by_date["ranking_limited"], false, "{by_date}");
    // Newest first over every match: the same as the register without words, less the other word's.
    let newest: Vec<Value> = [api("sort=date").await, api("sort=date&page=2").await]
        .iter()
        .flat_map(|page| page["rulings"].as_array().unwrap().clone())
        .filter(|r| r["summary"].as_str().unwrap().contains("storing"))
        .take(20)
        .collect();
    assert_eq!(by_date["rulings"].as_array().unwrap(), &newest);
    assert_eq!(api("").await["ranking_limited"], false);

    let page = app.get_html("/uitspraken?q=storing").await;
    assert!(
        page.contains(&format!(
            "Hieronder staan de best passende van de nieuwste {RANKED_MATCHES}"
        )),
        "{page}"
    );
    let page = app.get_html("/uitspraken?q=storing&sort=date").await;
    assert!(!page.contains("Hieronder staan de best passende"), "{page}");
}

#[tokio::test]
async fn the_pages_of_a_word_search_are_cut_from_one_ranking_kept_by_the_node() {
    use geschillenportaal::publication::search::{self, RawSearch};
    use geschillenportaal::publication::search_register;
    let app = spawn_app().await;
    let case_id = app.seed_case().await.case_id;
    let postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty());
    // "storing" is in 147 of the 150 rulings: eight pages, the last one short.
    app.with_db(move |conn| bulk_rulings(conn, case_id, 150, postgres))
        .await;
    let raw = |page: i64| RawSearch {
        q: "storing".into(),
        category: "billing".into(),
        page: page.to_string(),
        ..Default::default()
    };
    // Each page searched afresh, without the node's answers.
    let afresh: Vec<(Vec<String>, bool)> = app
        .with_db(move |conn| {
            (1..=5)
                .map(|page| {
                    let found = search_register(conn, &search::parse(&raw(page))).unwrap();
                    (found.items.into_iter().map(|r| r.reference).collect(), found.more)
                })
                .collect()
        })
        .await;
    assert_eq!(afresh[0].0.len(), 20);
    assert!(afresh[2].1 && !afresh[3].1, "{afresh:?}");
    assert!(afresh[4].0.is_empty());
    let mut references: Vec<&String> = afresh.iter().flat_map(|(page, _)| page).collect();
    references.sort();
    references.dedup();
    let matching: i64 = app
        .with_db(|conn| {
            use geschillenportaal::db::schema::published_rulings as p;
            p::table
                .filter(p::category.eq("billing").and(p::summary.like("%storing%")))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(references.len() as i64, matching, "each match on one page, none twice");

    let answer = |page: i64| {
        let app = &app;
        async move {
            let answer: Value = app
                .get(&format!("/api/v1/rulings?q=storing&category=billing&page={page}"))
                .await
                .json()
                .await
                .unwrap();
            let references: Vec<String> = answer["rulings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["reference"].as_str().unwrap().to_owned())
                .collect();
            (references, answer["more"].as_bool().unwrap())
        }
    };
    // The first page ranks (the revision, the ranking, the page's rulings; on SQLite also the index's
    // words); every other page is cut from that ranking: the revision and its rulings by id.
    let before = crate::budgets::statements_run(&app).await;
    assert_eq!(answer(1).await, afresh[0]);
    let first = crate::budgets::statements_run(&app).await - before;
    assert!(first >= 3, "the first page ran {first} statements");
    let mut fewest = u64::MAX;
    for page in 2..=5 {
        let before = crate::budgets::statements_run(&app).await;
        assert_eq!(answer(page).await, afresh[page as usize - 1], "page {page}");
        fewest = fewest.min(crate::budgets::statements_run(&app).await - before);
    }
    assert!(fewest <= 2, "a next page ran {fewest} statements");
}

fn plan_of_date_order(conn: &mut DbConnection, postgres: bool) -> String {
    plan(
        conn,
        postgres,
        "SELECT p.id FROM published_rulings p WHERE p.status = 'published' ORDER BY p.published_at DESC, p.id DESC LIMIT 21",
    )
}

/// A case imported in `state` with the given events (kind, to_state, actor_role, day, detail).
#[expect(clippy::too_many_arguments, reason = "the facts of one test case")]
fn case_with_events(
    conn: &mut DbConnection,
    scheme_id: i64,
    rules_id: i64,
    consumer_id: i64,
    provider_id: i64,
    category: &str,
    submitted: &str,
    events: &[(&str, &str, &str, &str, Value)],
) -> i64 {
    let day = |d: &str| {
        NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap()
    };
    let submitted_at = day(submitted);
    let reference_prefix: String = schemes::table
        .find(scheme_id)
        .select(schemes::reference_prefix)
        .first(conn)
        .unwrap();
    let (case_id, _) = geschillenportaal::cases::import_case(
        conn,
        geschillenportaal::cases::ImportedCase {
            scheme_id,
            reference_prefix: &reference_prefix,
            rules_id,
            consumer_id,
            provider_id,
            category,
            language: "nl",
            state: "submitted",
            state_due_on: None,
            contract_date: None,
            written_complaint_date: submitted_at.date() - TimeDelta::days(40),
            written_complaint_channel: "email",
            claim_cents: Some(10_000),
            desired_outcome: "",
            description: "",
            fee_cents: 5000,
            fee_status: "due",
            complete_on: None,
            outcome_due_on: None,
            submitted_at,
        },
        None,
        submitted_at,
    )
    .unwrap();
    let mut last_state = "submitted".to_owned();
    for (kind, to, role, at, detail) in events {
        diesel::insert_into(case_events::table)
            .values((
                case_events::case_id.eq(case_id),
                case_events::at.eq(day(at)),
                case_events::actor_role.eq(*role),
                case_events::kind.eq(*kind),
                case_events::from_state.eq(Some(last_state.clone())),
                case_events::to_state.eq(Some(*to)),
                case_events::detail.eq(detail.to_string()),
            ))
            .execute(conn)
            .unwrap();
        last_state = (*to).to_owned();
    }
    let closed = events
        .last()
        .map(|e| day(e.3))
        .filter(|_| ["refused", "withdrawn", "not_admissible", "closed"].contains(&last_state.as_str()));
    diesel::update(cases::table.find(case_id))
        .set((cases::state.eq(&last_state), cases::closed_at.eq(closed)))
        .execute(conn)
        .unwrap();
    // As every writer of a case's history does (the transition function, filing, import).
    aggregates::mark(conn, case_id, submitted_at).unwrap();
    case_id
}

fn issue(conn: &mut DbConnection, case_id: i64, outcome: &str, at: &str) {
    let at = NaiveDate::parse_from_str(at, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(9, 0, 0)
        .unwrap();
    let by: i64 = users::table
        .filter(users::email.eq(SECRETARIAT))
        .select(users::id)
        .first(conn)
        .unwrap();
    diesel::insert_into(rulings::table)
        .values((
            rulings::case_id.eq(case_id),
            rulings::status.eq("issued"),
            rulings::outcome.eq(outcome),
            rulings::reasoning.eq("…"),
            rulings::summary.eq("…"),
            rulings::language.eq("nl"),
            rulings::drafted_by.eq(by),
            rulings::issued_at.eq(Some(at)),
            rulings::created_at.eq(at),
            rulings::updated_at.eq(at),
        ))
        .execute(conn)
        .unwrap();
    aggregates::mark(conn, case_id, at).unwrap();
}

#[tokio::test]
async fn the_yearly_report_matches_a_hand_counted_set_of_cases() {
    let app = spawn_app().await;
    let seeded = app.seed_case().await;
    let seeded_id = seeded.case_id;
    app.with_db(move |conn| {
        let (scheme_id, rules_id, consumer_id, provider_id) = crate::helpers::case_template(conn, seeded_id);
        // The seeded case was filed today, outside 2025. Ten more, counted by hand below.
        let mut make = |category: &str, submitted: &str, events: &[(&str, &str, &str, &str, Value)]| {
            case_with_events(
                conn,
                scheme_id,
                rules_id,
                consumer_id,
                provider_id,
                category,
                submitted,
                events,
            )
        };
        let e = json!({});
        make(
            "billing",
            "2025-01-10",
            &[(
                "refuse",
                "refused",
                "secretariat",
                "2025-01-20",
                json!({ "ground": "filing_limit" }),
            )],
        );
        make(
            "billing",
            "2025-02-10",
            &[(
                "refuse",
                "refused",
                "secretariat",
                "2025-02-20",
                json!({ "ground": "filing_limit" }),
            )],
        );
        make(
            "outage_speed",
            "2025-03-01",
            &[
                (
                    "request_information",
                    "information_requested",
                    "secretariat",
                    "2025-03-02",
                    e.clone(),
                ),
                ("information_term_expired", "refused", "system", "2025-03-20", e.clone()),
            ],
        );
        make(
            "outage_speed",
            "2025-03-05",
            &[
                (
                    "accept_complete",
                    "awaiting_defence",
                    "secretariat",
                    "2025-03-10",
                    e.clone(),
                ),
                ("accept_settlement", "settled", "consumer", "2025-04-09", e.clone()),
                ("close", "closed", "system", "2025-04-10", e.clone()),
            ],
        );
        let ruled = make(
            "billing",
            "2025-04-01",
            &[
                (
                    "accept_complete",
                    "awaiting_defence",
                    "secretariat",
                    "2025-04-01",
                    e.clone(),
                ),
                (
                    "submit_defence",
                    "awaiting_reply",
                    "provider_staff",
                    "2025-04-20",
                    e.clone(),
                ),
                ("issue_ruling", "ruled", "mediator", "2025-06-10", e.clone()),
                ("start_compliance", "in_compliance", "system", "2025-06-11", e.clone()),
                ("confirm_compliance", "closed", "consumer", "2025-07-01", e.clone()),
            ],
        );
        issue(conn, ruled, "upheld", "2025-06-10");
        let mut make = |category: &str, submitted: &str, events: &[(&str, &str, &str, &str, Value)]| {
            case_with_events(
                conn,
                scheme_id,
                rules_id,
                consumer_id,
                provider_id,
                category,
                submitted,
                events,
            )
        };
        let rejected = make(
            "contract_switching",
            "2025-05-01",
            &[
                (
                    "accept_complete",
                    "awaiting_defence",
                    "secretariat",
                    "2025-05-01",
                    e.clone(),
                ),
                ("issue_ruling", "ruled", "mediator", "2025-08-29", e.clone()),
                ("close", "closed", "system", "2025-08-30", e.clone()),
            ],
        );
        issue(conn, rejected, "rejected", "2025-08-29");
        let mut make = |category: &str, submitted: &str, events: &[(&str, &str, &str, &str, Value)]| {
            case_with_events(
                conn,
                scheme_id,
                rules_id,
                consumer_id,
                provider_id,
                category,
                submitted,
                events,
            )
        };
        make(
            "billing",
            "2025-06-01",
            &[(
                "withdraw",
                "withdrawn",
                "consumer",
                "2025-06-05",
                json!({ "reason": "solved_with_provider" }),
            )],
        );
        let unpaid = make(
            "billing",
            "2025-07-01",
            &[
                (
                    "accept_complete",
                    "awaiting_defence",
                    "secretariat",
                    "2025-07-01",
                    e.clone(),
                ),
                ("issue_ruling", "ruled", "mediator", "2025-09-09", e.clone()),
                ("start_compliance", "in_compliance", "system", "2025-09-10", e.clone()),
                (
                    "compliance_term_expired",
                    "guarantee_claim",
                    "system",
                    "2025-10-10",
                    e.clone(),
                ),
            ],
        );
        issue(conn, unpaid, "partly_upheld", "2025-09-09");
        let mut make = |category: &str, submitted: &str, events: &[(&str, &str, &str, &str, Value)]| {
            case_with_events(
                conn,
                scheme_id,
                rules_id,
                consumer_id,
                provider_id,
                category,
                submitted,
                events,
            )
        };
        // Filed in 2024, not admissible in 2025; filed in 2025, refused in 2026; still running.
        make(
            "privacy",
            "2024-11-01",
            &[
                (
                    "accept_complete",
                    "awaiting_defence",
                    "secretariat",
                    "2024-11-02",
                    e.clone(),
                ),
                (
                    "declare_not_admissible",
                    "not_admissible",
                    "mediator",
                    "2025-01-15",
                    e.clone(),
                ),
            ],
        );
        make(
            "billing",
            "2025-12-28",
            &[(
                "refuse",
                "refused",
                "secretariat",
                "2026-01-05",
                json!({ "ground": "filing_limit" }),
            )],
        );
        make("billing", "2025-12-30", &[]);
    })
    .await;

    let secretariat = app.client_for(SECRETARIAT).await;
    let page = secretariat
        .get(app.url("/secretariaat/jaarverslag?scheme=TEL&year=2025"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("<svg"), "charts are on the page");
    let csv = secretariat
        .get(app.url("/secretariaat/jaarverslag.csv?scheme=TEL&from=2025-01-01&until=2026-01-01"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Received in 2025: ten (not the 2024 one, not the seeded one of today); seven about billing.
    for expected in [
        "received;total;10;;",
        "received_by_category;billing;7;10;70,0",
        "received_by_category;outage_speed;2;10;20,0",
        "received_by_category;contract_switching;1;10;10,0",
        // Refusals in 2025: two out of time, one information not given (the 2026 one not).
        "refused;total;3;10;30,0",
        "refused_by_ground;filing_limit;2;3;66,7",
        "refused_by_ground;information_not_provided;1;3;33,3",
        // Ended in 2025: 3 refused, settled, 3 ruled, withdrawn, not admissible = 9; 2 discontinued.
        "ended;total;9;;",
        "discontinued;total;2;9;22,2",
        "discontinued_by_reason;not_admissible;1;2;50,0",
        "discontinued_by_reason;solved_with_provider;1;2;50,0",
        "outcome;partly_upheld;1;;",
        "outcome;rejected;1;;",
        "outcome;settled;1;;",
        "outcome;upheld;1;;",
        // Durations 30, 70, 120, 70 days: mean 72,5, median 70.
        "duration_days;cases;4;;",
        "duration_days;average_tenths;725;;",
        "duration_days;median;70;;",
        "complied;total;1;2;50,0",
    ] {
        assert!(csv.contains(&format!("{expected}\n")), "{expected} missing in:\n{csv}");
    }
    // Without a scheme the page offers the choice; a period that is not one is refused.
    let choose = secretariat
        .get(app.url("/secretariaat/jaarverslag"))
        .send()
        .await
        .unwrap();
    assert_eq!(choose.status(), 200);
    assert!(choose.text().await.unwrap().contains("name=\"scheme\""));
    let bad = secretariat
        .get(app.url("/secretariaat/jaarverslag?scheme=TEL&year=twintig"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    app.with_db(|conn| {
        diesel::update(users::table.filter(users::email.eq(SECRETARIAT)))
            .set(users::language.eq("pl"))
            .execute(conn)
            .unwrap();
    })
    .await;
    let polish = secretariat
        .get(app.url("/secretariaat/jaarverslag?scheme=TEL&year=2025"))
        .send()
        .await
        .unwrap();
    assert_eq!(polish.status(), 200);
    assert!(polish.text().await.unwrap().contains("Roczne sprawozdanie"));
    // Only the secretariat sees the report.
    let staff = app.client_for(STAFF).await;
    assert_eq!(
        staff
            .get(app.url("/secretariaat/jaarverslag?scheme=TEL"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // The provider's public page and the scheme comparison show the figures with charts.
    let provider_id: i64 = app
        .with_db(move |conn| {
            cases::table
                .find(seeded_id)
                .select(cases::provider_id)
                .first(conn)
                .unwrap()
        })
        .await;
    let public = app.get_html(&format!("/aanbieders/{provider_id}")).await;
    assert!(
        public.contains("Glasvezel Aanbieder B.V.") && public.contains("<svg"),
        "{public}"
    );
    assert_eq!(app.get("/statistieken").await.status(), 200);
    assert_eq!(app.get("/aanbieders/999999").await.status(), 404);
    let comparison = app.get_html("/statistieken?scheme=TEL").await;
    assert!(
        comparison.contains("Glasvezel Aanbieder B.V.") && comparison.contains("<svg"),
        "{comparison}"
    );
    let dashboard = staff
        .get(app.url("/dashboard"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        dashboard.contains("my-statistics-heading"),
        "the provider sees its figures: {dashboard}"
    );
}

/// A chunk of cases read at a time by the statistics and the report, small enough that the cases
/// below cross many chunk boundaries.
const TINY_CHUNKS: [usize; 4] = [1, 2, 3, 7];

fn histories_in_chunks(conn: &mut DbConnection, filter: Filter, chunk: usize) -> Vec<CaseHistory> {
    let mut read = Vec::new();
    queries::for_each_history(conn, filter, chunk, |case| read.push(case)).unwrap();
    read
}

#[tokio::test]
async fn the_figures_and_the_report_read_a_few_cases_at_a_time_equal_those_of_all_cases_at_once() {
    let app = spawn_app().await;
    let seeded = app.seed_case().await;
    let seeded_id = seeded.case_id;
    app.with_db(move |conn| {
        let (tel, tel_rules, consumer_id, provider_id) = crate::helpers::case_template(conn, seeded_id);
        let now = Utc::now().naive_utc();
        let today = now.date();
        let (ict, ict_rules) = crate::helpers::second_scheme(conn, now);
        let second_provider = crate::helpers::provider(conn, "87654321", now);
        let e = json!({});
        let mut ruled_twice = 0;
        // 30 cases over the last year, by turns of the two providers, every third in the other
        // scheme, with every kind of history: running, settled, ruled and complied with or not,
        // refused, withdrawn; some rated.
        for n in 0..30_i64 {
            let (scheme, rules) = if n % 3 == 2 { (ict, ict_rules) } else { (tel, tel_rules) };
            let provider = if n % 2 == 0 { provider_id } else { second_provider };
            let received = today - TimeDelta::days(10 * n + 50);
            let on = |days: i64| (received + TimeDelta::days(days)).format("%Y-%m-%d").to_string();
            let moves: Vec<(&str, &str, &str, String, Value)> = match n % 5 {
                0 => vec![],
                1 => vec![
                    ("accept_complete", "awaiting_defence", "secretariat", on(1), e.clone()),
                    (
                        "submit_defence",
                        "awaiting_reply",
                        "provider_staff",
                        on(1 + n),
                        e.clone(),
                    ),
                    ("accept_settlement", "settled", "consumer", on(35), e.clone()),
                    ("close", "closed", "system", on(36), e.clone()),
                ],
                2 => vec![
                    ("accept_complete", "awaiting_defence", "secretariat", on(1), e.clone()),
                    ("issue_ruling", "ruled", "mediator", on(30), e.clone()),
                    ("start_compliance", "in_compliance", "system", on(31), e.clone()),
                    if n % 2 == 0 {
                        ("confirm_compliance", "closed", "consumer", on(40), e.clone())
                    } else {
                        (
                            "compliance_term_expired",
                            "guarantee_claim",
                            "system",
                            on(40),
                            e.clone(),
                        )
                    },
                ],
                3 => vec![(
                    "refuse",
                    "refused",
                    "secretariat",
                    on(3),
                    json!({ "ground": "filing_limit" }),
                )],
                _ => vec![(
                    "withdraw",
                    "withdrawn",
                    "consumer",
                    on(2),
                    json!({ "reason": "solved_with_provider" }),
                )],
            };
            let moves: Vec<(&str, &str, &str, &str, Value)> = moves
                .iter()
                .map(|(kind, to, role, at, detail)| (*kind, *to, *role, at.as_str(), detail.clone()))
                .collect();
            let category = ["billing", "outage_speed", "privacy"][n as usize % 3];
            let id = case_with_events(conn, scheme, rules, consumer_id, provider, category, &on(0), &moves);
            if n % 5 == 2 {
                issue(
                    conn,
                    id,
                    ["upheld", "rejected", "partly_upheld"][n as usize % 3],
                    &on(30),
                );
            }
            if n == 7 {
                // Issued again later: the last issued ruling is the one that counts.
                issue(conn, id, "upheld", &on(32));
                ruled_twice = id;
            }
            if n % 4 == 0 {
                diesel::insert_into(ratings::table)
                    .values((
                        ratings::case_id.eq(id),
                        ratings::provider_id.eq(provider),
                        ratings::score.eq(1 + (n % 5) as i32),
                        ratings::created_at.eq(now - TimeDelta::days(n)),
                    ))
                    .execute(conn)
                    .unwrap();
            }
        }
        // Received before the period: one closed before it (not read), one still open (read, not counted).
        let long_ago = |days: i64| (today - TimeDelta::days(days)).format("%Y-%m-%d").to_string();
        let closed_day = long_ago(400);
        case_with_events(
            conn,
            tel,
            tel_rules,
            consumer_id,
            provider_id,
            "billing",
            &long_ago(420),
            &[("withdraw", "withdrawn", "consumer", closed_day.as_str(), e.clone())],
        );
        case_with_events(
            conn,
            tel,
            tel_rules,
            consumer_id,
            provider_id,
            "billing",
            &long_ago(420),
            &[],
        );

        let filter = |scheme: i64| Filter {
            provider_id: None,
            scheme_id: Some(scheme),
            from: now - TimeDelta::days(365),
            until: now,
        };
        let (from_day, until_day) = ((now - TimeDelta::days(365)).date(), today + TimeDelta::days(1));
        let tel_cases = histories_in_chunks(conn, filter(tel), 100_000);
        let ict_cases = histories_in_chunks(conn, filter(ict), 100_000);
        // TEL: 20 of the 30, the seeded case and the one still open from before the period.
        assert_eq!((tel_cases.len(), ict_cases.len()), (22, 10));
        let ruled = tel_cases.iter().find(|c| c.ruling.is_some()).unwrap();
        assert_eq!(ruled.events.len(), 5, "imported and four moves: {ruled:?}");
        for chunk in TINY_CHUNKS {
            assert_eq!(
                histories_in_chunks(conn, filter(tel), chunk),
                tel_cases,
                "chunks of {chunk}"
            );
        }
        let ruled_twice = histories_in_chunks(conn, filter(tel), 1)
            .into_iter()
            .find(|c| c.case_id == ruled_twice)
            .unwrap();
        assert_eq!(
            ruled_twice.ruling,
            Some((
                "upheld".to_owned(),
                (today - TimeDelta::days(10 * 7 + 50 - 32))
                    .and_hms_opt(9, 0, 0)
                    .unwrap()
            )),
            "the later of two issued rulings"
        );

        // The scheme's figures, read a few cases at a time, equal those of all its cases at once.
        let scores: Vec<(i64, i64, i32)> = ratings::table
            .inner_join(cases::table)
            .filter(ratings::created_at.ge(now - TimeDelta::days(365)))
            .filter(ratings::created_at.lt(now))
            .select((cases::scheme_id, ratings::provider_id, ratings::score))
            .load(conn)
            .unwrap();
        let scores_of = |scheme: Option<i64>, provider: Option<i64>| -> Vec<i32> {
            scores
                .iter()
                .filter(|(s, p, _)| scheme.is_none_or(|x| x == *s) && provider.is_none_or(|x| x == *p))
                .map(|r| r.2)
                .collect()
        };
        let of_provider = |cases: &[CaseHistory], provider: i64| -> Vec<CaseHistory> {
            cases.iter().filter(|c| c.provider_id == provider).cloned().collect()
        };
        let total = figures(&tel_cases, &scores_of(Some(tel), None), from_day, until_day);
        // Six of the ratings are of TEL's cases; the one given at the end of the period (`now`) is not in it.
        assert_eq!((total.cases, total.ratings), (21, 5), "{total:?}");
        assert!(total.settled.count > 0 && total.upheld.of > 0 && total.complied.of > 0);
        for chunk in TINY_CHUNKS.into_iter().chain([2000]) {
            let folded = scheme_figures_in_chunks(conn, tel, now, chunk).unwrap();
            assert_eq!(folded.total, total, "chunks of {chunk}");
            assert_eq!(folded.providers.len(), 2);
            for provider in [provider_id, second_provider] {
                assert_eq!(
                    folded.providers[&provider].1,
                    figures(
                        &of_provider(&tel_cases, provider),
                        &scores_of(Some(tel), Some(provider)),
                        from_day,
                        until_day
                    ),
                    "provider {provider}, chunks of {chunk}"
                );
            }
        }

        // A provider with cases in both schemes is compared with the two schemes together.
        let both: Vec<CaseHistory> = tel_cases.iter().chain(&ict_cases).cloned().collect();
        let comparison = compare(conn, &FiguresCache::default(), second_provider, now).unwrap();
        assert_eq!(
            comparison.provider,
            figures(
                &of_provider(&both, second_provider),
                &scores_of(None, Some(second_provider)),
                from_day,
                until_day
            )
        );
        assert_eq!(
            comparison.sector,
            figures(&both, &scores_of(None, None), from_day, until_day)
        );
        assert_eq!(comparison.sector.cases, 31);

        // The yearly report likewise.
        let report = report::compute(&tel_cases, from_day, until_day);
        assert!(report.refused.count > 0 && report.discontinued.count > 0 && report.duration_cases > 0);
        for chunk in TINY_CHUNKS {
            let mut tally = ReportTally::new(from_day, until_day);
            queries::for_each_history(conn, filter(tel), chunk, |case| tally.add_case(&case)).unwrap();
            assert_eq!(tally.finish(), report, "chunks of {chunk}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_openapi_document_matches_its_snapshot_and_is_served() {
    let app = spawn_app().await;
    let generated = geschillenportaal::openapi::document();
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json");
    if std::env::var("UPDATE_SNAPSHOTS").is_ok() {
        std::fs::write(&path, format!("{generated}\n")).unwrap();
    }
    let snapshot = std::fs::read_to_string(&path).expect("docs/openapi.json exists (UPDATE_SNAPSHOTS=1 writes it)");
    assert_eq!(
        snapshot.trim_end(),
        generated,
        "the API changed: review it and run the test with UPDATE_SNAPSHOTS=1"
    );
    let served = app.get("/api/v1/openapi.json").await.text().await.unwrap();
    assert_eq!(served, generated);
    let document: Value = serde_json::from_str(&served).unwrap();
    for path in [
        "/api/v1/me",
        "/api/v1/registry/providers",
        "/api/v1/rulings",
        "/api/v1/rulings/{reference}",
    ] {
        assert!(document["paths"][path].is_object(), "{path}");
    }
    let docs = app.get_html("/api/v1/docs").await;
    assert!(docs.contains("/api/v1/rulings") && !docs.contains("<script"));
}

/// Every `#[get("/api/v1…")]`, `#[post(…)]`, `#[put(…)]`, `#[patch(…)]` and `#[delete(…)]` route in
/// `src/` is described in the OpenAPI document (only the document and its HTML page are not), so a new
/// endpoint cannot be forgotten.
#[test]
fn every_api_route_in_the_source_is_in_the_openapi_document() {
    fn walk(dir: &std::path::Path, found: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                for line in source.lines() {
                    for method in ["get", "post", "put", "patch", "delete"] {
                        let Some(rest) = line.trim().strip_prefix(&format!("#[{method}(\"/api/v1")) else {
                            continue;
                        };
                        let route = rest.split('"').next().unwrap();
                        found.push((method.to_owned(), format!("/api/v1{route}")));
                    }
                }
            }
        }
    }
    let mut routes = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut routes,
    );
    assert!(routes.len() >= 20, "the walk finds the API routes: {routes:?}");
    let document: Value = serde_json::from_str(&geschillenportaal::openapi::document()).unwrap();
    let missing: Vec<String> = routes
        .iter()
        .filter(|(_, path)| path != "/api/v1/openapi.json" && path != "/api/v1/docs")
        .filter(|(method, path)| !document["paths"][path.as_str()][method.as_str()].is_object())
        .map(|(method, path)| format!("{} {path}", method.to_uppercase()))
        .collect();
    assert!(
        missing.is_empty(),
        "add #[utoipa::path] and register in src/openapi.rs: {missing:?}"
    );
}

/// A downloaded document is one of the accepted kinds: the document lists exactly those.
#[test]
fn the_document_download_lists_every_accepted_content_type() {
    let document: Value = serde_json::from_str(&geschillenportaal::openapi::document()).unwrap();
    let content = &document["paths"]["/api/v1/cases/{id}/documents/{document}"]["get"]["responses"]["200"]["content"];
    let mut documented: Vec<&str> = content.as_object().unwrap().keys().map(String::as_str).collect();
    let mut accepted: Vec<&str> = geschillenportaal::documents::ACCEPTED.iter().map(|(t, _)| *t).collect();
    documented.sort_unstable();
    accepted.sort_unstable();
    assert_eq!(documented, accepted);
}

/// A received request: its headers (lower-case names) and its body.
type Request = (Vec<(String, String)>, String);

/// A tiny HTTP receiver on loopback: answers 200 and keeps every request (headers, body).
struct Receiver {
    requests: std::sync::Arc<std::sync::Mutex<Vec<Request>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    async fn start(port: u16) -> Self {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let kept = kept.clone();
                tokio::spawn(async move {
                    let mut reader = BufReader::new(stream);
                    loop {
                        let mut headers = Vec::new();
                        let mut line = String::new();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        loop {
                            let mut header = String::new();
                            reader.read_line(&mut header).await.unwrap();
                            let header = header.trim_end().to_owned();
                            if header.is_empty() {
                                break;
                            }
                            if let Some((k, v)) = header.split_once(':') {
                                headers.push((k.trim().to_lowercase(), v.trim().to_owned()));
                            }
                        }
                        let length: usize = headers
                            .iter()
                            .find(|(k, _)| k == "content-length")
                            .map(|(_, v)| v.parse().unwrap())
                            .unwrap_or(0);
                        let mut body = vec![0u8; length];
                        reader.read_exact(&mut body).await.unwrap();
                        kept.lock().unwrap().push((headers, String::from_utf8(body).unwrap()));
                        reader
                            .get_mut()
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                            .await
                            .unwrap();
                    }
                });
            }
        });
        Self { requests, task }
    }
}

#[tokio::test]
async fn a_webhook_receiver_gets_every_event_once_signed_also_after_being_down() {
    let app = spawn_app_with(|s| s.webhooks_allow_http_loopback = true).await;
    let seeded = app.seed_case().await;
    let case_id = seeded.case_id;
    app.with_db(|conn| {
        diesel::update(users::table.filter(users::email.eq(STAFF)))
            .set(users::is_org_admin.eq(true))
            .execute(conn)
            .unwrap();
    })
    .await;
    // Another provider's endpoint must never hear of this case.
    app.with_db(|conn| {
        let (other_staff, other_provider): (i64, Option<i64>) = users::table
            .filter(users::email.eq(crate::helpers::OTHER_STAFF))
            .select((users::id, users::provider_id))
            .first(conn)
            .unwrap();
        geschillenportaal::webhooks::create_endpoint(
            conn,
            other_provider.unwrap(),
            "http://127.0.0.1:9/elsewhere",
            other_staff,
            Utc::now().naive_utc(),
        )
        .unwrap();
    })
    .await;
    let port = crate::helpers::free_port();
    let staff = app.client_for(STAFF).await;

    // An address that is not https is refused with a message next to the field.
    let page = staff
        .get(app.url("/settings/webhooks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = extract_csrf(&page);
    let refused = staff
        .post(app.url("/settings/webhooks"))
        .form(&[("csrf_token", csrf.as_str()), ("url", "http://hooks.example.nl/x")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("https://"));
    let url = format!("http://127.0.0.1:{port}/hook");
    let added = staff
        .post(app.url("/settings/webhooks"))
        .form(&[("csrf_token", csrf.as_str()), ("url", url.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 303);
    let secret: String = app
        .with_db(|conn| {
            webhook_endpoints::table
                .filter(webhook_endpoints::url.like("%/hook"))
                .select(webhook_endpoints::secret)
                .first(conn)
                .unwrap()
        })
        .await;
    assert!(
        staff
            .get(app.url("/settings/webhooks"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains(&secret)
    );
    // Another provider's staff cannot see the settings; nor can a consumer.
    let consumer = app.client_for(CONSUMER).await;
    assert_eq!(
        consumer
            .get(app.url("/settings/webhooks"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // The receiver is down: the first event's delivery fails and waits for a retry.
    let secretariat = app.client_for(SECRETARIAT).await;
    assert_eq!(
        app.act(&secretariat, case_id, "accept_complete", "").await.status(),
        303
    );
    app.run_worker().await;
    let status: (String, i32) = app
        .with_db(|conn| {
            use geschillenportaal::db::schema::webhook_deliveries as d;
            d::table.select((d::status, d::attempts)).first(conn).unwrap()
        })
        .await;
    assert_eq!(status, ("retrying".to_owned(), 1));
    let settings = staff
        .get(app.url("/settings/webhooks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(settings.contains("opnieuw proberen"), "{settings}");

    // It comes back; a second event happens; the retry becomes due (time passes).
    let receiver = Receiver::start(port).await;
    let state: String = app
        .with_db(move |conn| cases::table.find(case_id).select(cases::state).first(conn).unwrap())
        .await;
    assert_eq!(state, "awaiting_fee");
    assert_eq!(
        app.act(&secretariat, case_id, "record_fee_paid", "").await.status(),
        303
    );
    app.with_db(|conn| {
        diesel::update(jobs::table)
            .set(jobs::run_at.eq(Utc::now().naive_utc() - TimeDelta::seconds(1)))
            .execute(conn)
            .unwrap();
    })
    .await;
    app.run_worker().await;
    app.run_worker().await;

    let received = receiver.requests.lock().unwrap().clone();
    receiver.task.abort();
    let event_ids: Vec<i64> = app
        .with_db(move |conn| {
            case_events::table
                .filter(case_events::case_id.eq(case_id))
                .filter(case_events::kind.ne("imported"))
                .order(case_events::id)
                .select(case_events::id)
                .load(conn)
                .unwrap()
        })
        .await;
    assert_eq!(event_ids.len(), 2);
    assert_eq!(received.len(), 2, "every event once: {received:?}");
    let mut seen_events = Vec::new();
    let mut seen_deliveries = Vec::new();
    for (headers, body) in &received {
        let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap();
        assert!(
            geschillenportaal::webhooks::verify(&secret, &header("x-portal-signature"), body),
            "signature"
        );
        assert!(!geschillenportaal::webhooks::verify(
            "whsec_wrong",
            &header("x-portal-signature"),
            body
        ));
        let payload: Value = serde_json::from_str(body).unwrap();
        assert_eq!(payload["delivery_id"], header("x-portal-delivery"));
        assert_eq!(payload["case"]["id"], case_id);
        assert_eq!(payload["event"]["kind"], header("x-portal-event"));
        seen_events.push(payload["event"]["id"].as_i64().unwrap());
        seen_deliveries.push(header("x-portal-delivery"));
    }
    seen_events.sort_unstable();
    assert_eq!(seen_events, event_ids);
    seen_deliveries.dedup();
    assert_eq!(seen_deliveries.len(), 2);
    let statuses: Vec<String> = app
        .with_db(|conn| {
            use geschillenportaal::db::schema::webhook_deliveries as d;
            d::table.select(d::status).load(conn).unwrap()
        })
        .await;
    assert_eq!(statuses, ["delivered", "delivered"]);
    let remaining: i64 = app
        .with_db(|conn| {
            jobs::table
                .filter(jobs::kind.eq("deliver_webhook"))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(remaining, 0, "no delivery is left to be sent twice");
}

#[tokio::test]
async fn a_consumer_downloads_all_their_data_and_closed_cases_are_anonymised_after_the_retention_period() {
    let app = spawn_app().await;
    let seeded = app.seed_case().await;
    let case_id = seeded.case_id;
    let consumer = app.client_for(CONSUMER).await;
    let settings = consumer
        .get(app.url("/settings"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(settings.contains("/settings/mijn-gegevens.json"));
    app.with_db(move |conn| {
        let now = Utc::now().naive_utc();
        let (consumer_id,): (i64,) = cases::table
            .find(case_id)
            .select((cases::consumer_id,))
            .first(conn)
            .unwrap();
        let mediator: i64 = users::table
            .filter(users::email.eq(crate::helpers::MEDIATOR))
            .select(users::id)
            .first(conn)
            .unwrap();
        for (author, body, visibility) in [
            (
                consumer_id,
                format!("Bel mij op {PHONE}, ik woon aan de {STREET}."),
                "everyone",
            ),
            (
                mediator,
                "Interne notitie van de commissie.".to_owned(),
                "mediator_only",
            ),
        ] {
            diesel::insert_into(messages::table)
                .values((
                    messages::case_id.eq(case_id),
                    messages::author_id.eq(author),
                    messages::body.eq(body),
                    messages::visibility.eq(visibility),
                    messages::moderation.eq("visible"),
                    messages::created_at.eq(now),
                ))
                .execute(conn)
                .unwrap();
        }
        diesel::update(cases::table.find(case_id))
            .set(cases::description.eq(format!("Mijn IBAN is {IBAN}; mail {CONSUMER}.")))
            .execute(conn)
            .unwrap();
    })
    .await;

    let export = consumer
        .get(app.url("/settings/mijn-gegevens.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    assert!(
        export.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let export: Value = export.json().await.unwrap();
    assert_eq!(export["account"]["email"], CONSUMER);
    let case = &export["cases"][0];
    assert!(case["reference"].as_str().unwrap().starts_with("TEL-"));
    assert!(case["description"].as_str().unwrap().contains(IBAN));
    let bodies: Vec<&str> = case["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies.len(),
        1,
        "the mediator-only note is not the consumer's to see: {bodies:?}"
    );
    assert!(bodies[0].contains(PHONE));
    assert_eq!(
        app.get("/settings/mijn-gegevens.json").await.status(),
        303,
        "signed out: to the sign-in page"
    );

    // Closed three years ago: the worker's housekeeping anonymises it (default: 2 years).
    app.with_db(move |conn| {
        diesel::update(cases::table.find(case_id))
            .set((
                cases::state.eq("closed"),
                cases::closed_at.eq(Some(Utc::now().naive_utc() - TimeDelta::days(3 * 365))),
            ))
            .execute(conn)
            .unwrap();
    })
    .await;
    let context = app.worker_context();
    geschillenportaal::jobs::worker::housekeeping(&context, Utc::now().naive_utc())
        .await
        .unwrap();
    let (description, claim, category, anonymised_at): (String, Option<i64>, String, Option<NaiveDateTime>) = app
        .with_db(move |conn| {
            cases::table
                .find(case_id)
                .select((
                    cases::description,
                    cases::claim_cents,
                    cases::category,
                    cases::anonymised_at,
                ))
                .first(conn)
                .unwrap()
        })
        .await;
    assert!(anonymised_at.is_some());
    assert!(
        !description.contains(IBAN) && !description.contains(CONSUMER),
        "{description}"
    );
    assert_eq!(
        (claim, category.as_str()),
        (Some(24_000), "outage_speed"),
        "the figures stay"
    );
    let bodies: Vec<String> = app
        .with_db(move |conn| {
            messages::table
                .filter(messages::case_id.eq(case_id))
                .select(messages::body)
                .load(conn)
                .unwrap()
        })
        .await;
    assert!(
        bodies.iter().all(|b| !b.contains(PHONE) && !b.contains("Lindenlaan")),
        "{bodies:?}"
    );
    let audited: i64 = app
        .with_db(move |conn| {
            audit_log::table
                .filter(audit_log::entity.eq("case"))
                .filter(audit_log::entity_id.eq(case_id))
                .filter(audit_log::action.eq("anonymised"))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(audited, 1);
    // A second run does nothing more.
    geschillenportaal::jobs::worker::housekeeping(&context, Utc::now().naive_utc())
        .await
        .unwrap();
    let audited_again: i64 = app
        .with_db(move |conn| {
            audit_log::table
                .filter(audit_log::action.eq("anonymised"))
                .count()
                .get_result(conn)
                .unwrap()
        })
        .await;
    assert_eq!(audited_again, 1);
}

#[tokio::test]
async fn the_statistics_and_the_report_stay_fast_with_20000_cases_and_100000_events() {
    let app = spawn_app().await;
    let seeded = app.seed_case().await;
    let case_id = seeded.case_id;
    let postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty());
    app.with_db(move |conn| {
        // 20,000 copies of the seeded case over the last year, each with five events.
        let (series, number, day) = if postgres {
            ("generate_series(1, 20000) g(n)", "n::text", "now() - (n % 360 || ' days')::interval")
        } else {
            (
                "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 20000) SELECT n FROM s) g",
                "n",
                "datetime('now', '-' || (n % 360) || ' days')",
            )
        };
        let statements = [
            format!(
                "INSERT INTO cases (reference, scheme_id, rules_id, consumer_id, provider_id, category, language, state, \
                 state_entered_at, written_complaint_date, written_complaint_channel, desired_outcome, description, fee_cents, \
                 fee_status, submitted_at, updated_at) \
                 SELECT 'BULK-' || {number}, c.scheme_id, c.rules_id, c.consumer_id, c.provider_id, c.category, 'nl', 'closed', \
                 {day}, c.written_complaint_date, 'email', '', '', 5000, 'paid', {day}, {day} FROM {series}, cases c WHERE c.id = {case_id}"
            ),
            "INSERT INTO case_events (case_id, at, actor_role, kind, from_state, to_state, detail) \
             SELECT id, submitted_at, 'secretariat', 'accept_complete', 'submitted', 'awaiting_defence', '{}' FROM cases WHERE reference LIKE 'BULK-%'"
                .into(),
            "INSERT INTO case_events (case_id, at, actor_role, kind, from_state, to_state, detail) \
             SELECT id, submitted_at, 'provider_staff', 'submit_defence', 'awaiting_defence', 'awaiting_reply', '{}' FROM cases WHERE reference LIKE 'BULK-%'"
                .into(),
            "INSERT INTO case_events (case_id, at, actor_role, kind, from_state, to_state, detail) \
             SELECT id, submitted_at, 'consumer', 'accept_settlement', 'awaiting_reply', 'settled', '{}' FROM cases WHERE reference LIKE 'BULK-%'"
                .into(),
            "INSERT INTO case_events (case_id, at, actor_role, kind, from_state, to_state, detail) \
             SELECT id, submitted_at, 'system', 'start_compliance', 'settled', 'in_compliance', '{}' FROM cases WHERE reference LIKE 'BULK-%'"
                .into(),
            "INSERT INTO case_events (case_id, at, actor_role, kind, from_state, to_state, detail) \
             SELECT id, submitted_at, 'consumer', 'confirm_compliance', 'in_compliance', 'closed', '{}' FROM cases WHERE reference LIKE 'BULK-%'"
                .into(),
            "ANALYZE".into(),
        ];
        for statement in statements {
            diesel::sql_query(statement).execute(conn).unwrap();
        }
        // Written directly, so marked as a bulk load marks them: at first their histories are folded.
        aggregates::mark_all(conn, Utc::now().naive_utc()).unwrap();
        let provider_id: i64 = cases::table.find(case_id).select(cases::provider_id).first(conn).unwrap();
        let now = Utc::now().naive_utc();
        let started = std::time::Instant::now();
        let figures_cache = geschillenportaal::statistics::cache::FiguresCache::default();
        let comparison =
            geschillenportaal::statistics::handlers::compare(conn, &figures_cache, provider_id, now).unwrap();
        let took = started.elapsed();
        eprintln!("provider against sector, 20,000 cases: {took:?}; {:?}", comparison.provider);
        assert!(comparison.provider.cases >= 20_000);
        assert_eq!(comparison.provider.settled.count, 20_000);
        assert!(took < std::time::Duration::from_secs(10), "{took:?}");

        // The worker derives the cases' aggregates; then the figures are added up from them.
        let started = std::time::Instant::now();
        aggregates::catch_up(conn, std::time::Duration::from_secs(600), Utc::now().naive_utc()).unwrap();
        eprintln!("aggregates of 20,001 cases derived: {:?}", started.elapsed());
        let started = std::time::Instant::now();
        let from_rows =
            geschillenportaal::statistics::handlers::compare(conn, &FiguresCache::default(), provider_id, now).unwrap();
        let took = started.elapsed();
        eprintln!("provider against sector from the aggregates: {took:?}");
        assert_eq!(
            (&from_rows.provider, &from_rows.sector),
            (&comparison.provider, &comparison.sector)
        );
        assert!(took < std::time::Duration::from_secs(2), "{took:?}");

        let scheme_id: i64 = cases::table.find(case_id).select(cases::scheme_id).first(conn).unwrap();
        let started = std::time::Instant::now();
        let mut tally = ReportTally::new((now - TimeDelta::days(366)).date(), (now + TimeDelta::days(1)).date());
        queries::for_each_history(
            conn,
            Filter {
                provider_id: None,
                scheme_id: Some(scheme_id),
                from: now - TimeDelta::days(366),
                until: now + TimeDelta::days(1),
            },
            queries::HISTORY_CHUNK,
            |case| tally.add_case(&case),
        )
        .unwrap();
        let report = tally.finish();
        let took = started.elapsed();
        eprintln!("report over a year of 20,000 cases: {took:?}");
        assert_eq!(report.complied.count, 20_000);
        assert!(took < std::time::Duration::from_secs(10), "{took:?}");
    })
    .await;
}

#[tokio::test]
async fn a_search_never_asked_before_waits_for_a_ranking_turn_while_kept_answers_do_not() {
    let app = spawn_app().await;
    let case_id = app.seed_case().await.case_id;
    let now = Utc::now().naive_utc().with_nanosecond(0).unwrap();
    app.with_db(move |conn| {
        for i in 0..3 {
            let texts = ("Storing bij de aansluiting", "De rekening was te hoog.", "upheld");
            publish_text(conn, case_id, &format!("T{i}"), texts, now - TimeDelta::minutes(10 - i));
        }
    })
    .await;
    assert_eq!(app.get("/api/v1/rulings?q=storing").await.status(), 200);

    // Every turn of the node taken, as by a storm of searches never asked before.
    let answers = app.state.register.clone();
    let mut turns = Vec::new();
    while let Ok(Some(turn)) = tokio::time::timeout(std::time::Duration::from_millis(200), answers.ranking_turn()).await
    {
        turns.push(turn);
    }
    assert!(!turns.is_empty());
    let quickly = std::time::Duration::from_secs(3);
    for kept in [
        "/api/v1/rulings?q=storing",
        "/uitspraken?q=storing",
        "/uitspraken?q=rekening&sort=date",
        "/api/v1/rulings",
    ] {
        let response = tokio::time::timeout(quickly, app.get(kept)).await.expect(kept);
        assert_eq!(
            response.status(),
            200,
            "{kept}: a kept answer or a search by date needs no turn"
        );
    }
    let fresh = |path: &'static str| {
        let (client, url) = (app.client.clone(), app.url(path));
        tokio::spawn(async move { client.get(url).send().await.expect("request").status() })
    };
    let waiting = fresh("/api/v1/rulings?q=rekening");
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "a search never asked before waits for a turn");
    // No turn within the wait: 503, which the visitor may retry.
    let status = tokio::time::timeout(std::time::Duration::from_secs(15), waiting)
        .await
        .expect("answered within the wait")
        .unwrap();
    assert_eq!(status, 503);

    let waiting = fresh("/uitspraken?q=rekening");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(!waiting.is_finished());
    drop(turns);
    let status = tokio::time::timeout(quickly, waiting)
        .await
        .expect("a turn freed")
        .unwrap();
    assert_eq!(status, 200);
    let page = app.get_html("/uitspraken?q=rekening").await;
    assert!(page.contains("T2"), "ranked in its turn, then kept");
}
