//! Faults: the SMTP server away, PostgreSQL away under load, the server killed with SIGKILL in
//! the middle of a burst of writes. Results and method: docs/RELIABILITY.md.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use geschillenportaal::db::schema::{cases, jobs, messages};
use geschillenportaal::jobs::worker;

use crate::helpers::{
    CONSUMER, OTHER_CONSUMER, SECRETARIAT, STAFF, SmtpSink, TestApp, extract_csrf, free_port, parse_email,
    smtp_settings, spawn_app_with,
};

/// Makes every waiting job due now, as if its back-off had passed (the worker's clock moved on).
async fn make_jobs_due(app: &TestApp) {
    app.with_db(|conn| {
        diesel::update(jobs::table)
            .set((
                jobs::run_at.eq(Utc::now().naive_utc() - TimeDelta::seconds(1)),
                jobs::locked_until.eq(None::<chrono::NaiveDateTime>),
            ))
            .execute(conn)
            .unwrap();
    })
    .await;
}

async fn waiting_jobs(app: &TestApp) -> i64 {
    app.with_db(|conn| jobs::table.count().get_result(conn).unwrap()).await
}

#[tokio::test]
async fn with_smtp_down_actions_succeed_and_every_email_goes_out_exactly_once_when_it_is_back() {
    let smtp_port = free_port();
    let app = spawn_app_with(smtp_settings(smtp_port)).await;
    let case_id = app.seed_case().await.case_id;
    let secretariat = app.client_for(SECRETARIAT).await;
    let staff = app.client_for(STAFF).await;
    let consumer = app.client_for(CONSUMER).await;

    // Nobody listens on the SMTP port: every step still succeeds for the user.
    assert_eq!(
        app.act(&secretariat, case_id, "accept_complete", "").await.status(),
        303
    );
    assert_eq!(
        app.act(&secretariat, case_id, "record_fee_paid", "").await.status(),
        303
    );
    assert_eq!(
        app.act(&staff, case_id, "submit_defence", "Het lag aan de netbeheerder.")
            .await
            .status(),
        303
    );
    assert_eq!(
        app.act(&consumer, case_id, "submit_reply", "Nee, de buren hebben wel internet.")
            .await
            .status(),
        303
    );
    let token = app.csrf_token("/register").await;
    let registered = app
        .post_form(
            "/register",
            &[
                ("csrf_token", token.as_str()),
                ("display_name", "Piet Pietersen"),
                ("email", "piet@example.nl"),
                ("password", "paarse-olifant-fietst-snel"),
                ("password_repeat", "paarse-olifant-fietst-snel"),
                ("language", "nl"),
            ],
        )
        .await;
    assert_eq!(registered.status(), 303);
    let queued = waiting_jobs(&app).await;
    assert!(queued >= 10, "the steps queued their e-mails: {queued}");
    // What should go out: one e-mail per job, by recipient and subject (texts may repeat).
    let expected: BTreeMap<(String, String), usize> = app
        .with_db(|conn| {
            let mut expected = BTreeMap::new();
            for payload in jobs::table.select(jobs::payload).load::<String>(conn).unwrap() {
                let email: geschillenportaal::jobs::OutgoingEmail = serde_json::from_str(&payload).unwrap();
                *expected.entry((email.to, email.subject)).or_insert(0) += 1;
            }
            expected
        })
        .await;

    // The worker tries each job and fails; they all stay, scheduled for later.
    let context = app.worker_context();
    while worker::run_one(&context, "w1").await.unwrap() {}
    assert_eq!(waiting_jobs(&app).await, queued, "no e-mail is lost while SMTP is down");
    // A second round, after the back-off, fails again and still loses nothing.
    make_jobs_due(&app).await;
    while worker::run_one(&context, "w1").await.unwrap() {}
    assert_eq!(waiting_jobs(&app).await, queued);
    let attempts: Vec<i32> = app
        .with_db(|conn| jobs::table.select(jobs::attempts).load(conn).unwrap())
        .await;
    assert!(
        attempts.iter().all(|&a| a == 2),
        "each job was tried twice: {attempts:?}"
    );

    // SMTP comes back; two workers drain the queue at the same time.
    let sink = SmtpSink::start(std::net::TcpListener::bind(("127.0.0.1", smtp_port)).unwrap());
    make_jobs_due(&app).await;
    let (one, two) = (app.worker_context(), app.worker_context());
    let drain = |context: geschillenportaal::startup::WorkerContext, id: &'static str| async move {
        while worker::run_one(&context, id).await.unwrap() {}
    };
    tokio::join!(drain(one, "w2"), drain(two, "w3"));
    assert_eq!(waiting_jobs(&app).await, 0);

    let received: Vec<_> = sink.received().iter().map(|raw| parse_email(raw)).collect();
    assert_eq!(received.len() as i64, queued, "every queued e-mail went out");
    let mut seen = BTreeMap::new();
    for mail in &received {
        *seen.entry((mail.to.clone(), mail.subject.clone())).or_insert(0) += 1;
    }
    assert_eq!(
        seen, expected,
        "each queued e-mail went out once: none lost, none doubled"
    );
    assert!(
        received.iter().any(|m| m.to == "piet@example.nl"),
        "the confirmation link too"
    );
    assert!(received.iter().any(|m| m.to == CONSUMER));
}

/// PostgreSQL goes away (the path to it is cut by a proxy, as a restart does: every connection
/// drops, new ones are refused) for longer than the pool waits for a connection, while clients keep
/// reading and writing. Every answer is a page, a redirect or a clean 503, never a 500 or a dropped
/// connection; once it is back, all requests succeed again without a restart.
/// (A real `pg_ctl restart` would break the other test databases on the shared server.)
#[tokio::test]
async fn under_load_a_postgres_outage_gives_clean_503s_and_the_server_recovers_by_itself() {
    let Some((app, proxy, upstream)) = crate::helpers::spawn_app_behind_proxy().await else {
        return;
    };
    let proxy_port = proxy.port;
    let case_id = app.seed_case().await.case_id;
    let consumer = app.client_for(CONSUMER).await;

    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = tokio::task::JoinSet::new();
    for worker in 0..4 {
        let (client, stop) = (consumer.clone(), stop.clone());
        let base = app.address.clone();
        load.spawn(async move {
            let mut statuses = BTreeMap::<u16, u32>::new();
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                n += 1;
                let response = match (worker, n % 3) {
                    (0, _) => {
                        let Ok(page) = client.get(format!("{base}/zaken/{case_id}")).send().await else {
                            *statuses.entry(0).or_default() += 1;
                            continue;
                        };
                        let status = page.status().as_u16();
                        let html = page.text().await.unwrap_or_default();
                        if status == 200 {
                            client
                                .post(format!("{base}/zaken/{case_id}/berichten"))
                                .form(&[
                                    ("csrf_token", extract_csrf(&html).as_str()),
                                    ("body", &format!("bericht {n}")),
                                    ("visibility", "everyone"),
                                ])
                                .send()
                                .await
                        } else {
                            *statuses.entry(status).or_default() += 1;
                            continue;
                        }
                    }
                    (_, 0) => client.get(format!("{base}/dashboard")).send().await,
                    (_, 1) => client.get(format!("{base}/aangesloten?q=glasvezel")).send().await,
                    _ => {
                        client
                            .get(format!("{base}/api/v1/registry/providers?q=11111111"))
                            .send()
                            .await
                    }
                };
                // 0 counts answers that never came (connection reset, no response).
                let status = match response {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        if status == 503 {
                            assert!(
                                response.headers().contains_key("retry-after"),
                                "a 503 says when to retry"
                            );
                        }
                        status
                    }
                    Err(_) => 0,
                };
                *statuses.entry(status).or_default() += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            statuses
        });
    }

    tokio::time::sleep(Duration::from_millis(700)).await;
    proxy.stop().await;
    // Longer than the pool's 3-second wait for a connection, so requests do run out of it.
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let _proxy = crate::helpers::TcpProxy::start_on(&upstream, proxy_port).await;
    let mut recovered = false;
    for _ in 0..50 {
        if app.get("/readyz").await.status() == 200 {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(recovered, "the server did not recover after PostgreSQL came back");
    tokio::time::sleep(Duration::from_millis(700)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut all = BTreeMap::<u16, u32>::new();
    while let Some(statuses) = load.join_next().await {
        for (status, n) in statuses.unwrap() {
            *all.entry(status).or_default() += n;
        }
    }
    eprintln!("answers during the outage test: {all:?}");
    assert!(
        all.keys().all(|s| [200, 303, 503].contains(s)),
        "only pages, redirects and clean 503s: {all:?}"
    );
    assert!(all.get(&503).is_some_and(|&n| n > 0), "the outage was noticed: {all:?}");

    // After recovery every page and write works again.
    for path in ["/dashboard", "/aangesloten?q=glasvezel", &format!("/zaken/{case_id}")] {
        let status = consumer.get(app.url(path)).send().await.unwrap().status();
        assert_eq!(status, 200, "{path}");
    }
    let page = consumer
        .get(app.url(&format!("/zaken/{case_id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let response = consumer
        .post(app.url(&format!("/zaken/{case_id}/berichten")))
        .form(&[
            ("csrf_token", extract_csrf(&page).as_str()),
            ("body", "na het herstel"),
            ("visibility", "everyone"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
}

/// Every pooled connection dies in a quiet moment (PostgreSQL restarted, back within the second, so
/// no connection has sat idle long enough to be tested): the first request that meets a dead
/// connection answers 503, and that error makes the pool test its other connections before use, so
/// the dead ones are replaced instead of failing request after request.
#[tokio::test]
async fn connections_lost_between_requests_cost_one_request_and_are_replaced() {
    let Some((app, proxy, upstream)) = crate::helpers::spawn_app_behind_proxy().await else {
        return;
    };
    let proxy_port = proxy.port;
    app.seed_case().await;
    let consumer = app.client_for(CONSUMER).await;
    // Several connections in the pool, all used a moment ago.
    let mut pages = tokio::task::JoinSet::new();
    for _ in 0..8 {
        pages.spawn(consumer.get(app.url("/dashboard")).send());
    }
    while let Some(page) = pages.join_next().await {
        assert_eq!(page.unwrap().unwrap().status(), 200);
    }

    proxy.stop().await;
    let _proxy = crate::helpers::TcpProxy::start_on(&upstream, proxy_port).await;
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(
            consumer
                .get(app.url("/dashboard"))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16(),
        );
    }
    eprintln!("statuses after the connections were lost: {statuses:?}");
    let failed = statuses.iter().filter(|&&s| s != 200).count();
    assert!(
        failed <= 1 && statuses.iter().all(|s| [200, 503].contains(s)),
        "at most the first request meets a dead connection: {statuses:?}"
    );
}

/// The real binary in a child process, killed with SIGKILL while two consumers file cases through
/// the intake API and two clients post thread messages, all as fast as they can: every case whose
/// filing was acknowledged (201 with its reference) and every message acknowledged (303) is in the
/// database after the kill, and no filing was stored twice.
#[tokio::test]
async fn killing_the_server_with_sigkill_during_a_burst_of_filings_loses_nothing_acknowledged() {
    let data_dir = tempfile::tempdir().unwrap();
    let settings = crate::helpers::test_settings(data_dir.path());
    let database_url = settings.database_url.clone();
    // Migrate and seed through the library, then serve the same database from the binary.
    let seeder = spawn_app_with({
        let url = database_url.clone();
        move |s| s.database_url = url
    })
    .await;
    let case_id = seeder.seed_case().await.case_id;
    let provider_id = seeder.make_provider_a_member(case_id).await;
    let cases_before = seeder
        .with_db(|c| cases::table.count().get_result::<i64>(c).unwrap())
        .await;
    drop(seeder);
    let draft = crate::helpers::eligible_answers(provider_id);

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_geschillenportaal"))
        // `--config`, not PORTAL_CONFIG: the settings refuse unknown PORTAL_* variables.
        .arg("--config")
        .arg(data_dir.path().join("none.toml"))
        .arg("serve")
        .current_dir(data_dir.path())
        .env("PORTAL_BIND", format!("127.0.0.1:{port}"))
        .env("PORTAL_BASE_URL", &base)
        .env("PORTAL_DATA_DIR", data_dir.path())
        .env("PORTAL_DATABASE_URL", &database_url)
        .env("PORTAL_JWT_SECRET", "integration-test-signing-key-0123456789")
        .env("PORTAL_WORKER_IN_PROCESS", "false")
        .env("PORTAL_LOG_FILTER", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(data_dir.path().join("server.log")).unwrap())
        .spawn()
        .expect("the server binary starts");
    let probe = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if probe.get(format!("{base}/healthz")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        up,
        "the server did not answer on {base}: {}",
        std::fs::read_to_string(data_dir.path().join("server.log")).unwrap_or_default()
    );

    let sign_in = |email: &'static str| {
        let base = base.clone();
        async move {
            let client = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let html = client
                .get(format!("{base}/login"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let response = client
                .post(format!("{base}/login"))
                .form(&[
                    ("csrf_token", extract_csrf(&html).as_str()),
                    ("email", email),
                    ("password", crate::helpers::TEST_PASSWORD),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 303);
            // The form token is the session's, the same on every page; every user has settings.
            let html = client
                .get(format!("{base}/settings"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            (client, extract_csrf(&html))
        }
    };
    // What each writer had acknowledged when the server died.
    enum Acknowledged {
        Messages(Vec<String>),
        Filings(Vec<String>),
    }
    let mut writers = tokio::task::JoinSet::new();
    for (w, email) in [CONSUMER, STAFF].into_iter().enumerate() {
        let (client, csrf) = sign_in(email).await;
        let url = format!("{base}/zaken/{case_id}/berichten");
        writers.spawn(async move {
            let mut acknowledged = Vec::new();
            for n in 0.. {
                let body = format!("schrijver {w} bericht {n}");
                let sent = client
                    .post(&url)
                    .form(&[
                        ("csrf_token", csrf.as_str()),
                        ("body", &body),
                        ("visibility", "everyone"),
                    ])
                    .send()
                    .await;
                match sent {
                    Ok(response) if response.status() == 303 => acknowledged.push(body),
                    Ok(response) => panic!("unexpected answer {} before the kill", response.status()),
                    Err(_) => break, // the server is gone
                }
            }
            Acknowledged::Messages(acknowledged)
        });
    }
    for email in [CONSUMER, OTHER_CONSUMER] {
        let (client, _) = sign_in(email).await;
        let (base, draft) = (base.clone(), draft.clone());
        writers.spawn(async move {
            let mut references = Vec::new();
            // A filing is two requests: the draft with every answer, then its submission. The
            // server may die between them or in either; only the 201 of a submission counts.
            loop {
                let created = client
                    .post(format!("{base}/api/v1/intake/drafts"))
                    .json(&draft)
                    .send()
                    .await;
                let id = match created {
                    Ok(response) if response.status() == 201 => response
                        .json::<serde_json::Value>()
                        .await
                        .map(|d| d["id"].as_i64().unwrap()),
                    Ok(response) => panic!("unexpected answer {} to a draft before the kill", response.status()),
                    Err(_) => break,
                };
                let Ok(id) = id else { break };
                let submitted = client
                    .post(format!("{base}/api/v1/intake/drafts/{id}/submit"))
                    .send()
                    .await;
                match submitted {
                    Ok(response) if response.status() == 201 => match response.json::<serde_json::Value>().await {
                        Ok(filed) => references.push(filed["reference"].as_str().unwrap().to_owned()),
                        Err(_) => break, // killed while the answer was on its way: not acknowledged
                    },
                    Ok(response) => panic!(
                        "unexpected answer {} to a filing before the kill: {}",
                        response.status(),
                        response.text().await.unwrap_or_default()
                    ),
                    Err(_) => break,
                }
            }
            Acknowledged::Filings(references)
        });
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // SIGKILL: no shutdown hooks, no flushing, in the middle of the writes.
    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let (mut acknowledged, mut filed) = (Vec::new(), Vec::new());
    while let Some(done) = writers.join_next().await {
        match done.unwrap() {
            Acknowledged::Messages(bodies) => acknowledged.extend(bodies),
            Acknowledged::Filings(references) => filed.extend(references),
        }
    }
    assert!(
        acknowledged.len() > 20,
        "the burst of messages got going: {}",
        acknowledged.len()
    );
    assert!(filed.len() > 10, "the burst of filings got going: {}", filed.len());

    let db = geschillenportaal::db::Database::new(&database_url, 1).unwrap();
    let (stored, references) = tokio::task::spawn_blocking(move || {
        let mut pooled = db.get().unwrap();
        let conn: &mut geschillenportaal::db::DbConnection = &mut pooled;
        let stored: std::collections::HashSet<String> = messages::table
            .select(messages::body)
            .load::<String>(conn)
            .unwrap()
            .into_iter()
            .collect();
        let references: Vec<String> = cases::table.select(cases::reference).load(conn).unwrap();
        (stored, references)
    })
    .await
    .unwrap();
    let lost: Vec<_> = acknowledged.iter().filter(|b| !stored.contains(*b)).collect();
    let known: std::collections::HashSet<&String> = references.iter().collect();
    let lost_cases: Vec<_> = filed.iter().filter(|r| !known.contains(r)).collect();
    eprintln!(
        "before SIGKILL: {} messages acknowledged, {} stored, {} lost; {} filings acknowledged, {} cases stored \
         ({} before the burst), {} lost",
        acknowledged.len(),
        stored.len(),
        lost.len(),
        filed.len(),
        references.len(),
        cases_before,
        lost_cases.len()
    );
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    assert!(lost_cases.is_empty(), "filings acknowledged but lost: {lost_cases:?}");
    assert_eq!(known.len(), references.len(), "every reference is unique");
    // At most one filing per consumer can have been committed without its answer reaching them.
    let unacknowledged = references.len() as i64 - cases_before - filed.len() as i64;
    assert!(
        (0..=2).contains(&unacknowledged),
        "{unacknowledged} cases stored beyond the acknowledged filings"
    );
}
