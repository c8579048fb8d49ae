use crate::helpers::{CONSUMER, OTHER_CONSUMER, extract_csrf, location, spawn_app};

#[tokio::test]
async fn the_home_page_is_dutch_by_default() {
    let app = spawn_app().await;
    let response = app.get("/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains("<html lang=\"nl\">"));
    assert!(html.contains("Een klacht over uw internet- of ICT-aanbieder?"));
    assert_eq!(html.matches("<h1>").count(), 1);
}

#[tokio::test]
async fn the_browser_language_chooses_english_or_polish() {
    let app = spawn_app().await;
    let english = app
        .client
        .get(app.url("/"))
        .header("accept-language", "en-GB,en;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(english.contains("<html lang=\"en\">"));
    assert!(english.contains("A complaint about your internet or ICT provider?"));
    let polish = app
        .client
        .get(app.url("/"))
        .header("accept-language", "pl")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(polish.contains("<html lang=\"pl\">"));
    assert!(polish.contains("Skarga na dostawcę"));
}

#[tokio::test]
async fn the_language_switch_remembers_the_choice_and_returns_to_the_page() {
    let app = spawn_app().await;
    let response = app.get("/language/en?back=/login").await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/login");
    let html = app.get_html("/login").await;
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("Sign in"));
}

#[tokio::test]
async fn the_language_switch_never_redirects_to_another_site() {
    let app = spawn_app().await;
    let response = app.get("/language/pl?back=//evil.example/").await;
    assert_eq!(location(&response), "/");
    assert_eq!(app.get("/language/xx").await.status(), 404);
}

#[tokio::test]
async fn unknown_pages_get_a_translated_404_page() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/geen-pagina"))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"));
}

#[tokio::test]
async fn a_signed_in_user_keeps_their_menu_and_sign_out_on_error_pages() {
    let app = spawn_app().await;
    let case = app.seed_case().await;
    let other = app.client_for(OTHER_CONSUMER).await;

    // An unknown address (no handler ran, so nothing asked who the caller is yet) and a case
    // of somebody else (the handler refused it).
    for path in ["/geen-pagina".to_owned(), format!("/zaken/{}", case.case_id)] {
        let (status, html) = app.page_as(&other, &path).await;
        assert!(status == 404 || status == 403, "{path}: {status}");
        assert!(html.contains("action=\"/logout\""), "{path} offers sign-out: {html}");
        assert!(html.contains("href=\"/dashboard\""), "{path} links the dashboard");
        assert!(!html.contains("href=\"/login\""), "{path} does not offer sign-in");
        assert_eq!(html.matches("<h1>").count(), 1);
    }

    // The error page's sign-out form works: its token is the session's.
    let (_, html) = app.page_as(&other, "/geen-pagina").await;
    let signed_out = other
        .post(app.url("/logout"))
        .form(&[("csrf_token", extract_csrf(&html).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_out.status(), 303);
    let (_, after) = app.page_as(&other, "/geen-pagina").await;
    assert!(after.contains("href=\"/login\""), "signed out: {after}");

    // A visitor still gets the visitor's menu, and the case's own consumer is not disturbed.
    let html = app.get("/geen-pagina").await.text().await.unwrap();
    assert!(html.contains("href=\"/login\"") && !html.contains("action=\"/logout\""));
    let consumer = app.client_for(CONSUMER).await;
    assert_eq!(app.page_as(&consumer, &format!("/zaken/{}", case.case_id)).await.0, 200);
}

#[tokio::test]
async fn the_stylesheet_is_served_from_the_binary() {
    let app = spawn_app().await;
    let response = app.get("/static/portal.css").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(response.text().await.unwrap().contains(":focus-visible"));
    assert_eq!(app.get("/static/../Cargo.toml").await.status(), 404);
}
