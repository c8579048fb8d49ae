//! Attacks through the pages: stored and reflected XSS in every free-text field, hostile uploads,
//! SQL injection through every search and filter parameter, and CSRF on every form route.
//! Each test first shows that the input really arrived (so it can fail), then that it is inert.

use diesel::prelude::*;
use geschillenportaal::accounts::Role;
use geschillenportaal::db::schema::{cases, documents, messages, published_rulings, rulings, users};

use crate::helpers::{
    CONSUMER, MEDIATOR, OTHER_CONSUMER, SECRETARIAT, STAFF, TestApp, extract_csrf, location, spawn_app, spawn_app_with,
};

/// Breaks out of text, of a double-quoted and of a single-quoted attribute, and tries an event handler.
const XSS: &str = r#"<script>alert(1)</script>"'><img src=x onerror=alert(2)>"#;

/// The payload must never come back as markup, only as escaped text.
fn assert_inert(html: &str, what: &str) {
    for raw in [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(2)>",
        "onerror=alert(2)>",
    ] {
        assert!(!html.contains(raw), "{what}: `{raw}` came back as markup");
    }
}

fn assert_shown_escaped(html: &str, what: &str) {
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{what}: the payload should be shown, escaped"
    );
}

async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> (u16, String) {
    let response = client.get(app.url(path)).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn post_message(app: &TestApp, client: &reqwest::Client, case_id: i64, body: &str) -> reqwest::Response {
    let (_, html) = page(app, client, &format!("/zaken/{case_id}")).await;
    client
        .post(app.url(&format!("/zaken/{case_id}/berichten")))
        .form(&[
            ("csrf_token", extract_csrf(&html).as_str()),
            ("body", body),
            ("visibility", "everyone"),
        ])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn script_in_every_stored_free_text_field_is_shown_as_text_never_run() {
    let app = spawn_app().await;
    let case_id = app.seed_case().await.case_id;

    // Registration name: the form stores it, the administrators' user list shows it.
    let token = app.csrf_token("/register").await;
    let registered = app
        .post_form(
            "/register",
            &[
                ("csrf_token", token.as_str()),
                ("display_name", XSS),
                ("email", "xss@example.nl"),
                ("password", "paarse-olifant-fietst-snel"),
                ("password_repeat", "paarse-olifant-fietst-snel"),
                ("language", "nl"),
            ],
        )
        .await;
    assert_eq!(registered.status(), 303);
    app.create_user("beheer@example.nl", Role::Admin).await;
    let admin = app.client_for("beheer@example.nl").await;
    let (status, html) = page(&app, &admin, "/admin/users").await;
    assert_eq!(status, 200);
    assert_shown_escaped(&html, "registration name in the user list");
    assert_inert(&html, "registration name in the user list");

    // A name inside a sentence of the catalogue (`{{t … name=…}}`, written by the helper itself):
    // the staff member's own dashboard.
    app.with_db(|c| {
        diesel::update(users::table.filter(users::email.eq(STAFF)))
            .set(users::display_name.eq(XSS))
            .execute(c)
            .unwrap()
    })
    .await;
    let staff = app.client_for(STAFF).await;
    let (status, html) = page(&app, &staff, "/dashboard").await;
    assert_eq!(status, 200);
    assert_shown_escaped(&html, "the name in the dashboard's greeting");
    assert_inert(&html, "the name in the dashboard's greeting");

    // An action's note (the defence) and a thread message, seen by the other party.
    let secretariat = app.client_for(SECRETARIAT).await;
    let consumer = app.client_for(CONSUMER).await;
    assert_eq!(
        app.act(&secretariat, case_id, "accept_complete", XSS).await.status(),
        303
    );
    app.act(&secretariat, case_id, "record_fee_paid", "").await;
    assert_eq!(app.act(&staff, case_id, "submit_defence", XSS).await.status(), 303);
    assert_eq!(post_message(&app, &staff, case_id, XSS).await.status(), 303);

    // A document whose file name is the payload.
    let (_, html) = page(&app, &consumer, &format!("/zaken/{case_id}")).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", extract_csrf(&html))
        .text("kind", "invoice")
        .text("visibility", "everyone")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"Een gewone tekst.".to_vec()).file_name(format!("{XSS}.txt")),
        );
    let uploaded = consumer
        .post(app.url(&format!("/zaken/{case_id}/documenten")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), 303);
    let stored_name: String = app
        .with_db(|c| documents::table.select(documents::file_name).first(c).unwrap())
        .await;
    assert!(
        !stored_name.contains('<'),
        "the stored name loses its markup: {stored_name}"
    );

    for (who, client) in [
        ("consumer", &consumer),
        ("provider", &staff),
        ("secretariat", &secretariat),
    ] {
        let (status, html) = page(&app, client, &format!("/zaken/{case_id}")).await;
        assert_eq!(status, 200);
        assert_shown_escaped(&html, &format!("case page for the {who}"));
        assert_inert(&html, &format!("case page for the {who}"));
    }
    let (_, dashboard) = page(&app, &consumer, "/dashboard").await;
    assert_inert(&dashboard, "consumer dashboard");

    // A message held for moderation (a listed word) shows on the moderation page, inert.
    let held = post_message(&app, &consumer, case_id, &format!("kut {XSS}")).await;
    assert_eq!(held.status(), 303);
    let held_count: i64 = app
        .with_db(|c| {
            messages::table
                .filter(messages::moderation.eq("held"))
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(held_count, 1, "the message waits for moderation");
    let (status, html) = page(&app, &secretariat, "/moderatie").await;
    assert_eq!(status, 200);
    assert_shown_escaped(&html, "moderation page");
    assert_inert(&html, "moderation page");
}

/// Posts a form with the CSRF token of `client`'s view of the case.
async fn post_case_form(
    app: &TestApp,
    client: &reqwest::Client,
    case_id: i64,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (_, html) = page(app, client, &format!("/zaken/{case_id}")).await;
    let csrf = extract_csrf(&html);
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    client.post(app.url(path)).form(&form).send().await.unwrap()
}

#[tokio::test]
async fn script_in_the_free_text_of_intake_offers_hearings_and_rulings_is_shown_as_text_never_run() {
    let app = spawn_app().await;
    let case_id = app.seed_case().await.case_id;
    let secretariat = app.client_for(SECRETARIAT).await;
    let staff = app.client_for(STAFF).await;
    let consumer = app.client_for(CONSUMER).await;
    let mediator = app.client_for(MEDIATOR).await;
    app.act(&secretariat, case_id, "accept_complete", "").await;
    app.act(&secretariat, case_id, "record_fee_paid", "").await;
    assert_eq!(
        app.act(&staff, case_id, "submit_defence", "Wij betwisten het.")
            .await
            .status(),
        303
    );
    assert_eq!(
        app.act(&consumer, case_id, "submit_reply", "Het klopt wel.")
            .await
            .status(),
        303
    );

    // An offer's terms, the hearing's place, the draft ruling's summary, reasoning and actions.
    let expires = (chrono::Utc::now().date_naive() + chrono::TimeDelta::days(14)).to_string();
    let offered = post_case_form(
        &app,
        &staff,
        case_id,
        &format!("/zaken/{case_id}/aanbod"),
        &[("amount", "50"), ("terms", XSS), ("expires_on", expires.as_str())],
    )
    .await;
    assert_eq!(offered.status(), 303, "{}", offered.text().await.unwrap_or_default());
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::TimeDelta::days(1)).to_string();
    let planned = post_case_form(
        &app,
        &secretariat,
        case_id,
        &format!("/zaken/{case_id}/zitting"),
        &[
            ("date", tomorrow.as_str()),
            ("time", "10:00"),
            ("location", XSS),
            ("video_link", ""),
        ],
    )
    .await;
    assert_eq!(planned.status(), 303);
    let drafted = post_case_form(
        &app,
        &mediator,
        case_id,
        &format!("/zaken/{case_id}/uitspraak"),
        &[
            ("outcome", "upheld"),
            ("award", "50"),
            ("award_actions", XSS),
            ("refund", ""),
            ("deposit_decision", "none"),
            ("summary", XSS),
            ("reasoning", XSS),
            ("corrects", ""),
        ],
    )
    .await;
    assert_eq!(drafted.status(), 303);
    let stored: (String, String) = app
        .with_db(move |c| {
            rulings::table
                .filter(rulings::case_id.eq(case_id))
                .select((rulings::summary, rulings::reasoning))
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!(
        stored,
        (XSS.to_owned(), XSS.to_owned()),
        "the texts are stored as typed"
    );
    for (who, client) in [
        ("consumer", &consumer),
        ("provider", &staff),
        ("mediator", &mediator),
        ("secretariat", &secretariat),
    ] {
        let (status, html) = page(&app, client, &format!("/zaken/{case_id}")).await;
        assert_eq!(status, 200, "{who}");
        assert_shown_escaped(&html, &format!("case page with offer, hearing and draft for the {who}"));
        assert_inert(&html, &format!("case page with offer, hearing and draft for the {who}"));
    }

    // The free text of a filing: description, wished outcome and customer number.
    let provider_id = app.make_provider_a_member(case_id).await;
    let mut answers = crate::helpers::eligible_answers(provider_id);
    for field in ["desired_outcome", "customer_number", "description"] {
        answers[field] = XSS.into();
    }
    let created = consumer
        .post(app.url("/api/v1/intake/drafts"))
        .json(&answers)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let draft: serde_json::Value = created.json().await.unwrap();
    let (status, html) = page(&app, &consumer, &format!("/zaak-indienen/{}/controle", draft["id"])).await;
    assert_eq!(status, 200);
    assert_shown_escaped(&html, "the wizard's review page");
    assert_inert(&html, "the wizard's review page");
    let filed = consumer
        .post(app.url(&format!("/api/v1/intake/drafts/{}/submit", draft["id"])))
        .send()
        .await
        .unwrap();
    assert_eq!(filed.status(), 201);
    let filed: serde_json::Value = filed.json().await.unwrap();
    let new_case: i64 = app
        .with_db({
            let reference = filed["reference"].as_str().unwrap().to_owned();
            move |c| {
                cases::table
                    .filter(cases::reference.eq(reference))
                    .select(cases::id)
                    .first(c)
                    .unwrap()
            }
        })
        .await;
    for (who, client) in [("consumer", &consumer), ("secretariat", &secretariat)] {
        let (status, html) = page(&app, client, &format!("/zaken/{new_case}")).await;
        assert_eq!(status, 200, "{who}");
        assert_shown_escaped(&html, &format!("the filed case for the {who}"));
        assert_inert(&html, &format!("the filed case for the {who}"));
    }
}

#[tokio::test]
async fn script_in_query_parameters_is_never_reflected_as_markup() {
    let app = spawn_app().await;
    let case_id = app.seed_case().await.case_id;
    let encoded: String = serde_urlencoded::to_string([("x", XSS)]).unwrap()[2..].to_owned();
    let anonymous = reqwest::Client::new();
    for path in [
        format!("/aangesloten?q={encoded}"),
        format!("/aangesloten?q=glasvezel&date={encoded}"),
        format!("/login?next={encoded}"),
        format!("/register?email={encoded}"),
        format!("/password/reset?token={encoded}"),
        format!("/confirm-email?token={encoded}"),
        format!("/invite?token={encoded}"),
        format!("/uitspraken?q={encoded}"),
        format!("/uitspraken?q=storing&year={encoded}&category={encoded}&outcome={encoded}&sort={encoded}"),
        format!("/does-not-exist/{encoded}"),
    ] {
        let (status, html) = page(&app, &anonymous, &path).await;
        assert!(status < 500, "{path}: {status}");
        assert_inert(&html, &path);
    }
    let (_, html) = page(&app, &anonymous, &format!("/aangesloten?q={encoded}")).await;
    assert_shown_escaped(&html, "the membership check echoes the query");
    // The JSON API echoes the query as a JSON string, which a browser never renders as a page.
    let response = anonymous
        .get(app.url(&format!("/api/v1/registry/providers?q={encoded}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["query"], XSS);

    let secretariat = app.client_for(SECRETARIAT).await;
    app.create_user("beheer@example.nl", Role::Admin).await;
    let admin = app.client_for("beheer@example.nl").await;
    for (client, path) in [
        (&secretariat, format!("/zaken/{case_id}?notice={encoded}")),
        (&secretariat, format!("/dashboard?state={encoded}&after={encoded}")),
        (
            &secretariat,
            format!("/secretariaat/aanbieders?q={encoded}&after={encoded}"),
        ),
        (&secretariat, format!("/secretariaat/aanbieders/1?notice={encoded}")),
        (
            &secretariat,
            format!("/secretariaat/ledenlijst/export.csv?scheme={encoded}"),
        ),
        (&admin, format!("/admin/users?role={encoded}")),
    ] {
        let (status, html) = page(&app, client, &path).await;
        assert!(status < 500, "{path}: {status}");
        assert_inert(&html, &path);
    }
}

#[tokio::test]
async fn hostile_uploads_are_refused_or_neutralised_and_nothing_lands_outside_the_storage() {
    let app = spawn_app_with(|s| s.upload_max_bytes = 32 * 1024).await;
    let case_id = app.seed_case().await.case_id;
    let consumer = app.client_for(CONSUMER).await;
    let (_, html) = page(&app, &consumer, &format!("/zaken/{case_id}")).await;
    let csrf = extract_csrf(&html);
    let upload = |name: &str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", csrf.clone())
            .text("kind", "other")
            .text("visibility", "everyone")
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
            );
        consumer
            .post(app.url(&format!("/zaken/{case_id}/documenten")))
            .multipart(form)
            .send()
    };
    let pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".to_vec();

    // Path traversal: the folders are dropped, the file is stored under a random key.
    for name in [
        "../../../../tmp/pwned.pdf",
        "..\\..\\windows\\pwned.pdf",
        "/etc/cron.d/pwned.pdf",
    ] {
        assert_eq!(upload(name, pdf.clone()).await.unwrap().status(), 303, "{name}");
    }
    let stored: Vec<(String, String)> = app
        .with_db(|c| {
            documents::table
                .select((documents::file_name, documents::storage_key))
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(stored.len(), 3);
    for (name, key) in &stored {
        assert_eq!(name, "pwned.pdf");
        assert!(
            key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{key}"
        );
    }
    assert!(!std::path::Path::new("/tmp/pwned.pdf").exists());
    assert!(!std::path::Path::new("/etc/cron.d/pwned.pdf").exists());

    // Wrong content types, whatever the name claims.
    let refused: [(&str, Vec<u8>); 5] = [
        ("factuur.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec()),
        ("script.sh", b"\x7fELF\x02\x01\x01\x00\x00\x00".to_vec()),
        ("foto.png", b"PK\x03\x04\x14\x00\x00\x00\x08\x00".to_vec()),
        ("leeg.pdf", Vec::new()),
        ("binair.txt", vec![0u8, 1, 2, 3, 4, 5, 6, 7]),
    ];
    for (name, bytes) in refused {
        assert_eq!(upload(name, bytes).await.unwrap().status(), 400, "{name}");
    }
    // Oversize: refused with 413 whether it exceeds the file cap or the whole body cap.
    assert_eq!(upload("groot.pdf", vec![b'a'; 40 * 1024]).await.unwrap().status(), 413);
    assert_eq!(
        upload("enorm.pdf", vec![b'a'; 2 * 1024 * 1024]).await.unwrap().status(),
        413
    );
    let count: i64 = app.with_db(|c| documents::table.count().get_result(c).unwrap()).await;
    assert_eq!(count, 3, "no refused upload left a row");

    // Markup is not plain text: an HTML page is refused, whatever its name.
    for name in ["pagina.html", "pagina.txt"] {
        let html = b"<!doctype html><html><script>alert(1)</script></html>".to_vec();
        assert_eq!(upload(name, html).await.unwrap().status(), 400, "{name}");
    }
    // What was stored is only ever served as a download with its checked type.
    let id: i64 = app
        .with_db(|c| documents::table.select(documents::id).first(c).unwrap())
        .await;
    let response = consumer
        .get(app.url(&format!("/zaken/{case_id}/documenten/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers();
    assert_eq!(headers["content-type"], "application/pdf");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
}

const SQL_INJECTIONS: [&str; 8] = [
    "' OR '1'='1",
    "' OR 1=1 --",
    "%' OR 1=1 --",
    "\" OR \"\"=\"",
    "1; DROP TABLE users; --",
    "1 UNION SELECT email, password_hash FROM users --",
    "'); DELETE FROM cases; --",
    "\\' OR 1=1 #",
];

/// One ruling of the seeded case in the public register, so a search that leaks finds something.
async fn publish_one_ruling(app: &TestApp, case_id: i64) {
    app.with_db(move |c| {
        let now = chrono::Utc::now().naive_utc();
        let (scheme_id, provider_id): (i64, i64) = cases::table
            .find(case_id)
            .select((cases::scheme_id, cases::provider_id))
            .first(c)
            .unwrap();
        let author: i64 = users::table
            .filter(users::email.eq(SECRETARIAT))
            .select(users::id)
            .first(c)
            .unwrap();
        let ruling_id: i64 = diesel::insert_into(rulings::table)
            .values((
                rulings::case_id.eq(case_id),
                rulings::status.eq("issued"),
                rulings::outcome.eq("upheld"),
                rulings::reasoning.eq("Het internet viel weg."),
                rulings::summary.eq("Storing"),
                rulings::language.eq("nl"),
                rulings::drafted_by.eq(author),
                rulings::issued_at.eq(Some(now)),
                rulings::created_at.eq(now),
                rulings::updated_at.eq(now),
            ))
            .returning(rulings::id)
            .get_result(c)
            .unwrap();
        // As issuing a ruling does: the case's figures are derived again.
        geschillenportaal::statistics::aggregates::mark(c, case_id, now).unwrap();
        diesel::insert_into(published_rulings::table)
            .values((
                published_rulings::ruling_id.eq(ruling_id),
                published_rulings::scheme_id.eq(scheme_id),
                published_rulings::provider_id.eq(Some(provider_id)),
                published_rulings::reference.eq("TEL-2026-GEPUBLICEERD"),
                published_rulings::category.eq("outage_speed"),
                published_rulings::year.eq(2026),
                published_rulings::outcome.eq("upheld"),
                published_rulings::summary.eq("Uitspraak over een storing van het internet"),
                published_rulings::body.eq("De consument klaagt over een storing. De commissie beslist."),
                published_rulings::status.eq("published"),
                published_rulings::published_at.eq(Some(now)),
            ))
            .execute(c)
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn sql_injection_through_every_search_and_filter_finds_nothing_and_never_fails() {
    let app = spawn_app().await;
    let case_id = app.seed_case().await.case_id;
    let other_consumer = app.client_for(OTHER_CONSUMER).await;
    let secretariat = app.client_for(SECRETARIAT).await;
    app.create_user("beheer@example.nl", Role::Admin).await;
    let admin = app.client_for("beheer@example.nl").await;
    let anonymous = reqwest::Client::new();
    let reference: String = app
        .with_db(move |c| cases::table.find(case_id).select(cases::reference).first(c).unwrap())
        .await;
    publish_one_ruling(&app, case_id).await;
    let (status, html) = page(&app, &anonymous, "/uitspraken?q=storing").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("TEL-2026-GEPUBLICEERD"),
        "the register finds the ruling by a word"
    );

    for attack in SQL_INJECTIONS {
        let e: String = serde_urlencoded::to_string([("x", attack)]).unwrap()[2..].to_owned();
        // Public searches: nothing matches an injection.
        let response = anonymous
            .get(app.url(&format!("/api/v1/registry/providers?q={e}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{attack}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["providers"], serde_json::json!([]), "{attack}");
        let (status, html) = page(&app, &anonymous, &format!("/aangesloten?q={e}")).await;
        assert_eq!(status, 200, "{attack}");
        assert!(!html.contains("Glasvezel Aanbieder"), "{attack}");
        let (status, _) = page(&app, &anonymous, &format!("/aangesloten?q=glasvezel&date={e}")).await;
        assert!(status < 500, "{attack}: {status}");

        // The register of published rulings: no injected word finds the one ruling, no filter fails.
        let (status, html) = page(&app, &anonymous, &format!("/uitspraken?q={e}")).await;
        assert_eq!(status, 200, "{attack}");
        assert!(!html.contains("TEL-2026-GEPUBLICEERD"), "{attack} finds the ruling");
        for filter in ["scheme", "category", "year", "outcome", "provider", "sort", "page"] {
            let (status, _) = page(&app, &anonymous, &format!("/uitspraken?q=storing&{filter}={e}")).await;
            assert!(status < 500, "{filter}={attack}: {status}");
        }
        let response = anonymous
            .get(app.url(&format!("/api/v1/rulings?q={e}")))
            .send()
            .await
            .unwrap();
        assert!(response.status().as_u16() < 500, "{attack}");
        assert!(
            !response.text().await.unwrap().contains("TEL-2026-GEPUBLICEERD"),
            "{attack}"
        );

        // Dashboard filters and cursor: another consumer never sees the case.
        for query in [
            format!("state={e}"),
            format!("scheme={e}"),
            format!("overdue={e}"),
            format!("after={e}"),
            format!("state=submitted&after={e}"),
        ] {
            let (status, html) = page(&app, &other_consumer, &format!("/dashboard?{query}")).await;
            assert!(status < 500, "{query}: {status}");
            assert!(!html.contains(&reference), "{query} shows another's case");
            let (status, _) = page(&app, &secretariat, &format!("/dashboard?{query}")).await;
            assert!(status < 500, "{query}: {status}");
            let (status, csv) = page(&app, &other_consumer, &format!("/dashboard/export.csv?{query}")).await;
            assert!(status < 500, "{query}: {status}");
            assert!(!csv.contains(&reference), "{query} exports another's case");
        }
        // The secretariat's provider list and member list, the administrators' user list.
        let (status, html) = page(&app, &secretariat, &format!("/secretariaat/aanbieders?q={e}")).await;
        assert_eq!(status, 200, "{attack}");
        assert!(!html.contains("Glasvezel Aanbieder"), "{attack}");
        let (status, _) = page(&app, &secretariat, &format!("/secretariaat/aanbieders?after={e}")).await;
        assert!(status < 500, "{attack}: {status}");
        let (status, _) = page(
            &app,
            &secretariat,
            &format!("/secretariaat/ledenlijst/export.csv?scheme={e}"),
        )
        .await;
        assert!(status < 500, "{attack}: {status}");
        for query in [format!("role={e}"), format!("after={e}")] {
            let (status, html) = page(&app, &admin, &format!("/admin/users?{query}")).await;
            assert!(status < 500, "{query}: {status}");
            assert!(!html.contains("$argon2"), "{query} shows a password hash");
        }
    }
    // Nothing was dropped or deleted along the way.
    let (users, cases): (i64, i64) = app
        .with_db(|c| {
            (
                users::table.count().get_result(c).unwrap(),
                cases::table.count().get_result(c).unwrap(),
            )
        })
        .await;
    assert!(users >= 8);
    assert_eq!(cases, 1);
}

/// Every POST route of the portal (checked against the source below), with a path that exists.
fn form_routes(case_id: i64, provider_id: i64, user_id: i64) -> Vec<String> {
    [
        "/login",
        "/logout",
        "/register",
        "/confirm-email",
        "/password/forgot",
        "/password/reset",
        "/invite",
        "/invites",
        "/settings/preferences",
        "/settings/password",
        "/settings/email",
        "/settings/sign-out-everywhere",
        "/settings/api-tokens",
        "/settings/api-tokens/1/revoke",
        "/admin/users/{user}/deactivate",
        "/admin/users/{user}/reactivate",
        "/zaken/{case}/acties",
        "/zaken/{case}/berichten",
        "/zaken/{case}/verlengen",
        "/zaken/{case}/documenten",
        "/zaken/{case}/toewijzing",
        "/zaken/{case}/toewijzing/1/terugtrekken",
        "/zaken/{case}/toewijzing/1/wraken",
        "/zaken/{case}/toewijzing/1/beslissen",
        "/moderatie/1",
        "/secretariaat/aanbieders",
        "/secretariaat/aanbieders/{provider}/bewerken",
        "/secretariaat/aanbieders/{provider}/lidmaatschappen",
        "/secretariaat/lidmaatschappen/1/bewerken",
        "/secretariaat/ledenlijst",
        "/beheer/regelingen/1/regels",
        "/settings/conflicts",
        "/settings/conflicts/{provider}/withdraw",
        "/settings/webhooks",
        "/settings/webhooks/1/uitzetten",
        "/zaak-indienen",
        "/zaak-indienen/1/2",
        "/zaak-indienen/1/bewijs/bestand",
        "/zaak-indienen/1/bewijs/1/verwijderen",
        "/zaken/{case}/uitstel",
        "/zaken/{case}/uitstel/1/beslissen",
        "/zaken/{case}/ontvankelijkheid/weigeren",
        "/zaken/{case}/ontvankelijkheid/storting",
        "/zaken/{case}/aanbod",
        "/zaken/{case}/aanbod/1/antwoord",
        "/zaken/{case}/beoordeling",
        "/zaken/{case}/deskundige",
        "/zaken/{case}/zitting",
        "/zaken/{case}/zitting/annuleren",
        "/zaken/{case}/uitspraak",
        "/zaken/{case}/uitspraak/1/uitbrengen",
        "/zaken/{case}/nakoming",
        "/zaken/{case}/nakoming/antwoord",
        "/zaken/{case}/garantie/betaald",
        "/secretariaat/uitspraken/1",
    ]
    .iter()
    .map(|route| {
        route
            .replace("{case}", &case_id.to_string())
            .replace("{provider}", &provider_id.to_string())
            .replace("{user}", &user_id.to_string())
    })
    .collect()
}

/// The `#[post("…")]` routes declared in the source, with `{…}` segments as written.
fn declared_post_routes() -> Vec<String> {
    fn walk(dir: &std::path::Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                for line in source.lines() {
                    if let Some(rest) = line.trim().strip_prefix("#[post(\"") {
                        found.push(rest.split('"').next().unwrap().to_owned());
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut found,
    );
    found
}

#[tokio::test]
async fn every_form_route_refuses_a_post_without_a_valid_csrf_token() {
    let app = spawn_app().await;
    let case_id = app.seed_case().await.case_id;
    let (provider_id, user_id): (i64, i64) = app
        .with_db(move |c| {
            let provider: i64 = cases::table.find(case_id).select(cases::provider_id).first(c).unwrap();
            let user: i64 = users::table
                .filter(users::email.eq(CONSUMER))
                .select(users::id)
                .first(c)
                .unwrap();
            (provider, user)
        })
        .await;
    let routes = form_routes(case_id, provider_id, user_id);

    // The list covers every POST route in the source: a new form route must be added here.
    let normalise = |route: &str| -> String {
        route
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') || segment.chars().all(|c| c.is_ascii_digit()) && !segment.is_empty() {
                    "*"
                } else {
                    segment
                }
            })
            .collect::<Vec<_>>()
            .join("/")
    };
    let tested: std::collections::BTreeSet<String> = routes.iter().map(|r| normalise(r)).collect();
    // The JSON API takes no forms: Bearer tokens carry no ambient credential, and the consumer's intake
    // API needs an `application/json` body, which a cross-site form cannot send (and the Origin check
    // refuses foreign pages).
    for declared in declared_post_routes().into_iter().filter(|r| !r.starts_with("/api/")) {
        assert!(
            tested.contains(&normalise(&declared)),
            "POST {declared} is not in this test's route list"
        );
    }

    app.create_user("beheer@example.nl", Role::Admin).await;
    let before: i64 = app.with_db(|c| users::table.count().get_result(c).unwrap()).await;
    for (who, email) in [
        ("admin", "beheer@example.nl"),
        ("secretariat", SECRETARIAT),
        ("consumer", CONSUMER),
    ] {
        let client = app.client_for(email).await;
        for route in &routes {
            for token in [None, Some("forged-token"), Some("")] {
                let mut form = vec![
                    ("email", "nieuw@example.nl"),
                    ("display_name", "Nieuw"),
                    ("password", "paarse-olifant-fietst-snel"),
                    ("body", "bericht"),
                    ("action", "accept_complete"),
                    ("version", "1"),
                ];
                if let Some(token) = token {
                    form.push(("csrf_token", token));
                }
                let response = client.post(app.url(route)).form(&form).send().await.unwrap();
                let status = response.status().as_u16();
                assert!(
                    status == 403 || status == 400 || status == 404,
                    "POST {route} as {who} with token {token:?}: {status}"
                );
            }
        }
        // Still signed in: /logout without a token did not sign the user out.
        let response = client.get(app.url("/dashboard")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{who} still signed in");
    }
    let after: i64 = app.with_db(|c| users::table.count().get_result(c).unwrap()).await;
    assert_eq!(before, after, "no account was created without a token");
    let state: String = app
        .with_db(move |c| cases::table.find(case_id).select(cases::state).first(c).unwrap())
        .await;
    assert_eq!(state, "submitted");
}

#[tokio::test]
async fn a_cross_site_post_with_a_valid_token_but_a_foreign_origin_is_refused() {
    let app = spawn_app().await;
    let token = app.csrf_token("/login").await;
    app.create_user("jan@example.nl", Role::Consumer).await;
    let response = app
        .client
        .post(app.url("/login"))
        .header("origin", "https://evil.example")
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "jan@example.nl"),
            ("password", crate::helpers::TEST_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("text/html"),
        "a page for a browser: {content_type}"
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("<h1>"), "the translated error page: {page}");
    let ok = app.sign_in("jan@example.nl", crate::helpers::TEST_PASSWORD).await;
    assert_eq!(ok.status(), 303);
    assert_eq!(location(&ok), "/dashboard");
}

#[tokio::test]
async fn the_public_pages_refuse_an_address_that_asks_too_often_and_serve_the_others() {
    let app = spawn_app_with(|settings| {
        settings.public_requests_per_minute = 5;
        settings.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    let client = reqwest::Client::new();
    let from = |address: &'static str, path: &str| {
        client
            .get(app.url(path))
            .header("X-Forwarded-For", address)
            .header("Accept-Language", "nl")
            .send()
    };
    // One allowance across the public pages and the API.
    for path in [
        "/uitspraken?q=storing",
        "/api/v1/rulings?q=storing",
        "/aangesloten?q=glasvezel",
        "/api/v1/registry/providers?q=glasvezel",
        "/statistieken",
    ] {
        assert_eq!(from("198.51.100.7", path).await.unwrap().status(), 200, "{path}");
    }
    // Used up: a page says so in Dutch and when to come back, the API with a problem document.
    let refused = from("198.51.100.7", "/uitspraken?q=storing").await.unwrap();
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=12).contains(&retry), "one request comes back every 12 s: {retry}");
    let page = refused.text().await.unwrap();
    assert!(page.contains("Even geduld") && page.contains("<h1"), "{page}");
    let refused = from("198.51.100.7", "/api/v1/rulings?q=storing").await.unwrap();
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    assert!(refused.headers().contains_key("retry-after"));
    // Another address is served, and the same address still reaches the pages that are not public.
    assert_eq!(from("198.51.100.8", "/uitspraken").await.unwrap().status(), 200);
    assert_eq!(from("198.51.100.7", "/login").await.unwrap().status(), 200);
}
