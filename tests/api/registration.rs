use diesel::prelude::*;
use geschillenportaal::accounts::Role;
use geschillenportaal::db::schema::users;

use crate::helpers::{TEST_PASSWORD, link_in, location, parse_email, spawn_app, spawn_app_with_smtp};

const BASE: &str = "http://127.0.0.1:8080";

async fn register(app: &crate::helpers::TestApp, email: &str, language: &str) -> reqwest::Response {
    let token = app.csrf_token("/register").await;
    app.post_form(
        "/register",
        &[
            ("csrf_token", token.as_str()),
            ("display_name", "Jan Jansen"),
            ("email", email),
            ("password", "paarse-olifant-fietst-snel"),
            ("password_repeat", "paarse-olifant-fietst-snel"),
            ("language", language),
        ],
    )
    .await
}

#[tokio::test]
async fn a_consumer_registers_confirms_through_the_emailed_link_and_signs_in() {
    let (app, sink) = spawn_app_with_smtp().await;
    let response = register(&app, "Jan@Example.nl", "en").await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/register/sent");
    assert!(app.get_html("/register/sent").await.contains("Controleer uw e-mail"));

    app.run_worker().await;
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    let mail = parse_email(&mails[0]);
    assert_eq!(mail.to, "jan@example.nl");
    assert_eq!(
        mail.subject, "Confirm your e-mail address",
        "in the language chosen at registration"
    );
    assert!(mail.html.contains("Confirm e-mail address"));
    let link = link_in(&mail.text, BASE);
    assert!(link.starts_with("/confirm-email?token="));

    // Opening the link alone (as a mail scanner would) confirms nothing.
    let page = app.get_html(&link).await;
    let confirmed = app
        .with_db(|c| {
            users::table
                .select(users::email_confirmed_at)
                .first::<Option<chrono::NaiveDateTime>>(c)
                .unwrap()
        })
        .await;
    assert!(confirmed.is_none());
    let token = crate::helpers::extract_csrf(&page);
    let email_token = link.trim_start_matches("/confirm-email?token=").to_owned();
    let response = app
        .post_form("/confirm-email", &[("csrf_token", &token), ("token", &email_token)])
        .await;
    assert_eq!(response.status(), 200);
    let confirmed = app
        .with_db(|c| {
            users::table
                .select(users::email_confirmed_at)
                .first::<Option<chrono::NaiveDateTime>>(c)
                .unwrap()
        })
        .await;
    assert!(confirmed.is_some());

    // The link works once.
    let again = app
        .post_form("/confirm-email", &[("csrf_token", &token), ("token", &email_token)])
        .await;
    assert_eq!(again.status(), 400);

    let response = app.sign_in("jan@example.nl", "paarse-olifant-fietst-snel").await;
    assert_eq!(response.status(), 303);
    // The account's language is used once signed in.
    let dashboard = app.get_html("/dashboard").await;
    assert!(dashboard.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn registering_an_existing_address_answers_the_same_and_warns_the_owner() {
    let (app, sink) = spawn_app_with_smtp().await;
    app.create_user("jan@example.nl", Role::Consumer).await;
    let response = register(&app, "jan@example.nl", "nl").await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/register/sent");
    app.run_worker().await;
    let mail = parse_email(&sink.received()[0]);
    assert_eq!(mail.subject, "U heeft al een account");
    let count = app
        .with_db(|c| users::table.count().get_result::<i64>(c).unwrap())
        .await;
    assert_eq!(count, 1, "no second account");
}

#[tokio::test]
async fn a_registration_with_problems_names_each_and_keeps_what_was_typed() {
    let app = spawn_app().await;
    let token = app.csrf_token("/register").await;
    let response = app
        .post_form(
            "/register",
            &[
                ("csrf_token", token.as_str()),
                ("display_name", "<script>alert(1)</script>"),
                ("email", "jan-at-example"),
                ("password", "password1234"),
                ("password_repeat", "password12345"),
                ("language", "pl"),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("value=\"jan-at-example\""));
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "typed text is kept, escaped"
    );
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("Vul een geldig e-mailadres in"));
    assert!(html.contains("Dit wachtwoord wordt te vaak gebruikt"));
    assert!(html.contains("De twee wachtwoorden zijn niet gelijk"));
    assert!(html.contains("aria-invalid=\"true\""));
    assert!(html.contains("<option value=\"pl\" selected>"));
    assert!(!html.contains("password1234"), "passwords are never echoed");
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_a_single_use_link_that_ends_all_sessions() {
    let (app, sink) = spawn_app_with_smtp().await;
    app.create_user("jan@example.nl", Role::Consumer).await;
    // A session elsewhere, which the reset must end.
    let elsewhere = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = elsewhere
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = crate::helpers::extract_csrf(&login);
    elsewhere
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "jan@example.nl"),
            ("password", TEST_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.get(app.url("/dashboard")).send().await.unwrap().status(), 200);

    let token = app.csrf_token("/password/forgot").await;
    let response = app
        .post_form(
            "/password/forgot",
            &[("csrf_token", &token), ("email", "JAN@example.nl")],
        )
        .await;
    assert_eq!(location(&response), "/password/forgot/sent");
    // An unknown address gets the same answer and no e-mail.
    let response = app
        .post_form(
            "/password/forgot",
            &[("csrf_token", &token), ("email", "nobody@example.nl")],
        )
        .await;
    assert_eq!(location(&response), "/password/forgot/sent");
    app.run_worker().await;
    let mails = sink.received();
    assert_eq!(mails.len(), 1);
    let mail = parse_email(&mails[0]);
    assert_eq!(mail.subject, "Nieuw wachtwoord kiezen");
    let link = link_in(&mail.text, BASE);
    let reset_token = link.trim_start_matches("/password/reset?token=").to_owned();

    let page = app.get_html(&link).await;
    let csrf = crate::helpers::extract_csrf(&page);
    let weak = app
        .post_form(
            "/password/reset",
            &[
                ("csrf_token", &csrf),
                ("token", &reset_token),
                ("password", "kort"),
                ("password_repeat", "kort"),
            ],
        )
        .await;
    assert_eq!(weak.status(), 422);
    let new_password = "nieuwe-lange-wachtzin-42";
    let response = app
        .post_form(
            "/password/reset",
            &[
                ("csrf_token", &csrf),
                ("token", &reset_token),
                ("password", new_password),
                ("password_repeat", new_password),
            ],
        )
        .await;
    assert_eq!(location(&response), "/login?notice=password-changed");
    assert!(
        app.get_html("/login?notice=password-changed")
            .await
            .contains("Uw nieuwe wachtwoord is opgeslagen")
    );
    assert_eq!(
        elsewhere.get(app.url("/dashboard")).send().await.unwrap().status(),
        303,
        "the other session ended"
    );
    let reused = app
        .post_form(
            "/password/reset",
            &[
                ("csrf_token", &csrf),
                ("token", &reset_token),
                ("password", "nog-een-andere-zin-99"),
                ("password_repeat", "nog-een-andere-zin-99"),
            ],
        )
        .await;
    assert_eq!(reused.status(), 400, "the link works once");
    assert_eq!(app.sign_in("jan@example.nl", TEST_PASSWORD).await.status(), 422);
    assert_eq!(app.sign_in("jan@example.nl", new_password).await.status(), 303);
}

#[tokio::test]
async fn too_many_sign_in_attempts_for_one_account_are_refused_with_retry_after() {
    let app = spawn_app().await;
    app.create_user("jan@example.nl", Role::Consumer).await;
    for _ in 0..10 {
        assert_eq!(app.sign_in("jan@example.nl", "wrong-password-123").await.status(), 422);
    }
    let response = app.sign_in("jan@example.nl", TEST_PASSWORD).await;
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry));
    assert!(response.text().await.unwrap().contains("Even geduld"));
    // Another account from the same address is not affected yet.
    app.create_user("piet@example.nl", Role::Consumer).await;
    assert_eq!(app.sign_in("piet@example.nl", TEST_PASSWORD).await.status(), 303);
}

#[tokio::test]
async fn settings_change_the_language_and_the_password_and_sign_out_everywhere() {
    let app = spawn_app().await;
    app.create_user("jan@example.nl", Role::Consumer).await;
    app.sign_in("jan@example.nl", TEST_PASSWORD).await;
    let page = app.get_html("/settings").await;
    let csrf = crate::helpers::extract_csrf(&page);

    let response = app
        .post_form("/settings/preferences", &[("csrf_token", &csrf), ("language", "pl")])
        .await;
    assert_eq!(location(&response), "/settings?notice=notice-preferences-saved");
    let page = app.get_html("/settings?notice=notice-preferences-saved").await;
    assert!(page.contains("<html lang=\"pl\">"));
    assert!(page.contains("Twoje preferencje zostały zapisane"));
    let notify = app
        .with_db(|c| users::table.select(users::notify_by_email).first::<bool>(c).unwrap())
        .await;
    assert!(!notify, "an unticked box turns notifications off");

    let wrong = app
        .post_form(
            "/settings/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", "not-it"),
                ("password", "nowe-dlugie-haslo-77"),
                ("password_repeat", "nowe-dlugie-haslo-77"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), 422);
    assert!(wrong.text().await.unwrap().contains("To nie jest Twoje obecne hasło"));
    let changed = app
        .post_form(
            "/settings/password",
            &[
                ("csrf_token", &csrf),
                ("current_password", TEST_PASSWORD),
                ("password", "nowe-dlugie-haslo-77"),
                ("password_repeat", "nowe-dlugie-haslo-77"),
            ],
        )
        .await;
    assert_eq!(location(&changed), "/settings?notice=notice-password-changed");
    assert_eq!(app.get("/dashboard").await.status(), 200, "this session stays");

    let response = app
        .post_form("/settings/sign-out-everywhere", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(location(&response), "/login?notice=notice-signed-out-everywhere");
    assert_eq!(app.get("/dashboard").await.status(), 303);
    assert_eq!(
        app.sign_in("jan@example.nl", "nowe-dlugie-haslo-77").await.status(),
        303
    );
}

#[tokio::test]
async fn a_new_email_address_takes_effect_only_after_confirmation() {
    let (app, sink) = spawn_app_with_smtp().await;
    app.create_user("jan@example.nl", Role::Consumer).await;
    app.sign_in("jan@example.nl", TEST_PASSWORD).await;
    let csrf = crate::helpers::extract_csrf(&app.get_html("/settings").await);
    let response = app
        .post_form(
            "/settings/email",
            &[
                ("csrf_token", &csrf),
                ("new_email", "jan@nieuw.nl"),
                ("email_password", TEST_PASSWORD),
            ],
        )
        .await;
    assert_eq!(location(&response), "/settings?notice=notice-email-sent");
    let email = app
        .with_db(|c| users::table.select(users::email).first::<String>(c).unwrap())
        .await;
    assert_eq!(email, "jan@example.nl");
    app.run_worker().await;
    let mail = parse_email(&sink.received()[0]);
    assert_eq!(mail.to, "jan@nieuw.nl");
    let link = link_in(&mail.text, BASE);
    let csrf = crate::helpers::extract_csrf(&app.get_html(&link).await);
    let token = link.trim_start_matches("/confirm-email?token=").to_owned();
    assert_eq!(
        app.post_form("/confirm-email", &[("csrf_token", &csrf), ("token", &token)])
            .await
            .status(),
        200
    );
    let email = app
        .with_db(|c| users::table.select(users::email).first::<String>(c).unwrap())
        .await;
    assert_eq!(email, "jan@nieuw.nl");
}
