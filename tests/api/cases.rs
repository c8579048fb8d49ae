use diesel::prelude::*;
use geschillenportaal::db::schema::{case_events, cases, jobs};

use crate::helpers::*;

async fn state_of(app: &TestApp, case_id: i64) -> String {
    app.with_db(move |c| {
        cases::table
            .find(case_id)
            .select(cases::state)
            .first::<String>(c)
            .unwrap()
    })
    .await
}

#[tokio::test]
async fn each_role_sees_a_case_only_with_a_relation_to_it() {
    let app = spawn_app().await;
    let seeded = app.seed_case().await;
    let path = format!("/zaken/{}", seeded.case_id);
    for (email, visible) in [
        (CONSUMER, true),
        (OTHER_CONSUMER, false),
        (STAFF, true),
        (OTHER_STAFF, false),
        (MEDIATOR, true),
        (OTHER_MEDIATOR, false),
        (SECRETARIAT, true),
    ] {
        let client = app.client_for(email).await;
        let response = client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), if visible { 200 } else { 404 }, "{email}");
    }
    let anonymous = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    assert_eq!(anonymous.get(app.url(&path)).send().await.unwrap().status(), 303);
}

#[tokio::test]
async fn the_provider_does_not_see_the_consumers_e_mail_address() {
    let app = spawn_app().await;
    let seeded = app.seed_case().await;
    let path = format!("/zaken/{}", seeded.case_id);
    let staff = app
        .client_for(STAFF)
        .await
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!staff.contains(CONSUMER));
    let mediator = app
        .client_for(MEDIATOR)
        .await
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(mediator.contains(CONSUMER));
}

#[tokio::test]
async fn a_case_goes_from_filing_to_mediation_with_emails_at_each_step() {
    let (app, sink) = spawn_app_with_smtp().await;
    let seeded = app.seed_case().await;
    let id = seeded.case_id;
    let secretariat = app.client_for(SECRETARIAT).await;
    let consumer = app.client_for(CONSUMER).await;
    let staff = app.client_for(STAFF).await;

    // The consumer cannot accept their own file.
    assert_eq!(app.act(&consumer, id, "accept_complete", "").await.status(), 409);
    let response = app.act(&secretariat, id, "accept_complete", "").await;
    assert_eq!(response.status(), 303);
    assert_eq!(state_of(&app, id).await, "awaiting_fee");
    app.act(&secretariat, id, "record_fee_paid", "").await;
    assert_eq!(state_of(&app, id).await, "awaiting_defence");
    let (complete_on, outcome_due, due): (
        Option<chrono::NaiveDate>,
        Option<chrono::NaiveDate>,
        Option<chrono::NaiveDate>,
    ) = app
        .with_db(move |c| {
            cases::table
                .find(id)
                .select((cases::complete_on, cases::outcome_due_on, cases::state_due_on))
                .first(c)
                .unwrap()
        })
        .await;
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        complete_on,
        Some(today),
        "the 90-day clock starts with the complete file"
    );
    assert_eq!(outcome_due, Some(today + chrono::TimeDelta::days(90)));
    assert_eq!(
        due,
        Some(today.checked_add_months(chrono::Months::new(1)).unwrap()),
        "defence term of one month"
    );
    let page = consumer
        .get(app.url(&format!("/zaken/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("de aanbieder is aan zet"));
    assert!(page.contains("Dag 0 van de behandeltermijn"));

    // A defence without text is refused; with text it moves the case and appears in the thread.
    assert_eq!(app.act(&staff, id, "submit_defence", "  ").await.status(), 400);
    assert_eq!(
        app.act(&staff, id, "submit_defence", "De storing lag bij de netbeheerder.")
            .await
            .status(),
        303
    );
    assert_eq!(state_of(&app, id).await, "awaiting_reply");
    app.act(&consumer, id, "submit_reply", "Het lag niet aan de netbeheerder.")
        .await;
    assert_eq!(state_of(&app, id).await, "mediation");
    let page = consumer
        .get(app.url(&format!("/zaken/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("De storing lag bij de netbeheerder."));

    app.run_worker().await;
    let mails: Vec<Received> = sink.received().iter().map(|m| parse_email(m)).collect();
    let to = |addr: &str| mails.iter().filter(|m| m.to == addr).count();
    // 4 state changes; the actor is never e-mailed about their own step.
    assert_eq!(
        to(CONSUMER),
        3 + 1,
        "every change but the consumer's own reply, plus the defence message"
    );
    assert!(to(STAFF) >= 3, "staff hear of the changes they did not make");
    assert!(to(MEDIATOR) >= 4, "the assigned mediator hears of everything");
    assert_eq!(to(OTHER_STAFF), 0);
    assert_eq!(to(OTHER_CONSUMER), 0);
    assert!(
        mails
            .iter()
            .any(|m| m.to == CONSUMER && m.text.contains("Wacht op verweer"))
    );
    let events = app
        .with_db(move |c| {
            case_events::table
                .filter(case_events::case_id.eq(id))
                .count()
                .get_result::<i64>(c)
                .unwrap()
        })
        .await;
    assert!(events >= 7, "imported, 4 transitions and 2 messages");
}

#[tokio::test]
async fn two_transitions_at_the_same_moment_cannot_both_win() {
    let app = spawn_app().await;
    let seeded = app.seed_case().await;
    let id = seeded.case_id;
    let secretariat = app.client_for(SECRETARIAT).await;
    let page = secretariat
        .get(app.url(&format!("/zaken/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = extract_csrf(&page);
    // Both buttons were rendered from version 1 (after the import).
    let version = app
        .with_db(move |c| cases::table.find(id).select(cases::version).first::<i32>(c).unwrap())
        .await
        .to_string();
    let ask = secretariat
        .post(app.url(&format!("/zaken/{id}/acties")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("action", "request_information"),
            ("version", version.as_str()),
            ("note", "Stuur de factuur van mei."),
        ])
        .send();
    let accept = secretariat
        .post(app.url(&format!("/zaken/{id}/acties")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("action", "accept_complete"),
            ("version", version.as_str()),
            ("note", ""),
        ])
        .send();
    let (a, b) = tokio::join!(ask, accept);
    let mut statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [303, 409]);
    let transitions = app
        .with_db(move |c| {
            case_events::table
                .filter(case_events::case_id.eq(id))
                .filter(case_events::kind.eq_any(["request_information", "accept_complete"]))
                .count()
                .get_result::<i64>(c)
                .unwrap()
        })
        .await;
    assert_eq!(transitions, 1);
}

#[tokio::test]
async fn a_stale_page_cannot_act_on_a_case_that_moved_on() {
    let app = spawn_app().await;
    let seeded = app.seed_case().await;
    let id = seeded.case_id;
    let secretariat = app.client_for(SECRETARIAT).await;
    let page = secretariat
        .get(app.url(&format!("/zaken/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = extract_csrf(&page);
    app.act(&secretariat, id, "accept_complete", "").await;
    let response = secretariat
        .post(app.url(&format!("/zaken/{id}/acties")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("action", "request_information"),
            ("version", "1"),
            ("note", "Stuur de factuur."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 409);
    assert!(response.text().await.unwrap().contains("Dit is intussen gewijzigd"));
}

#[tokio::test]
async fn messages_respect_visibility_and_abusive_ones_wait_for_moderation() {
    let (app, sink) = spawn_app_with_smtp().await;
    let seeded = app.seed_case().await;
    let id = seeded.case_id;
    let staff = app.client_for(STAFF).await;
    let consumer = app.client_for(CONSUMER).await;
    let secretariat = app.client_for(SECRETARIAT).await;
    let post = |client: &reqwest::Client, body: &'static str, visibility: &'static str| {
        let client = client.clone();
        let url = app.url(&format!("/zaken/{id}"));
        let post_url = app.url(&format!("/zaken/{id}/berichten"));
        async move {
            let csrf = extract_csrf(&client.get(url).send().await.unwrap().text().await.unwrap());
            client
                .post(post_url)
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("body", body),
                    ("visibility", visibility),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        post(&staff, "Vertrouwelijk: onze storingslog.", "provider_and_mediator")
            .await
            .status(),
        303
    );
    assert_eq!(
        post(&staff, "<script>alert('x')</script>", "everyone").await.status(),
        303
    );
    // A consumer may not choose the provider's private channel.
    assert_eq!(post(&consumer, "probeer", "provider_and_mediator").await.status(), 400);
    let held = post(
        &consumer,
        "Jullie zijn een stelletje klootzakken. Klootzak!",
        "everyone",
    )
    .await;
    assert!(
        held.headers()["location"]
            .to_str()
            .unwrap()
            .contains("notice-message-held")
    );

    let consumer_view = consumer
        .get(app.url(&format!("/zaken/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!consumer_view.contains("onze storingslog"));
    assert!(consumer_view.contains("&lt;script&gt;"), "free text renders inert");
    assert!(!consumer_view.contains("<script>alert"));
    assert!(
        consumer_view.contains("wacht op controle"),
        "the author sees their held message"
    );
    let staff_view = staff
        .get(app.url(&format!("/zaken/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(staff_view.contains("onze storingslog"));
    assert!(!staff_view.contains("klootzak"), "others do not see a held message");

    app.run_worker().await;
    let before = sink.received().len();
    let page = secretariat
        .get(app.url("/moderatie"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("klootzak"));
    let start = page.find("action=\"/moderatie/").unwrap() + "action=\"/moderatie/".len();
    let message_id: String = page[start..].chars().take_while(char::is_ascii_digit).collect();
    let csrf = extract_csrf(&page);
    let response = secretariat
        .post(app.url(&format!("/moderatie/{message_id}")))
        .form(&[("csrf_token", csrf.as_str()), ("decision", "release")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    app.run_worker().await;
    assert!(
        sink.received().len() > before,
        "releasing the message notifies its readers"
    );
    assert_eq!(
        app.client_for(STAFF)
            .await
            .get(app.url("/moderatie"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

fn multipart(csrf: &str, file_name: &str, bytes: Vec<u8>, visibility: &str) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new()
        .text("csrf_token", csrf.to_owned())
        .text("kind", "invoice")
        .text("visibility", visibility.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()),
        )
}

#[tokio::test]
async fn documents_are_checked_by_content_stored_safely_and_downloaded_only_by_those_who_may() {
    let app = spawn_app_with(|s| s.upload_max_bytes = 64 * 1024).await;
    let seeded = app.seed_case().await;
    let id = seeded.case_id;
    let consumer = app.client_for(CONSUMER).await;
    let page = consumer
        .get(app.url(&format!("/zaken/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = extract_csrf(&page);
    let upload = |form: reqwest::multipart::Form| {
        consumer
            .post(app.url(&format!("/zaken/{id}/documenten")))
            .multipart(form)
            .send()
    };

    let pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec();
    let ok = upload(multipart(&csrf, "../../factuur mei.pdf", pdf.clone(), "everyone"))
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    let private = upload(multipart(
        &csrf,
        "prive.txt",
        b"Alleen voor de bemiddelaar.".to_vec(),
        "consumer_and_mediator",
    ))
    .await
    .unwrap();
    assert_eq!(private.status(), 303);
    let exe = upload(multipart(
        &csrf,
        "factuur.pdf",
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00".to_vec(),
        "everyone",
    ))
    .await
    .unwrap();
    assert_eq!(exe.status(), 400, "an executable is refused whatever its name");
    let big = upload(multipart(&csrf, "groot.pdf", vec![b'a'; 200 * 1024], "everyone"))
        .await
        .unwrap();
    assert_eq!(big.status(), 413);
    let forged = upload(multipart("forged", "x.pdf", pdf.clone(), "everyone"))
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);

    let page = consumer
        .get(app.url(&format!("/zaken/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(">factuur mei.pdf<"), "the folders are gone from the name");
    let ids: Vec<i64> = app
        .with_db(move |c| {
            use geschillenportaal::db::schema::documents;
            documents::table
                .filter(documents::case_id.eq(id))
                .order(documents::id)
                .select(documents::id)
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(ids.len(), 2);
    let download = consumer
        .get(app.url(&format!("/zaken/{id}/documenten/{}", ids[0])))
        .send()
        .await
        .unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    assert_eq!(download.bytes().await.unwrap().to_vec(), pdf);

    let staff = app.client_for(STAFF).await;
    assert_eq!(
        staff
            .get(app.url(&format!("/zaken/{id}/documenten/{}", ids[0])))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        staff
            .get(app.url(&format!("/zaken/{id}/documenten/{}", ids[1])))
            .send()
            .await
            .unwrap()
            .status(),
        404,
        "consumer-and-mediator only"
    );
    let mediator = app.client_for(MEDIATOR).await;
    assert_eq!(
        mediator
            .get(app.url(&format!("/zaken/{id}/documenten/{}", ids[1])))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let outsider = app.client_for(OTHER_STAFF).await;
    assert_eq!(
        outsider
            .get(app.url(&format!("/zaken/{id}/documenten/{}", ids[0])))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn dashboards_list_each_roles_own_cases_and_export_csv() {
    let app = spawn_app().await;
    let seeded = app.seed_case().await;
    let reference = app
        .with_db(move |c| {
            cases::table
                .find(seeded.case_id)
                .select(cases::reference)
                .first::<String>(c)
                .unwrap()
        })
        .await;
    for (email, sees) in [
        (CONSUMER, true),
        (OTHER_CONSUMER, false),
        (STAFF, true),
        (OTHER_STAFF, false),
        (MEDIATOR, true),
        (OTHER_MEDIATOR, false),
        (SECRETARIAT, true),
    ] {
        let page = app
            .client_for(email)
            .await
            .get(app.url("/dashboard"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(page.contains(&reference), sees, "{email}");
    }
    let staff = app.client_for(STAFF).await;
    let csv = staff.get(app.url("/dashboard/export.csv")).send().await.unwrap();
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let body = csv.text().await.unwrap();
    assert!(body.starts_with("reference;state;"));
    assert!(body.contains(&reference));
    let consumer = app.client_for(CONSUMER).await;
    assert_eq!(
        consumer
            .get(app.url("/dashboard/export.csv"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let filtered = app
        .client_for(SECRETARIAT)
        .await
        .get(app.url("/dashboard?state=closed"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!filtered.contains(&reference));
}

#[tokio::test]
async fn a_missed_defence_deadline_is_reminded_then_handled_by_the_worker_once() {
    let (app, sink) = spawn_app_with_smtp().await;
    let seeded = app.seed_case().await;
    let id = seeded.case_id;
    let secretariat = app.client_for(SECRETARIAT).await;
    app.act(&secretariat, id, "accept_complete", "").await;
    app.act(&secretariat, id, "waive_fee", "").await;
    assert_eq!(state_of(&app, id).await, "awaiting_defence");
    app.run_worker().await;
    let before = sink.received().len();
    let due = app
        .with_db(move |c| {
            cases::table
                .find(id)
                .select(cases::state_due_on)
                .first::<Option<chrono::NaiveDate>>(c)
                .unwrap()
        })
        .await
        .unwrap();
    let context = app.worker_context();
    let at = |day: chrono::NaiveDate| day.and_hms_opt(9, 0, 0).unwrap();

    // A week before: one reminder to the provider's staff, however often the worker looks.
    for _ in 0..3 {
        geschillenportaal::jobs::worker::housekeeping(&context, at(due - chrono::TimeDelta::days(7)))
            .await
            .unwrap();
    }
    // The jobs were queued "three weeks from now" on the moved clock; make them due on the real one.
    app.with_db(|c| {
        diesel::update(jobs::table)
            .set(jobs::run_at.eq(chrono::Utc::now().naive_utc()))
            .execute(c)
            .unwrap()
    })
    .await;
    app.run_worker().await;
    let reminders: Vec<Received> = sink.received()[before..].iter().map(|m| parse_email(m)).collect();
    assert_eq!(
        reminders.len(),
        1,
        "{:?}",
        reminders.iter().map(|r| &r.to).collect::<Vec<_>>()
    );
    assert_eq!(reminders[0].to, STAFF);
    assert_eq!(reminders[0].subject, "Herinnering: een termijn loopt af");
    // Sent and its job gone, the same reminder is not queued again by the next sweeps.
    for _ in 0..2 {
        geschillenportaal::jobs::worker::housekeeping(&context, at(due - chrono::TimeDelta::days(7)))
            .await
            .unwrap();
    }
    let queued: i64 = app.with_db(|c| jobs::table.count().get_result(c).unwrap()).await;
    assert_eq!(queued, 0, "no second reminder");

    // On the deadline day itself the provider is still in time.
    let report = geschillenportaal::jobs::worker::housekeeping(&context, at(due))
        .await
        .unwrap();
    assert_eq!(report.expired, 0);
    assert_eq!(state_of(&app, id).await, "awaiting_defence");

    // The day after, the case goes on without a defence, recorded as the system's step.
    let report = geschillenportaal::jobs::worker::housekeeping(&context, at(due + chrono::TimeDelta::days(1)))
        .await
        .unwrap();
    assert_eq!(report.expired, 1);
    assert_eq!(state_of(&app, id).await, "awaiting_reply");
    let again = geschillenportaal::jobs::worker::housekeeping(&context, at(due + chrono::TimeDelta::days(1)))
        .await
        .unwrap();
    assert_eq!(again.expired, 0, "handled once");
    let (role, kind): (String, String) = app
        .with_db(move |c| {
            case_events::table
                .filter(case_events::case_id.eq(id))
                .order(case_events::id.desc())
                .select((case_events::actor_role, case_events::kind))
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!((role.as_str(), kind.as_str()), ("system", "defence_term_expired"));
}

#[tokio::test]
async fn the_secretariat_extends_a_deadline_with_a_reason_and_parties_cannot() {
    let app = spawn_app().await;
    let seeded = app.seed_case().await;
    let id = seeded.case_id;
    let secretariat = app.client_for(SECRETARIAT).await;
    app.act(&secretariat, id, "accept_complete", "").await;
    app.act(&secretariat, id, "waive_fee", "").await;
    let due = app
        .with_db(move |c| {
            cases::table
                .find(id)
                .select(cases::state_due_on)
                .first::<Option<chrono::NaiveDate>>(c)
                .unwrap()
        })
        .await
        .unwrap();
    let later = (due + chrono::TimeDelta::days(14)).to_string();
    let extend = |client: reqwest::Client, reason: &'static str, until: String| {
        let page_url = app.url(&format!("/zaken/{id}"));
        let url = app.url(&format!("/zaken/{id}/verlengen"));
        async move {
            let page = client.get(page_url).send().await.unwrap().text().await.unwrap();
            let csrf = extract_csrf(&page);
            let version = app_version(&page);
            client
                .post(url)
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("what", "deadline"),
                    ("until", until.as_str()),
                    ("version", version.as_str()),
                    ("reason", reason),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let staff = app.client_for(STAFF).await;
    assert_eq!(extend(staff, "Meer tijd nodig", later.clone()).await.status(), 403);
    assert_eq!(extend(secretariat.clone(), "", later.clone()).await.status(), 400);
    assert_eq!(
        extend(
            secretariat.clone(),
            "Verzoek aanbieder: storingsrapport volgt.",
            later.clone()
        )
        .await
        .status(),
        303
    );
    let new_due = app
        .with_db(move |c| {
            cases::table
                .find(id)
                .select(cases::state_due_on)
                .first::<Option<chrono::NaiveDate>>(c)
                .unwrap()
        })
        .await
        .unwrap();
    assert_eq!(new_due.to_string(), later);
    assert_eq!(
        extend(secretariat, "terug", due.to_string()).await.status(),
        400,
        "an extension only moves later"
    );
}

fn app_version(page: &str) -> String {
    let marker = "name=\"version\" value=\"";
    let start = page.find(marker).unwrap() + marker.len();
    page[start..].chars().take_while(char::is_ascii_digit).collect()
}
