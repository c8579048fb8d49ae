use diesel::prelude::*;
use geschillenportaal::accounts::Role;
use geschillenportaal::db::schema::{mediator_schemes, users};

use crate::helpers::{
    TEST_PASSWORD, TestApp, extract_csrf, link_in, location, parse_email, spawn_app, spawn_app_with_smtp,
};

const BASE: &str = "http://127.0.0.1:8080";

async fn seed_provider(app: &TestApp) -> i64 {
    app.with_db(|conn| {
        geschillenportaal::registry::create_provider(
            conn,
            geschillenportaal::registry::NewProvider {
                kvk_number: "12345678",
                legal_name: "Glasvezel Test B.V.",
                trade_names: "TestNet",
                street: "",
                postcode: "",
                city: "Utrecht",
                website: "",
                complaint_email: "",
            },
            chrono::Utc::now().naive_utc(),
        )
        .unwrap()
    })
    .await
}

async fn accept_invitation(app: &TestApp, mail: &str, name: &str, password: &str) -> reqwest::Response {
    let invitee = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let link = link_in(&parse_email(mail).text, BASE);
    assert!(link.starts_with("/invite?token="));
    let page = invitee.get(app.url(&link)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("csrf_token"), "{link}: {page}");
    let csrf = extract_csrf(&page);
    let token = link.trim_start_matches("/invite?token=").to_owned();
    let response = invitee
        .post(app.url("/invite"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("token", token.as_str()),
            ("display_name", name),
            ("password", password),
            ("password_repeat", password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/dashboard");
    let dashboard = invitee.get(app.url("/dashboard")).send().await.unwrap();
    assert_eq!(dashboard.status(), 200, "signed in straight away");
    response
}

#[tokio::test]
async fn the_secretariat_invites_provider_staff_who_choose_a_password_and_sign_in() {
    let (app, sink) = spawn_app_with_smtp().await;
    let provider_id = seed_provider(&app).await;
    app.create_user("secretariaat@example.nl", Role::Secretariat).await;
    app.sign_in("secretariaat@example.nl", TEST_PASSWORD).await;
    let csrf = extract_csrf(&app.get_html("/invites/new").await);
    let response = app
        .post_form(
            "/invites",
            &[
                ("csrf_token", &csrf),
                ("email", "Medewerker@TestNet.nl"),
                ("role", "provider_staff"),
                ("provider_kvk", "1234 5678"),
                ("org_admin", "on"),
                ("language", "nl"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    app.run_worker().await;
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    let mail = parse_email(&mails[0]);
    assert_eq!(mail.to, "medewerker@testnet.nl");
    assert!(mail.text.contains("Glasvezel Test B.V."), "{}", mail.text);

    // Before accepting, the account cannot sign in with any password.
    assert_eq!(
        app.sign_in_as_new_client("medewerker@testnet.nl", "!invited")
            .await
            .1
            .status(),
        422
    );
    accept_invitation(&app, &mails[0], "Mia Medewerker", "lange-zin-voor-mia-1").await;
    let (role, provider, org_admin, confirmed): (String, Option<i64>, bool, Option<chrono::NaiveDateTime>) = app
        .with_db(|c| {
            users::table
                .filter(users::email.eq("medewerker@testnet.nl"))
                .select((
                    users::role,
                    users::provider_id,
                    users::is_org_admin,
                    users::email_confirmed_at,
                ))
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!(role, "provider_staff");
    assert_eq!(provider, Some(provider_id));
    assert!(org_admin);
    assert!(confirmed.is_some());
}

#[tokio::test]
async fn an_organisation_admin_invites_colleagues_of_their_own_organisation_only() {
    let (app, sink) = spawn_app_with_smtp().await;
    let provider_id = seed_provider(&app).await;
    let admin_id = app.create_user("beheer@testnet.nl", Role::ProviderStaff).await;
    app.with_db(move |c| {
        diesel::update(users::table.find(admin_id))
            .set((users::provider_id.eq(provider_id), users::is_org_admin.eq(true)))
            .execute(c)
            .unwrap();
    })
    .await;
    app.sign_in("beheer@testnet.nl", TEST_PASSWORD).await;
    let page = app.get_html("/invites/new").await;
    assert!(!page.contains("value=\"mediator\""), "only staff can be invited");
    let csrf = extract_csrf(&page);
    let refused = app
        .post_form(
            "/invites",
            &[
                ("csrf_token", &csrf),
                ("email", "x@example.nl"),
                ("role", "mediator"),
                ("language", "nl"),
            ],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let response = app
        .post_form(
            "/invites",
            &[
                ("csrf_token", &csrf),
                ("email", "collega@testnet.nl"),
                ("role", "provider_staff"),
                ("language", "en"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    app.run_worker().await;
    let mails = sink.received();
    assert_eq!(parse_email(&mails[0]).subject, "Invitation to the Dispute Portal");
    accept_invitation(&app, &mails[0], "Collega", "lange-zin-voor-collega-2").await;
    let provider = app
        .with_db(|c| {
            users::table
                .filter(users::email.eq("collega@testnet.nl"))
                .select(users::provider_id)
                .first::<Option<i64>>(c)
                .unwrap()
        })
        .await;
    assert_eq!(provider, Some(provider_id));
}

#[tokio::test]
async fn a_mediator_is_invited_with_schemes_and_a_seat() {
    let (app, sink) = spawn_app_with_smtp().await;
    let db = app.db.clone();
    tokio::task::spawn_blocking(move || geschillenportaal::demo::load_if_empty(&db).unwrap())
        .await
        .unwrap();
    let scheme_ids: Vec<i64> = app
        .with_db(|c| {
            geschillenportaal::registry::all_schemes(c)
                .unwrap()
                .iter()
                .map(|s| s.id)
                .collect()
        })
        .await;
    app.create_user("secretariaat@example.nl", Role::Secretariat).await;
    app.sign_in("secretariaat@example.nl", TEST_PASSWORD).await;
    let csrf = extract_csrf(&app.get_html("/invites/new").await);
    let missing = app
        .post_form(
            "/invites",
            &[
                ("csrf_token", &csrf),
                ("email", "m@example.nl"),
                ("role", "mediator"),
                ("language", "nl"),
            ],
        )
        .await;
    assert_eq!(missing.status(), 422);
    let html = missing.text().await.unwrap();
    assert!(html.contains("Kies minstens één regeling"));
    assert!(html.contains("value=\"m@example.nl\""));
    let first = scheme_ids[0].to_string();
    let second = scheme_ids[1].to_string();
    let response = app
        .post_form(
            "/invites",
            &[
                ("csrf_token", &csrf),
                ("email", "m@example.nl"),
                ("role", "mediator"),
                ("scheme", &first),
                ("scheme", &second),
                ("panel_role", "chair"),
                ("language", "nl"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    app.run_worker().await;
    let mails = sink.received();
    accept_invitation(
        &app,
        mails.last().unwrap(),
        "Mr. M. de Bemiddelaar",
        "lange-zin-voor-m-3",
    )
    .await;
    let user_id = app
        .with_db(|c| {
            users::table
                .filter(users::email.eq("m@example.nl"))
                .select(users::id)
                .first::<i64>(c)
                .unwrap()
        })
        .await;
    let schemes = app
        .with_db(move |c| {
            mediator_schemes::table
                .filter(mediator_schemes::user_id.eq(user_id))
                .count()
                .get_result::<i64>(c)
                .unwrap()
        })
        .await;
    assert_eq!(schemes, 2);
}

#[tokio::test]
async fn consumers_and_mediators_cannot_invite() {
    let app = spawn_app().await;
    for (email, role) in [
        ("c@example.nl", Role::Consumer),
        ("m@example.nl", Role::Mediator),
        ("p@example.nl", Role::ProviderStaff),
    ] {
        app.create_user(email, role).await;
        let (client, _) = app.sign_in_as_new_client(email, TEST_PASSWORD).await;
        assert_eq!(
            client.get(app.url("/invites/new")).send().await.unwrap().status(),
            404,
            "{role:?}"
        );
    }
}

#[tokio::test]
async fn an_api_token_is_shown_once_works_with_its_scope_and_stops_when_revoked() {
    let app = spawn_app().await;
    app.create_user("secretariaat@example.nl", Role::Secretariat).await;
    app.sign_in("secretariaat@example.nl", TEST_PASSWORD).await;
    let csrf = extract_csrf(&app.get_html("/settings/api-tokens").await);
    let bad = app
        .post_form(
            "/settings/api-tokens",
            &[
                ("csrf_token", &csrf),
                ("name", "Tickets"),
                ("scope", "read"),
                ("days", "9999"),
            ],
        )
        .await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("value=\"Tickets\""));
    let page = app
        .post_form(
            "/settings/api-tokens",
            &[
                ("csrf_token", &csrf),
                ("name", "Tickets"),
                ("scope", "read"),
                ("days", "30"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    let start = page.find("id=\"new-token\">").unwrap() + "id=\"new-token\">".len();
    let token: String = page[start..].chars().take_while(|c| *c != '<').collect();
    assert!(token.starts_with("gp_"));
    assert!(
        !app.get_html("/settings/api-tokens").await.contains(&token),
        "shown once"
    );

    let api = reqwest::Client::new();
    let me = api.get(app.url("/api/v1/me")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(me.status(), 200);
    let body: serde_json::Value = me.json().await.unwrap();
    assert_eq!(body["role"], "secretariat");
    assert_eq!(body["scope"], "read");
    let unauthenticated = api.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
    assert_eq!(unauthenticated.headers()["content-type"], "application/problem+json");
    assert_eq!(
        api.get(app.url("/api/v1/me"))
            .bearer_auth("gp_forged")
            .send()
            .await
            .unwrap()
            .status(),
        401
    );

    let listing = app.get_html("/settings/api-tokens").await;
    let start = listing.find("/settings/api-tokens/").unwrap() + "/settings/api-tokens/".len();
    let id: String = listing[start..].chars().take_while(char::is_ascii_digit).collect();
    let csrf = extract_csrf(&listing);
    let response = app
        .post_form(&format!("/settings/api-tokens/{id}/revoke"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        api.get(app.url("/api/v1/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn consumers_have_no_api_tokens() {
    let app = spawn_app().await;
    app.create_user("c@example.nl", Role::Consumer).await;
    app.sign_in("c@example.nl", TEST_PASSWORD).await;
    assert_eq!(app.get("/settings/api-tokens").await.status(), 404);
}
