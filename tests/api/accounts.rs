use geschillenportaal::accounts::Role;

use crate::helpers::{TEST_PASSWORD, location, spawn_app};

#[tokio::test]
async fn a_user_signs_in_and_out_and_the_old_session_token_stops_working() {
    let app = spawn_app().await;
    app.create_user("jan@example.nl", Role::Consumer).await;

    let response = app.sign_in("jan@example.nl", TEST_PASSWORD).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/dashboard");
    let cookie = response
        .cookies()
        .find(|c| c.name() == "portal_session")
        .expect("session cookie");
    assert!(cookie.http_only());
    let token = cookie.value().to_owned();

    let dashboard = app.get_html("/dashboard").await;
    assert!(dashboard.contains("Test Gebruiker"));
    assert!(dashboard.contains("Consument"));

    let csrf = crate::helpers::extract_csrf(&dashboard);
    let response = app.post_form("/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(response.status(), 303);

    // The same token, replayed by someone who copied it, no longer signs anybody in.
    let replay = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = replay
        .get(app.url("/dashboard"))
        .header("cookie", format!("portal_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert!(location(&response).starts_with("/login?next="));
}

#[tokio::test]
async fn a_wrong_password_keeps_the_typed_address_and_says_what_is_wrong() {
    let app = spawn_app().await;
    app.create_user("jan@example.nl", Role::Consumer).await;
    let response = app.sign_in("jan@example.nl", "wrong-password-123").await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("value=\"jan@example.nl\""));
    assert!(html.contains("Het e-mailadres of het wachtwoord klopt niet"));
    assert!(!html.contains("wrong-password-123"));
}

#[tokio::test]
async fn an_unknown_address_gets_the_same_answer_as_a_wrong_password() {
    let app = spawn_app().await;
    app.create_user("jan@example.nl", Role::Consumer).await;
    let known = app.sign_in("jan@example.nl", "wrong-password-123").await;
    let unknown = app.sign_in("nobody@example.nl", "wrong-password-123").await;
    assert_eq!(known.status(), unknown.status());
    let strip = |html: String, email: &str| html.replace(email, "EMAIL");
    let known = strip(known.text().await.unwrap(), "jan@example.nl");
    let unknown = strip(unknown.text().await.unwrap(), "nobody@example.nl");
    let without_token = |html: &str| {
        html.lines()
            .filter(|l| !l.contains("csrf_token"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(without_token(&known), without_token(&unknown));
}

#[tokio::test]
async fn sign_in_without_a_valid_csrf_token_is_refused() {
    let app = spawn_app().await;
    app.create_user("jan@example.nl", Role::Consumer).await;
    app.get("/login").await;
    for token in ["", "forged-token"] {
        let response = app
            .post_form(
                "/login",
                &[
                    ("csrf_token", token),
                    ("email", "jan@example.nl"),
                    ("password", TEST_PASSWORD),
                ],
            )
            .await;
        assert_eq!(response.status(), 403, "token {token:?}");
        assert!(response.cookies().all(|c| c.name() != "portal_session"));
    }
}

#[tokio::test]
async fn a_form_posted_from_another_site_is_refused() {
    let app = spawn_app().await;
    app.create_user("jan@example.nl", Role::Consumer).await;
    let token = app.csrf_token("/login").await;
    let response = app
        .client
        .post(app.url("/login"))
        .header("origin", "https://evil.example")
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "jan@example.nl"),
            ("password", TEST_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn the_dashboard_sends_anonymous_visitors_to_sign_in_and_back() {
    let app = spawn_app().await;
    let response = app.get("/dashboard").await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login?next=/dashboard");
}

#[tokio::test]
async fn a_tampered_or_foreign_session_cookie_signs_nobody_in() {
    let app = spawn_app().await;
    let user_id = app.create_user("jan@example.nl", Role::Consumer).await;
    app.sign_in("jan@example.nl", TEST_PASSWORD).await;
    let now = chrono::Utc::now().naive_utc();
    // A token for a session that does not exist, validly signed by the server's key.
    let unknown_session = app.state.keys.issue(
        geschillenportaal::accounts::tokens::Purpose::Session,
        user_id,
        "no-such-session",
        None,
        now,
        chrono::TimeDelta::minutes(5),
    );
    // A token of another purpose for this user.
    let reset = app.state.keys.issue(
        geschillenportaal::accounts::tokens::Purpose::PasswordReset,
        user_id,
        "x",
        None,
        now,
        chrono::TimeDelta::minutes(5),
    );
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for token in [unknown_session, reset, "garbage".to_owned()] {
        let response = client
            .get(app.url("/dashboard"))
            .header("cookie", format!("portal_session={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "token {token}");
    }
}

#[tokio::test]
async fn a_deactivated_user_loses_access_at_once() {
    use diesel::prelude::*;
    use geschillenportaal::db::schema::users;
    let app = spawn_app().await;
    let user_id = app.create_user("jan@example.nl", Role::Consumer).await;
    app.sign_in("jan@example.nl", TEST_PASSWORD).await;
    assert_eq!(app.get("/dashboard").await.status(), 200);
    app.with_db(move |conn| {
        diesel::update(users::table.find(user_id))
            .set(users::deactivated_at.eq(chrono::Utc::now().naive_utc()))
            .execute(conn)
            .unwrap();
    })
    .await;
    assert_eq!(app.get("/dashboard").await.status(), 303);
}

#[tokio::test]
async fn each_role_can_sign_in_to_its_overview() {
    let app = spawn_app().await;
    for (role, label) in [
        (Role::Consumer, "Consument"),
        (Role::ProviderStaff, "Medewerker aanbieder"),
        (Role::Mediator, "Bemiddelaar"),
        (Role::Secretariat, "Secretariaat"),
        (Role::Admin, "Beheerder"),
    ] {
        let email = format!("{}@example.nl", role.as_str().replace('_', "-"));
        app.create_user(&email, role).await;
        let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let login = client
            .get(app.url("/login"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = crate::helpers::extract_csrf(&login);
        let page = client
            .post(app.url("/login"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", email.as_str()),
                ("password", TEST_PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{role:?}");
        assert!(page.text().await.unwrap().contains(label), "{role:?}");
    }
}

#[tokio::test]
async fn an_admin_deactivates_a_user_whose_sessions_end_at_once_and_only_admins_may() {
    let app = spawn_app().await;
    app.create_user("admin@example.nl", Role::Admin).await;
    let victim = app.create_user("jan@example.nl", Role::Consumer).await;
    let (jan, _) = app.sign_in_as_new_client("jan@example.nl", TEST_PASSWORD).await;
    assert_eq!(jan.get(app.url("/dashboard")).send().await.unwrap().status(), 200);
    // Non-admins do not see the page at all.
    for (email, role) in [("s@example.nl", Role::Secretariat), ("m@example.nl", Role::Mediator)] {
        app.create_user(email, role).await;
        let (client, _) = app.sign_in_as_new_client(email, TEST_PASSWORD).await;
        assert_eq!(
            client.get(app.url("/admin/users")).send().await.unwrap().status(),
            404,
            "{role:?}"
        );
    }
    assert_eq!(jan.get(app.url("/admin/users")).send().await.unwrap().status(), 404);

    app.sign_in("admin@example.nl", TEST_PASSWORD).await;
    let page = app.get_html("/admin/users?role=consumer").await;
    assert!(page.contains("jan@example.nl"));
    assert!(!page.contains("admin@example.nl"), "filtered by role");
    let csrf = crate::helpers::extract_csrf(&page);
    let response = app
        .post_form(&format!("/admin/users/{victim}/deactivate"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        jan.get(app.url("/dashboard")).send().await.unwrap().status(),
        303,
        "signed out at once"
    );
    assert_eq!(
        app.sign_in_as_new_client("jan@example.nl", TEST_PASSWORD)
            .await
            .1
            .status(),
        422
    );
    let response = app
        .post_form(&format!("/admin/users/{victim}/reactivate"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        app.sign_in_as_new_client("jan@example.nl", TEST_PASSWORD)
            .await
            .1
            .status(),
        303
    );
    assert_eq!(
        app.post_form("/admin/users/999999/deactivate", &[("csrf_token", &csrf)])
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn the_user_list_pages_by_keyset() {
    let app = spawn_app().await;
    app.create_user("admin@example.nl", Role::Admin).await;
    app.with_db(|conn| {
        let hash = geschillenportaal::accounts::password::hash_password("irrelevant-for-this-test");
        let now = chrono::Utc::now().naive_utc();
        for i in 0..60 {
            geschillenportaal::accounts::insert_user(
                conn,
                &format!("user{i:02}@example.nl"),
                "U",
                &hash,
                Role::Consumer,
                None,
                "nl",
                None,
                now,
            )
            .unwrap();
        }
    })
    .await;
    app.sign_in("admin@example.nl", TEST_PASSWORD).await;
    let first = app.get_html("/admin/users?role=consumer").await;
    assert!(first.contains("user00@example.nl") && first.contains("user49@example.nl"));
    assert!(!first.contains("user50@example.nl"));
    let first_unescaped = first.replace("&#x3D;", "=").replace("&amp;", "&");
    let start = first_unescaped
        .find("/admin/users?role=consumer&after=")
        .expect("a next link");
    let href: String = first_unescaped[start..].chars().take_while(|c| *c != '"').collect();
    let second = app.get_html(&href).await;
    assert!(second.contains("user50@example.nl") && second.contains("user59@example.nl"));
    assert!(!second.contains("user49@example.nl"));
}
