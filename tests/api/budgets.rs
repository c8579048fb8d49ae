//! Statement budgets: the pages read on every view run a fixed, small number of statements, counted
//! by the pool's own counter (`portal_db_statements_total` in `/metrics`). On PostgreSQL each
//! statement is a round trip, so a budget that grows is a page that got slower (or an N+1).

use crate::helpers::{CONSUMER, SECRETARIAT, STAFF, TestApp, spawn_app};

pub(crate) async fn statements_run(app: &TestApp) -> u64 {
    let metrics = app.get_html("/metrics").await;
    metrics
        .lines()
        .find_map(|line| line.strip_prefix("portal_db_statements_total "))
        .and_then(|count| count.trim().parse().ok())
        .unwrap_or_else(|| panic!("no statement counter in /metrics:\n{metrics}"))
}

/// The statements one view of `path` runs, as the fewest of three views: on PostgreSQL a
/// connection idle for a second is tested with `SELECT 1` at checkout (counted too), which a slow
/// test machine may add to any one view.
async fn statements_of_a_view(app: &TestApp, client: &reqwest::Client, path: &str) -> u64 {
    let view = || async {
        let response = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.text().await.unwrap();
    };
    view().await; // the first view fills the per-node caches (rules, scheme lists)
    let mut fewest = u64::MAX;
    for _ in 0..3 {
        let before = statements_run(app).await;
        view().await;
        fewest = fewest.min(statements_run(app).await - before);
    }
    fewest
}

#[tokio::test]
async fn the_pages_read_on_every_view_stay_within_their_statement_budgets() {
    let app = spawn_app().await;
    let case_id = app.seed_case().await.case_id;
    app.make_provider_a_member(case_id).await;
    let consumer = app.client_for(CONSUMER).await;
    let staff = app.client_for(STAFF).await;
    let anonymous = reqwest::Client::new();

    // The session (once per request, however many extractors ask), the case with its provider,
    // consumer and seats (one statement), and all its lists in one more (`cases::page_lists`): the
    // timeline, messages, documents, extension requests, offers, hearing, rulings and compliance.
    let case_path = format!("/zaken/{case_id}");
    let submitted = statements_of_a_view(&app, &consumer, &case_path).await;
    assert!(
        submitted <= 3,
        "the case page of a submitted case: {submitted} statements"
    );
    let secretariat = app.client_for(SECRETARIAT).await;
    for (client, action, note) in [
        (&secretariat, "accept_complete", ""),
        (&secretariat, "record_fee_paid", ""),
        (&staff, "submit_defence", "De storing lag bij de netbeheerder."),
        (&consumer, "submit_reply", "De storing duurde drie maanden."),
    ] {
        assert_eq!(app.act(client, case_id, action, note).await.status(), 303, "{action}");
    }
    let in_mediation = statements_of_a_view(&app, &consumer, &case_path).await;
    assert!(
        in_mediation <= 3,
        "the case page in mediation: {in_mediation} statements"
    );

    // The session and the queue in two index walks (cases with a deadline, then, the page having
    // room, those without); the sector's figures come from the per-node cache.
    let queue = statements_of_a_view(&app, &staff, "/dashboard").await;
    assert!(queue <= 3, "the provider's queue: {queue} statements");

    // No session: the registry's revision; the providers found, their memberships and the schemes
    // with the rules in force come from the node's cache (`registry::cache`), for the page and the
    // API alike.
    for path in [
        "/aangesloten?q=aanbieder",
        "/aangesloten?q=aanbieder&date=2025-03-01",
        "/api/v1/registry/providers?q=aanbieder",
    ] {
        let check = statements_of_a_view(&app, &anonymous, path).await;
        assert!(check <= 1, "{path} seen before: {check} statements");
    }

    // A name not asked before: the revision, the providers found (their search terms, then the
    // providers by name) and their memberships; the schemes' facts of the day are kept apart
    // (`registry::cache`), as the first check above read them. Fewest of three names, as above.
    let mut fresh_name = u64::MAX;
    for name in ["glasvezel", "aanbieder b", "glas"] {
        let before = statements_run(&app).await;
        let response = anonymous
            .get(app.url(&format!("/aangesloten?q={name}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{name}");
        response.text().await.unwrap();
        fresh_name = fresh_name.min(statements_run(&app).await - before);
    }
    assert!(fresh_name <= 4, "a name not asked before: {fresh_name} statements");

    // No session: the register's revision; the answer and the schemes come from the node's caches
    // (`publication::cache`), for the page and the API alike.
    for path in [
        "/uitspraken?q=storing",
        "/uitspraken",
        "/api/v1/rulings?q=storing&sort=date",
    ] {
        let register = statements_of_a_view(&app, &anonymous, path).await;
        assert!(register <= 1, "{path} seen before: {register} statements");
    }
}
