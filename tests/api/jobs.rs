use chrono::{TimeDelta, Utc};
use geschillenportaal::jobs::{self, OutgoingEmail, worker};

use crate::helpers::{SmtpSink, free_port, smtp_settings, spawn_app, spawn_app_with};

fn email(to: &str) -> OutgoingEmail {
    OutgoingEmail {
        to: to.into(),
        subject: "Uw zaak TEL-2026-000001".into(),
        text: "Hallo,\n\nUw zaak is ontvangen.".into(),
        html: "<p>Hallo,</p><p>Uw zaak is ontvangen.</p>".into(),
        attachments: Vec::new(),
    }
}

#[tokio::test]
async fn an_email_job_is_delivered_over_smtp_and_then_removed() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let sink = SmtpSink::start(listener);
    let app = spawn_app_with(smtp_settings(port)).await;
    app.with_db(|conn| jobs::enqueue_email(conn, &email("jan@example.nl"), Utc::now().naive_utc()).unwrap())
        .await;

    let context = app.worker_context();
    assert!(worker::run_one(&context, "test-worker").await.unwrap());
    assert!(
        !worker::run_one(&context, "test-worker").await.unwrap(),
        "nothing left to do"
    );

    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert!(received[0].contains("To: jan@example.nl"));
    assert!(received[0].contains("Content-Type: text/plain"));
    assert!(received[0].contains("Content-Type: text/html"));
    assert_eq!(app.with_db(|conn| jobs::queue_depth(conn).unwrap()).await, 0);
}

#[tokio::test]
async fn emails_enqueued_together_are_each_delivered_once() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let sink = SmtpSink::start(listener);
    let app = spawn_app_with(smtp_settings(port)).await;
    let now = Utc::now().naive_utc();
    app.with_db(move |conn| {
        jobs::enqueue_emails(conn, &[email("jan@example.nl"), email("secretariaat@example.nl")], now).unwrap();
        jobs::enqueue_emails(conn, &[], now).unwrap();
    })
    .await;
    assert_eq!(app.with_db(|conn| jobs::queue_depth(conn).unwrap()).await, 2);

    let context = app.worker_context();
    while worker::run_one(&context, "test-worker").await.unwrap() {}
    let mut recipients: Vec<String> = sink
        .received()
        .iter()
        .filter_map(|m| m.lines().find(|l| l.starts_with("To: ")).map(str::to_owned))
        .collect();
    recipients.sort();
    assert_eq!(recipients, ["To: jan@example.nl", "To: secretariaat@example.nl"]);
    assert_eq!(app.with_db(|conn| jobs::queue_depth(conn).unwrap()).await, 0);
}

#[tokio::test]
async fn email_waits_while_smtp_is_down_and_goes_out_once_when_it_is_back() {
    let port = free_port();
    let app = spawn_app_with(smtp_settings(port)).await;
    app.with_db(|conn| jobs::enqueue_email(conn, &email("jan@example.nl"), Utc::now().naive_utc()).unwrap())
        .await;
    let context = app.worker_context();

    // Nothing listens: the attempt fails and the job stays, scheduled for later.
    assert!(worker::run_one(&context, "w1").await.unwrap());
    assert_eq!(app.with_db(|conn| jobs::queue_depth(conn).unwrap()).await, 1);
    assert!(
        !worker::run_one(&context, "w1").await.unwrap(),
        "not due again before its back-off"
    );

    let sink = SmtpSink::start(std::net::TcpListener::bind(("127.0.0.1", port)).unwrap());
    // Past the back-off, a worker picks it up again and delivers it exactly once.
    let later = Utc::now().naive_utc() + TimeDelta::minutes(2);
    let claimed = app
        .with_db(move |conn| jobs::claim_next(conn, "w2", later).unwrap())
        .await
        .expect("due after back-off");
    assert_eq!(claimed.attempts, 2);
    app.with_db(move |conn| {
        diesel::update(geschillenportaal::db::schema::jobs::table)
            .set(geschillenportaal::db::schema::jobs::locked_until.eq(None::<chrono::NaiveDateTime>))
            .execute(conn)
            .unwrap();
        diesel::update(geschillenportaal::db::schema::jobs::table)
            .set(geschillenportaal::db::schema::jobs::run_at.eq(Utc::now().naive_utc() - TimeDelta::seconds(1)))
            .execute(conn)
            .unwrap();
    })
    .await;
    assert!(worker::run_one(&context, "w3").await.unwrap());
    assert!(!worker::run_one(&context, "w3").await.unwrap());
    assert_eq!(sink.received().len(), 1);
}

use diesel::prelude::*;

#[tokio::test]
async fn a_job_whose_worker_died_is_taken_over_when_its_lease_runs_out() {
    let app = spawn_app().await;
    let now = Utc::now().naive_utc();
    app.with_db(move |conn| jobs::enqueue_email(conn, &email("jan@example.nl"), now).unwrap())
        .await;
    let first = app
        .with_db(move |conn| jobs::claim_next(conn, "dies", now).unwrap())
        .await
        .expect("claimed");
    // While the lease holds, nobody else gets it.
    let during = now + jobs::LEASE - TimeDelta::seconds(1);
    assert!(
        app.with_db(move |conn| jobs::claim_next(conn, "other", during).unwrap())
            .await
            .is_none()
    );
    let after = now + jobs::LEASE + TimeDelta::seconds(1);
    let second = app
        .with_db(move |conn| jobs::claim_next(conn, "other", after).unwrap())
        .await
        .expect("taken over");
    assert_eq!(first.id, second.id);
    assert_eq!(second.attempts, 2);
    // The dead worker's late "finish" does not delete the job the other worker holds.
    app.with_db(move |conn| jobs::finish(conn, first.id, "dies").unwrap())
        .await;
    assert_eq!(app.with_db(|conn| jobs::queue_depth(conn).unwrap()).await, 1);
}

#[tokio::test]
async fn workers_claiming_at_the_same_time_never_get_the_same_job() {
    let app = spawn_app().await;
    let now = Utc::now().naive_utc();
    app.with_db(move |conn| {
        for i in 0..40 {
            jobs::enqueue_email(conn, &email(&format!("u{i}@example.nl")), now).unwrap();
        }
    })
    .await;
    let handles: Vec<_> = (0..4)
        .map(|w| {
            let db = app.db.clone();
            std::thread::spawn(move || {
                let mut conn = db.get().unwrap();
                let mut mine = Vec::new();
                while let Some(job) = jobs::claim_next(&mut conn, &format!("w{w}"), now).unwrap() {
                    mine.push(job.id);
                }
                mine
            })
        })
        .collect();
    let mut ids: Vec<i64> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
    let claimed = ids.len();
    ids.sort();
    ids.dedup();
    assert_eq!(claimed, 40);
    assert_eq!(ids.len(), 40);
}

#[tokio::test]
async fn a_job_with_a_dedup_key_exists_once() {
    let app = spawn_app().await;
    let now = Utc::now().naive_utc();
    app.with_db(move |conn| {
        for _ in 0..3 {
            jobs::enqueue(
                conn,
                "reminder",
                &serde_json::json!({"case": 1}),
                now,
                Some("reminder:1:7d"),
                now,
            )
            .unwrap();
        }
    })
    .await;
    assert_eq!(app.with_db(|conn| jobs::queue_depth(conn).unwrap()).await, 1);
}

#[tokio::test]
async fn without_smtp_settings_emails_are_written_to_the_mail_folder() {
    let app = spawn_app().await;
    app.with_db(|conn| jobs::enqueue_email(conn, &email("jan@example.nl"), Utc::now().naive_utc()).unwrap())
        .await;
    assert!(worker::run_one(&app.worker_context(), "w").await.unwrap());
    let files: Vec<_> = std::fs::read_dir(app.settings.mail_dir()).unwrap().collect();
    assert_eq!(files.len(), 1);
    let content = std::fs::read_to_string(files[0].as_ref().unwrap().path()).unwrap();
    assert!(content.contains("Uw zaak is ontvangen."));
}
