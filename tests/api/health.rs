use crate::helpers::spawn_app;

#[tokio::test]
async fn healthz_answers_ok() {
    let app = spawn_app().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn readyz_reports_the_backend_when_the_database_answers() {
    let app = spawn_app().await;
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    let expected = if std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) {
        "postgres"
    } else {
        "sqlite"
    };
    assert_eq!(body["database"], expected);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/", "/login", "/does-not-exist"] {
        let response = app.get(path).await;
        let headers = response.headers();
        assert!(
            headers["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("default-src 'self'"),
            "{path}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
    }
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status_and_show_the_job_queue() {
    let app = spawn_app().await;
    app.get("/healthz").await;
    app.get("/nope").await;
    let text = app.get_html("/metrics").await;
    assert!(
        text.contains("portal_http_requests_total{endpoint=\"/healthz\",method=\"GET\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(text.contains("status=\"404\""), "{text}");
    assert!(text.contains("portal_http_requests_duration_seconds_bucket"), "{text}");
    assert!(text.contains("portal_job_queue_depth"), "{text}");
}

/// PostgreSQL goes away while the server runs (a proxy in front of it is cut): `/readyz`
/// says 503, a page that needs the database is a clean 503 page, and once PostgreSQL is
/// reachable again the server recovers by itself. Needs PostgreSQL (TEST_DATABASE_URL).
#[tokio::test]
async fn the_server_answers_503_while_postgres_is_away_and_recovers_by_itself() {
    let Some((app, proxy, upstream)) = crate::helpers::spawn_app_behind_proxy().await else {
        return;
    };
    let proxy_port = proxy.port;
    assert_eq!(app.get("/readyz").await.status(), 200);
    app.create_user("jan@example.nl", geschillenportaal::accounts::Role::Consumer)
        .await;
    let token = app.csrf_token("/login").await;

    proxy.stop().await;
    assert_eq!(app.get("/readyz").await.status(), 503);
    let response = app
        .post_form(
            "/login",
            &[
                ("csrf_token", &token),
                ("email", "jan@example.nl"),
                ("password", "whatever-password"),
            ],
        )
        .await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    assert!(response.text().await.unwrap().contains("Tijdelijk niet beschikbaar"));

    let _proxy = crate::helpers::TcpProxy::start_on(&upstream, proxy_port).await;
    let mut recovered = false;
    for _ in 0..50 {
        if app.get("/readyz").await.status() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert!(recovered, "the server did not recover after PostgreSQL came back");
    let response = app.sign_in("jan@example.nl", crate::helpers::TEST_PASSWORD).await;
    assert_eq!(response.status(), 303);
}
