//! A party asks for more time; the secretariat grants, refuses, or finds the request overtaken.

use chrono::{NaiveDate, TimeDelta};
use diesel::prelude::*;
use geschillenportaal::db::schema::{case_events, cases, extension_requests};

use crate::helpers::*;

async fn due_of(app: &TestApp, case_id: i64) -> NaiveDate {
    app.with_db(move |c| {
        cases::table
            .find(case_id)
            .select(cases::state_due_on)
            .first::<Option<NaiveDate>>(c)
            .unwrap()
            .expect("a running deadline")
    })
    .await
}

async fn latest_request(app: &TestApp, case_id: i64) -> (i64, String) {
    app.with_db(move |c| {
        extension_requests::table
            .filter(extension_requests::case_id.eq(case_id))
            .order(extension_requests::id.desc())
            .select((extension_requests::id, extension_requests::status))
            .first(c)
            .unwrap()
    })
    .await
}

#[tokio::test]
async fn a_party_asks_for_more_time_and_the_secretariat_grants_refuses_or_lets_it_lapse() {
    let (app, sink) = spawn_app_with_smtp().await;
    let case_id = app.seed_case().await.case_id;
    let secretariat = app.client_for(SECRETARIAT).await;
    let consumer = app.client_for(CONSUMER).await;
    let staff = app.client_for(STAFF).await;
    app.act(&secretariat, case_id, "accept_complete", "").await;
    app.act(&secretariat, case_id, "record_fee_paid", "").await;
    let due = due_of(&app, case_id).await;
    let ask = format!("/zaken/{case_id}/uitstel");

    // Only the parties may ask.
    for email in [OTHER_CONSUMER, MEDIATOR, SECRETARIAT, OTHER_STAFF] {
        let client = app.client_for(email).await;
        assert_eq!(app.page_as(&client, &ask).await.0, 404, "{email}");
        let form = [("until", "2099-01-01"), ("reason", "x")];
        assert_eq!(app.post_as(&client, &ask, &form).await.status(), 404, "{email}");
    }
    let (status, html) = app.page_as(&staff, &ask).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&due.format("%d-%m-%Y").to_string()),
        "names the current deadline"
    );

    // Bad input is refused beside the field, keeping what was typed.
    let reason = "Onze technicus is pas na de 20e beschikbaar voor het meetrapport.";
    let too_far = (due + TimeDelta::days(40)).to_string();
    let response = app
        .post_as(&staff, &ask, &[("until", &too_far), ("reason", reason)])
        .await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("hoogstens een maand extra") && html.contains(reason));
    let response = app.post_as(&staff, &ask, &[("until", "morgen"), ("reason", "")]).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("jjjj-mm-dd") && html.contains("value=\"morgen\""));

    let wanted = due + TimeDelta::days(14);
    let response = app
        .post_as(&staff, &ask, &[("until", &wanted.to_string()), ("reason", reason)])
        .await;
    assert_eq!(
        location(&response),
        format!("/zaken/{case_id}?notice=notice-extension-requested#uitstel")
    );
    // One open request per party at a time; the other party reads it on the case page.
    assert_eq!(app.page_as(&staff, &ask).await.0, 404);
    let (_, html) = app.page_as(&consumer, &format!("/zaken/{case_id}")).await;
    assert!(html.contains(reason) && html.contains("wacht op beslissing"));
    assert!(!html.contains("/beslissen"), "parties do not decide");
    let (_, html) = app.page_as(&secretariat, "/dashboard").await;
    assert!(html.contains("Eén verzoek om uitstel"));
    let (_, html) = app.page_as(&secretariat, "/uitstelverzoeken").await;
    assert!(html.contains(reason));
    assert_eq!(app.page_as(&consumer, "/uitstelverzoeken").await.0, 404);

    // Granting: not by a party, not beyond the request; then the deadline moves and all are told.
    let (request_id, _) = latest_request(&app, case_id).await;
    let decide = format!("/zaken/{case_id}/uitstel/{request_id}/beslissen");
    assert_eq!(
        app.post_as(&staff, &decide, &[("decision", "grant")]).await.status(),
        404
    );
    let beyond = (wanted + TimeDelta::days(1)).to_string();
    let response = app
        .post_as(&secretariat, &decide, &[("decision", "grant"), ("until", &beyond)])
        .await;
    assert_eq!(response.status(), 400);
    let before = sink.received().len();
    let response = app
        .post_as(
            &secretariat,
            &decide,
            &[("decision", "grant"), ("until", ""), ("reason", "")],
        )
        .await;
    assert_eq!(
        location(&response),
        format!("/zaken/{case_id}?notice=notice-extension-granted#uitstel")
    );
    assert_eq!(due_of(&app, case_id).await, wanted);
    assert_eq!(latest_request(&app, case_id).await.1, "granted");
    assert_eq!(
        app.post_as(&secretariat, &decide, &[("decision", "grant")])
            .await
            .status(),
        404,
        "decided once"
    );
    app.run_worker().await;
    let told: Vec<String> = sink.received()[before..].iter().map(|m| parse_email(m).to).collect();
    assert!(told.contains(&CONSUMER.to_owned()) && told.contains(&STAFF.to_owned()));

    // Refusing needs reasons and tells only the requester.
    let again = (wanted + TimeDelta::days(3)).to_string();
    app.post_as(&consumer, &ask, &[("until", &again), ("reason", "Vakantie.")])
        .await;
    let (request_id, _) = latest_request(&app, case_id).await;
    let decide = format!("/zaken/{case_id}/uitstel/{request_id}/beslissen");
    assert_eq!(
        app.post_as(&secretariat, &decide, &[("decision", "refuse"), ("reason", " ")])
            .await
            .status(),
        400
    );
    let before = sink.received().len();
    let refusal = [("decision", "refuse"), ("reason", "De aanbieder is aan zet, niet u.")];
    let response = app.post_as(&secretariat, &decide, &refusal).await;
    assert_eq!(
        location(&response),
        format!("/zaken/{case_id}?notice=notice-extension-refused#uitstel")
    );
    assert_eq!(due_of(&app, case_id).await, wanted);
    app.run_worker().await;
    let mails: Vec<Received> = sink.received()[before..].iter().map(|m| parse_email(m)).collect();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, CONSUMER);
    assert!(mails[0].text.contains("De aanbieder is aan zet"));

    // A request overtaken by the next step lapses instead of moving the new deadline.
    let later = (wanted + TimeDelta::days(5)).to_string();
    app.post_as(&staff, &ask, &[("until", &later), ("reason", "Nog even.")])
        .await;
    let (request_id, _) = latest_request(&app, case_id).await;
    app.act(&staff, case_id, "submit_defence", "Ons verweer.").await;
    let new_due = due_of(&app, case_id).await;
    let decide = format!("/zaken/{case_id}/uitstel/{request_id}/beslissen");
    let response = app.post_as(&secretariat, &decide, &[("decision", "grant")]).await;
    assert_eq!(
        location(&response),
        format!("/zaken/{case_id}?notice=notice-extension-lapsed#uitstel")
    );
    assert_eq!(due_of(&app, case_id).await, new_due);
    assert_eq!(latest_request(&app, case_id).await.1, "lapsed");

    let kinds: Vec<String> = app
        .with_db(move |c| {
            case_events::table
                .filter(case_events::case_id.eq(case_id))
                .filter(
                    case_events::kind
                        .like("%extension%")
                        .or(case_events::kind.eq("deadline_extended")),
                )
                .order(case_events::id)
                .select(case_events::kind)
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(
        kinds,
        [
            "extension_requested",
            "deadline_extended",
            "extension_requested",
            "extension_refused",
            "extension_requested"
        ]
    );
}
