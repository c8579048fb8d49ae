//! The three endings of a case over HTTP (settlement complied with; ruling complied with;
//! ruling not complied with → guarantee paid), the one-winner rules for offers, the
//! documents read back (PDF text = HTML text, the hearing's .ics), and who may see what.

use chrono::{Datelike, NaiveDate, TimeDelta, Utc};
use diesel::prelude::*;
use geschillenportaal::db::schema::{
    case_events, cases, compliance_reports, guarantee_claims, jobs, messages, offers, ratings,
};
use geschillenportaal::printable::{collapse_whitespace, html_text};
use mail_parser::MimeHeaders;

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

async fn csrf_for(app: &TestApp, client: &reqwest::Client, case_id: i64) -> String {
    let page = client
        .get(app.url(&format!("/zaken/{case_id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    extract_csrf(&page)
}

async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    csrf: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut fields = vec![("csrf_token", csrf)];
    fields.extend_from_slice(form);
    client.post(app.url(path)).form(&fields).send().await.unwrap()
}

async fn page_of(app: &TestApp, client: &reqwest::Client, case_id: i64) -> String {
    let response = client.get(app.url(&format!("/zaken/{case_id}"))).send().await.unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// Secretariat completes the file and records the fee: the case awaits the defence.
async fn to_awaiting_defence(app: &TestApp, case_id: i64) {
    let secretariat = app.client_for(SECRETARIAT).await;
    assert_eq!(
        app.act(&secretariat, case_id, "accept_complete", "").await.status(),
        303
    );
    assert_eq!(
        app.act(&secretariat, case_id, "record_fee_paid", "").await.status(),
        303
    );
    assert_eq!(state_of(app, case_id).await, "awaiting_defence");
}

/// On to mediation through the defence and the reply.
async fn to_mediation(app: &TestApp, case_id: i64) {
    to_awaiting_defence(app, case_id).await;
    let staff = app.client_for(STAFF).await;
    let consumer = app.client_for(CONSUMER).await;
    assert_eq!(
        app.act(&staff, case_id, "submit_defence", "Wij betwisten de storing.")
            .await
            .status(),
        303
    );
    assert_eq!(
        app.act(&consumer, case_id, "submit_reply", "De storing is aangetoond.")
            .await
            .status(),
        303
    );
    assert_eq!(state_of(app, case_id).await, "mediation");
}

fn in_days(days: i64) -> String {
    (Utc::now().date_naive() + TimeDelta::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

async fn make_offer(app: &TestApp, client: &reqwest::Client, case_id: i64, amount: &str) -> reqwest::Response {
    let csrf = csrf_for(app, client, case_id).await;
    let expires = in_days(14);
    post(
        app,
        client,
        &format!("/zaken/{case_id}/aanbod"),
        &csrf,
        &[
            ("amount", amount),
            ("action_credit", "on"),
            ("terms", "Creditnota over drie maanden; het abonnement loopt door."),
            ("expires_on", expires.as_str()),
        ],
    )
    .await
}

async fn open_offer_id(app: &TestApp, case_id: i64) -> i64 {
    app.with_db(move |c| {
        offers::table
            .filter(offers::case_id.eq(case_id))
            .filter(offers::status.eq("open"))
            .select(offers::id)
            .first::<i64>(c)
            .unwrap()
    })
    .await
}

async fn count_events(app: &TestApp, case_id: i64, kind: &'static str) -> i64 {
    app.with_db(move |c| {
        case_events::table
            .filter(case_events::case_id.eq(case_id))
            .filter(case_events::kind.eq(kind))
            .count()
            .get_result(c)
            .unwrap()
    })
    .await
}

/// The PDF's text, as a reader extracts it, equals the HTML's visible text.
async fn assert_pdf_matches_html(app: &TestApp, client: &reqwest::Client, base: &str) {
    let html = client.get(app.url(&format!("{base}.html"))).send().await.unwrap();
    assert_eq!(html.status(), 200);
    let html = html.text().await.unwrap();
    let pdf = client.get(app.url(&format!("{base}.pdf"))).send().await.unwrap();
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let extracted = pdf_extract::extract_text_from_mem(&bytes).expect("the PDF opens and has text");
    assert_eq!(collapse_whitespace(&extracted), html_text(&html));
}

#[tokio::test]
async fn a_settlement_is_accepted_recorded_as_html_and_pdf_complied_with_and_rated() {
    let app = spawn_app().await;
    let id = app.seed_case().await.case_id;
    to_awaiting_defence(&app, id).await;
    let staff = app.client_for(STAFF).await;
    let consumer = app.client_for(CONSUMER).await;

    // A bad amount keeps what was typed and says what is wrong.
    let bad = make_offer(&app, &staff, id, "heel veel").await;
    assert_eq!(bad.status(), 422);
    let bad = bad.text().await.unwrap();
    assert!(bad.contains("Vul een bedrag in euro"));
    assert!(bad.contains("Creditnota over drie maanden"));

    assert_eq!(make_offer(&app, &staff, id, "120,50").await.status(), 303);
    // A second offer while one is open is refused with a clear message.
    let second = make_offer(&app, &staff, id, "99").await;
    assert_eq!(second.status(), 409);
    assert!(second.text().await.unwrap().contains("Er staat al een voorstel open"));

    let page = page_of(&app, &consumer, id).await;
    assert!(page.contains("Voorstel van de aanbieder"));
    assert!(page.contains("€ 120,50"));
    let offer = open_offer_id(&app, id).await;
    let csrf = extract_csrf(&page);
    let accepted = post(
        &app,
        &consumer,
        &format!("/zaken/{id}/aanbod/{offer}/antwoord"),
        &csrf,
        &[("answer", "accept"), ("reason", "")],
    )
    .await;
    assert_eq!(accepted.status(), 303);
    assert_eq!(state_of(&app, id).await, "in_compliance");
    let due = app
        .with_db(move |c| {
            cases::table
                .find(id)
                .select(cases::state_due_on)
                .first::<Option<NaiveDate>>(c)
                .unwrap()
        })
        .await
        .expect("the compliance term runs");
    assert_eq!(
        due,
        Utc::now().date_naive() + TimeDelta::days(28),
        "the settlement's default term"
    );

    // The settlement is a document both parties download, and nobody else.
    for client in [&consumer, &staff] {
        assert_pdf_matches_html(&app, client, &format!("/zaken/{id}/schikking")).await;
    }
    let html = consumer
        .get(app.url(&format!("/zaken/{id}/schikking.html")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("€ 120,50") && html.contains("Creditering") && html.contains(&due.format("%d-%m-%Y").to_string())
    );
    let outsider = app.client_for(OTHER_CONSUMER).await;
    assert_eq!(
        outsider
            .get(app.url(&format!("/zaken/{id}/schikking.pdf")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // The provider reports compliance with evidence (here: the settlement PDF itself).
    let evidence = staff
        .get(app.url(&format!("/zaken/{id}/schikking.pdf")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let csrf = csrf_for(&app, &staff, id).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf)
        .text("note", "Creditnota van € 120,50 verstuurd.")
        .part(
            "file",
            reqwest::multipart::Part::bytes(evidence.to_vec()).file_name("creditnota.pdf"),
        );
    let reported = staff
        .post(app.url(&format!("/zaken/{id}/nakoming")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(reported.status(), 303);
    assert_eq!(state_of(&app, id).await, "in_compliance");
    let page = page_of(&app, &consumer, id).await;
    assert!(page.contains("Aanbieder meldt: nagekomen") && page.contains("Creditnota van € 120,50 verstuurd."));

    let csrf = extract_csrf(&page);
    let empty_dispute = post(
        &app,
        &consumer,
        &format!("/zaken/{id}/nakoming/antwoord"),
        &csrf,
        &[("answer", "dispute"), ("note", "   ")],
    )
    .await;
    assert_eq!(empty_dispute.status(), 422);
    let again = empty_dispute.text().await.unwrap();
    assert!(again.contains("Schrijf een korte toelichting") && again.contains("id=\"dispute-note-error\""));
    assert_eq!(state_of(&app, id).await, "in_compliance", "nothing was recorded");
    let confirmed = post(
        &app,
        &consumer,
        &format!("/zaken/{id}/nakoming/antwoord"),
        &csrf,
        &[("answer", "confirm"), ("note", "")],
    )
    .await;
    assert_eq!(confirmed.status(), 303);
    assert_eq!(state_of(&app, id).await, "closed");

    // The consumer is asked to rate, and rates once.
    let asked = app
        .with_db(|c| jobs::table.select(jobs::payload).load::<String>(c).unwrap())
        .await
        .into_iter()
        .any(|p| p.contains(CONSUMER) && p.contains("hoe de aanbieder met uw klacht is omgegaan"));
    assert!(asked);
    let page = page_of(&app, &consumer, id).await;
    assert!(page.contains("Hoe ging de aanbieder met uw klacht om?"));
    let csrf = extract_csrf(&page);
    let nonsense = post(
        &app,
        &consumer,
        &format!("/zaken/{id}/beoordeling"),
        &csrf,
        &[("score", "9"), ("comment", "Snel <b>geholpen</b>, dank.")],
    )
    .await;
    assert_eq!(nonsense.status(), 422);
    let again = nonsense.text().await.unwrap();
    assert!(again.contains("Kies een cijfer van 1 tot en met 5."));
    assert!(
        again.contains(">Snel &lt;b&gt;geholpen&lt;/b&gt;, dank.</textarea>"),
        "the comment is kept, escaped: {again}"
    );
    assert!(again.contains("aria-describedby=\"rating-score-error\""));
    let too_long = "x".repeat(2001);
    let nonsense = post(
        &app,
        &consumer,
        &format!("/zaken/{id}/beoordeling"),
        &csrf,
        &[("score", "3"), ("comment", too_long.as_str())],
    )
    .await;
    assert_eq!(nonsense.status(), 422);
    let again = nonsense.text().await.unwrap();
    assert!(again.contains("De toelichting mag hoogstens 2.000 tekens zijn."));
    assert!(again.contains("value=\"3\" checked"), "the chosen score is kept");
    assert!(again.contains(&too_long), "the long comment is kept to be shortened");
    let rated = post(
        &app,
        &consumer,
        &format!("/zaken/{id}/beoordeling"),
        &csrf,
        &[("score", "4"), ("comment", "Netjes opgelost.")],
    )
    .await;
    assert_eq!(rated.status(), 303);
    let again = post(
        &app,
        &consumer,
        &format!("/zaken/{id}/beoordeling"),
        &csrf,
        &[("score", "1"), ("comment", "")],
    )
    .await;
    assert_eq!(again.status(), 409);
    let stored = app
        .with_db(move |c| {
            ratings::table
                .filter(ratings::case_id.eq(id))
                .select((ratings::score, ratings::comment))
                .load::<(i32, String)>(c)
                .unwrap()
        })
        .await;
    assert_eq!(stored, vec![(4, "Netjes opgelost.".to_owned())]);
    let staff_rating = post(
        &app,
        &staff,
        &format!("/zaken/{id}/beoordeling"),
        &csrf_for(&app, &staff, id).await,
        &[("score", "5")],
    )
    .await;
    assert_eq!(staff_rating.status(), 404, "only the consumer rates");
    assert_page_lists_read_as_their_tables(&app, id).await;
}

/// The case page reads all its lists in one statement of one wide row shape
/// (`cases::page_lists`). Each list must come back as a reader of its own table reads it, field for
/// field: the page shows only some fields, so a slot mixed up between two of the same type would
/// otherwise go unseen.
async fn assert_page_lists_read_as_their_tables(app: &TestApp, id: i64) {
    app.with_db(move |c| {
        let lists = geschillenportaal::cases::page_lists::case_page_lists(c, id).unwrap();
        let offers = geschillenportaal::offers::store::history(c, id).unwrap();
        assert_eq!(format!("{:?}", lists.offers), format!("{offers:?}"));
        let rulings = geschillenportaal::rulings::store::all_of_case(c, id).unwrap();
        assert_eq!(format!("{:?}", lists.rulings), format!("{rulings:?}"));
        let hearing = geschillenportaal::hearings::handlers::current(c, id).unwrap();
        assert_eq!(format!("{:?}", lists.hearing), format!("{hearing:?}"));

        type EventRow = (chrono::NaiveDateTime, String, Option<String>, Option<String>, String);
        let events: Vec<EventRow> = case_events::table
            .filter(case_events::case_id.eq(id))
            .order(case_events::id)
            .select((
                case_events::at,
                case_events::kind,
                case_events::to_state,
                case_events::from_state,
                case_events::detail,
            ))
            .load(c)
            .unwrap();
        let timeline: Vec<EventRow> = lists
            .timeline
            .iter()
            .map(|e| {
                (
                    e.at,
                    e.kind.clone(),
                    e.to_state.clone(),
                    e.from_state.clone(),
                    e.detail.clone(),
                )
            })
            .collect();
        assert_eq!(timeline, events);

        type MessageRow = (
            i64,
            i64,
            String,
            String,
            String,
            Option<NaiveDate>,
            chrono::NaiveDateTime,
        );
        let stored: Vec<MessageRow> = messages::table
            .filter(messages::case_id.eq(id))
            .order(messages::id)
            .select((
                messages::id,
                messages::author_id,
                messages::body,
                messages::visibility,
                messages::moderation,
                messages::reply_due_on,
                messages::created_at,
            ))
            .load(c)
            .unwrap();
        let listed: Vec<MessageRow> = lists
            .messages
            .iter()
            .map(|m| {
                let m = m.clone();
                (
                    m.id,
                    m.author_id,
                    m.body,
                    m.visibility,
                    m.moderation,
                    m.reply_due_on,
                    m.created_at,
                )
            })
            .collect();
        assert_eq!(listed, stored);

        type ReportRow = (String, String, Option<i64>, chrono::NaiveDateTime);
        let reports: Vec<ReportRow> = compliance_reports::table
            .filter(compliance_reports::case_id.eq(id))
            .order(compliance_reports::id)
            .select((
                compliance_reports::kind,
                compliance_reports::note,
                compliance_reports::document_id,
                compliance_reports::created_at,
            ))
            .load(c)
            .unwrap();
        let listed: Vec<ReportRow> = lists
            .compliance_reports
            .iter()
            .map(|r| (r.kind.clone(), r.note.clone(), r.document_id, r.created_at))
            .collect();
        assert_eq!(listed, reports);

        let claim: Option<(i64, String, Option<chrono::NaiveDateTime>)> = guarantee_claims::table
            .filter(guarantee_claims::case_id.eq(id))
            .select((
                guarantee_claims::amount_cents,
                guarantee_claims::status,
                guarantee_claims::paid_at,
            ))
            .first(c)
            .optional()
            .unwrap();
        let listed = lists
            .guarantee_claim
            .as_ref()
            .map(|g| (g.amount_cents, g.status.clone(), g.paid_at));
        assert_eq!(listed, claim);

        let rating: Option<(i32, String)> = ratings::table
            .filter(ratings::case_id.eq(id))
            .select((ratings::score, ratings::comment))
            .first(c)
            .optional()
            .unwrap();
        assert_eq!(lists.rating, rating);
    })
    .await;
}

/// Plans the hearing tomorrow at 10:00 Dutch time.
async fn plan_hearing(app: &TestApp, id: i64, time: &str) -> reqwest::Response {
    let secretariat = app.client_for(SECRETARIAT).await;
    let csrf = csrf_for(app, &secretariat, id).await;
    let date = in_days(1);
    post(
        app,
        &secretariat,
        &format!("/zaken/{id}/zitting"),
        &csrf,
        &[
            ("date", date.as_str()),
            ("time", time),
            ("location", "Bordewijklaan 46, Den Haag"),
            ("video_link", ""),
        ],
    )
    .await
}

async fn draft_and_issue(app: &TestApp, id: i64, outcome: &str, award: &str) {
    let mediator = app.client_for(MEDIATOR).await;
    let csrf = csrf_for(app, &mediator, id).await;
    let saved = post(
        app,
        &mediator,
        &format!("/zaken/{id}/uitspraak"),
        &csrf,
        &[
            ("outcome", outcome),
            ("award", award),
            ("award_actions", ""),
            ("refund", ""),
            ("deposit_decision", "none"),
            (
                "summary",
                "De aanbieder betaalt € 240 terug, omdat het internet drie maanden niet goed werkte.",
            ),
            (
                "reasoning",
                "De storingen zijn aangetoond met metingen. Zażółć gęślą jaźń: één keer per dag.",
            ),
            ("corrects", ""),
        ],
    )
    .await;
    assert_eq!(saved.status(), 303);
    let ruling: i64 = app
        .with_db(move |c| {
            geschillenportaal::db::schema::rulings::table
                .filter(geschillenportaal::db::schema::rulings::case_id.eq(id))
                .select(geschillenportaal::db::schema::rulings::id)
                .first(c)
                .unwrap()
        })
        .await;
    // The draft is the panel's: the parties and other mediators do not see it.
    let consumer = app.client_for(CONSUMER).await;
    assert!(
        !page_of(app, &consumer, id)
            .await
            .contains("drie maanden niet goed werkte")
    );
    assert_eq!(
        consumer
            .get(app.url(&format!("/zaken/{id}/uitspraak/{ruling}.html")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let other = app.client_for(OTHER_MEDIATOR).await;
    assert_eq!(
        other
            .get(app.url(&format!("/zaken/{id}/uitspraak/{ruling}.html")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let consumer_csrf = csrf_for(app, &consumer, id).await;
    let forged = post(
        app,
        &consumer,
        &format!("/zaken/{id}/uitspraak/{ruling}/uitbrengen"),
        &consumer_csrf,
        &[],
    )
    .await;
    assert_eq!(forged.status(), 404);

    let issued = post(
        app,
        &mediator,
        &format!("/zaken/{id}/uitspraak/{ruling}/uitbrengen"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(issued.status(), 303);
    // Issued is final: issuing again or editing is refused.
    let again = post(
        app,
        &mediator,
        &format!("/zaken/{id}/uitspraak/{ruling}/uitbrengen"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(again.status(), 409);
    assert_pdf_matches_html(app, &consumer, &format!("/zaken/{id}/uitspraak/{ruling}")).await;
    let html = consumer
        .get(app.url(&format!("/zaken/{id}/uitspraak/{ruling}.html")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("De klacht is gegrond") && html.contains("Zażółć gęślą jaźń"));
}

#[tokio::test]
async fn a_ruling_after_a_hearing_is_upheld_complied_with_and_the_case_closes() {
    let (app, sink) = spawn_app_with_smtp().await;
    let id = app.seed_case().await.case_id;
    to_mediation(&app, id).await;
    // A refused hearing form comes back with what was typed and the message beside its field.
    let secretariat = app.client_for(SECRETARIAT).await;
    let csrf = csrf_for(&app, &secretariat, id).await;
    let tomorrow = in_days(1);
    let refused = post(
        &app,
        &secretariat,
        &format!("/zaken/{id}/zitting"),
        &csrf,
        &[
            ("date", tomorrow.as_str()),
            ("time", "10:00"),
            ("location", "Zaal 3, Bordewijklaan 46"),
            ("video_link", "http://video.example.nl/zitting"),
        ],
    )
    .await;
    assert_eq!(refused.status(), 422);
    let again = refused.text().await.unwrap();
    assert!(again.contains("Een videolink begint met https://"));
    assert!(again.contains("id=\"hearing-video-error\"") && again.contains("aria-invalid=\"true\""));
    for typed in [
        tomorrow.as_str(),
        "10:00",
        "Zaal 3, Bordewijklaan 46",
        "http://video.example.nl/zitting",
    ] {
        assert!(
            again.contains(&format!("value=\"{typed}\"")),
            "{typed} is kept: {again}"
        );
    }
    let yesterday = in_days(-1);
    let past = post(
        &app,
        &secretariat,
        &format!("/zaken/{id}/zitting"),
        &csrf,
        &[
            ("date", yesterday.as_str()),
            ("time", "10:00"),
            ("location", "Den Haag"),
            ("video_link", ""),
        ],
    )
    .await;
    assert_eq!(past.status(), 422);
    assert!(
        past.text()
            .await
            .unwrap()
            .contains("De zitting moet in de toekomst liggen.")
    );
    assert_eq!(state_of(&app, id).await, "mediation", "nothing was planned");
    assert_eq!(plan_hearing(&app, id, "10:00").await.status(), 303);
    assert_eq!(state_of(&app, id).await, "hearing_scheduled");
    assert_eq!(plan_hearing(&app, id, "14:30").await.status(), 303, "moved");
    app.run_worker().await;

    // Both parties got the invitation and the move, each with a calendar file that parses back.
    let mut calendars = Vec::new();
    for raw in sink.received() {
        let message = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
        for part in message.attachments() {
            if part.attachment_name() == Some("zitting.ics") {
                let to = message
                    .to()
                    .and_then(|a| a.first())
                    .and_then(|a| a.address())
                    .unwrap_or_default()
                    .to_owned();
                calendars.push((to, String::from_utf8(part.contents().to_vec()).unwrap()));
            }
        }
    }
    for party in [CONSUMER, STAFF] {
        assert_eq!(
            calendars.iter().filter(|(to, _)| to == party).count(),
            2,
            "{party}: invitation and move"
        );
    }
    let tomorrow = Utc::now().date_naive() + TimeDelta::days(1);
    let summer = (4..=9).contains(&tomorrow.month()); // whole months inside Dutch summer time
    let winter = tomorrow.month() <= 2 || tomorrow.month() >= 11;
    let mut sequences = Vec::new();
    for (_, text) in calendars.iter().filter(|(to, _)| to == CONSUMER) {
        use icalendar::{Component, EventLike};
        let calendar: icalendar::Calendar = text.parse().expect("the .ics parses");
        let event = calendar.events().next().expect("one event");
        sequences.push(event.get_sequence().unwrap());
        assert_eq!(event.get_location(), Some("Bordewijklaan 46, Den Haag"));
        let Some(icalendar::DatePerhapsTime::DateTime(icalendar::CalendarDateTime::Utc(start))) = event.get_start()
        else {
            panic!("a UTC start");
        };
        assert_eq!(start.date_naive(), tomorrow);
        if summer || winter {
            let expected_hours = if sequences.len() == 1 { [8, 9] } else { [12, 13] };
            assert_eq!(
                start.format("%H").to_string().parse::<u32>().unwrap(),
                expected_hours[usize::from(winter)]
            );
        }
    }
    sequences.sort();
    assert_eq!(sequences, vec![0, 1]);

    draft_and_issue(&app, id, "upheld", "240").await;
    assert_eq!(state_of(&app, id).await, "in_compliance");
    // Issuing puts the anonymised version in the secretariat's publication queue, not yet public.
    let (status, outcome): (String, String) = app
        .with_db(move |c| {
            use geschillenportaal::db::schema::{published_rulings, rulings};
            published_rulings::table
                .inner_join(rulings::table)
                .filter(rulings::case_id.eq(id))
                .select((published_rulings::status, published_rulings::outcome))
                .first(c)
                .unwrap()
        })
        .await;
    assert_eq!((status.as_str(), outcome.as_str()), ("in_review", "upheld"));
    let secretariat = app.client_for(SECRETARIAT).await;
    let queue = secretariat
        .get(app.url("/secretariaat/uitspraken"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(queue.contains("TEL-"), "the ruling waits for review");
    app.run_worker().await;
    let with_pdf = sink.received().iter().any(|raw| {
        let message = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
        message.to().and_then(|a| a.first()).and_then(|a| a.address()) == Some(CONSUMER)
            && message
                .attachments()
                .any(|p| p.attachment_name().is_some_and(|n| n.ends_with(".pdf")))
    });
    assert!(with_pdf, "the consumer receives the ruling as PDF");

    // The provider reports compliance through the API; the consumer confirms.
    let token = app
        .with_db(|c| {
            let staff: i64 = geschillenportaal::db::schema::users::table
                .filter(geschillenportaal::db::schema::users::email.eq(STAFF))
                .select(geschillenportaal::db::schema::users::id)
                .first(c)
                .unwrap();
            let now = Utc::now().naive_utc();
            geschillenportaal::accounts::api_tokens::create(
                c,
                staff,
                "ticketing",
                geschillenportaal::accounts::api_tokens::Scope::Write,
                now + TimeDelta::days(30),
                now,
            )
            .unwrap()
            .1
        })
        .await;
    let reported = app
        .client
        .post(app.url(&format!("/api/v1/cases/{id}/compliance")))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "note": "€ 240 teruggestort op 1 december." }))
        .send()
        .await
        .unwrap();
    assert_eq!(reported.status(), 201);
    let consumer = app.client_for(CONSUMER).await;
    let csrf = csrf_for(&app, &consumer, id).await;
    let confirmed = post(
        &app,
        &consumer,
        &format!("/zaken/{id}/nakoming/antwoord"),
        &csrf,
        &[("answer", "confirm")],
    )
    .await;
    assert_eq!(confirmed.status(), 303);
    assert_eq!(state_of(&app, id).await, "closed");
}

#[tokio::test]
async fn a_ruling_not_complied_with_becomes_a_guarantee_claim_that_the_guarantor_pays() {
    let app = spawn_app().await;
    let id = app.seed_case().await.case_id;
    let guarantor = app
        .with_db(move |c| {
            let now = Utc::now().naive_utc();
            let (provider_id, scheme_id): (i64, i64) = cases::table
                .find(id)
                .select((cases::provider_id, cases::scheme_id))
                .first(c)
                .unwrap();
            let guarantor = geschillenportaal::registry::create_guarantor(
                c,
                "Branchevereniging ICT",
                "trade_association",
                "garantie@branche.example.nl",
                now,
            )
            .unwrap();
            geschillenportaal::registry::create_membership(
                c,
                geschillenportaal::registry::NewMembership {
                    provider_id,
                    scheme_id,
                    valid_from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
                    valid_until: None,
                    via: "trade_association",
                    guarantor_id: Some(guarantor),
                    status: "active",
                },
                now,
            )
            .unwrap();
            guarantor
        })
        .await;
    to_mediation(&app, id).await;
    assert_eq!(plan_hearing(&app, id, "10:00").await.status(), 303);
    draft_and_issue(&app, id, "upheld", "240").await;
    assert_eq!(state_of(&app, id).await, "in_compliance");

    // The provider stays silent past the term: the worker opens the claim on the guarantor.
    let due = app
        .with_db(move |c| {
            cases::table
                .find(id)
                .select(cases::state_due_on)
                .first::<Option<NaiveDate>>(c)
                .unwrap()
        })
        .await
        .unwrap();
    let context = app.worker_context();
    let after = (due + TimeDelta::days(1)).and_hms_opt(9, 0, 0).unwrap();
    geschillenportaal::jobs::worker::housekeeping(&context, after)
        .await
        .unwrap();
    geschillenportaal::jobs::worker::housekeeping(&context, after)
        .await
        .unwrap();
    assert_eq!(state_of(&app, id).await, "guarantee_claim");
    let claims = app
        .with_db(move |c| {
            guarantee_claims::table
                .filter(guarantee_claims::case_id.eq(id))
                .select((
                    guarantee_claims::guarantor_id,
                    guarantee_claims::amount_cents,
                    guarantee_claims::status,
                ))
                .load::<(Option<i64>, i64, String)>(c)
                .unwrap()
        })
        .await;
    assert_eq!(
        claims,
        vec![(Some(guarantor), 24_000, "open".to_owned())],
        "once, the award within the cap"
    );
    let mailed = app
        .with_db(|c| jobs::table.select(jobs::payload).load::<String>(c).unwrap())
        .await
        .into_iter()
        .any(|p| p.contains("garantie@branche.example.nl") && p.contains("€ 240,00"));
    assert!(mailed, "the guarantor is asked to pay");

    let consumer = app.client_for(CONSUMER).await;
    let page = page_of(&app, &consumer, id).await;
    assert!(page.contains("Branchevereniging ICT") && page.contains("Gevraagd, nog niet betaald"));
    let forged = post(
        &app,
        &consumer,
        &format!("/zaken/{id}/garantie/betaald"),
        &extract_csrf(&page),
        &[],
    )
    .await;
    assert_eq!(forged.status(), 404);

    let secretariat = app.client_for(SECRETARIAT).await;
    let csrf = csrf_for(&app, &secretariat, id).await;
    let paid = post(&app, &secretariat, &format!("/zaken/{id}/garantie/betaald"), &csrf, &[]).await;
    assert_eq!(paid.status(), 303);
    assert_eq!(state_of(&app, id).await, "closed");
    let status = app
        .with_db(move |c| {
            guarantee_claims::table
                .filter(guarantee_claims::case_id.eq(id))
                .select(guarantee_claims::status)
                .first::<String>(c)
                .unwrap()
        })
        .await;
    assert_eq!(status, "paid");
    assert!(
        page_of(&app, &consumer, id)
            .await
            .contains("Hoe ging de aanbieder met uw klacht om?")
    );
    assert_page_lists_read_as_their_tables(&app, id).await;
}

#[tokio::test]
async fn accepting_twice_at_the_same_moment_settles_once_and_tells_the_loser() {
    let app = spawn_app().await;
    let id = app.seed_case().await.case_id;
    to_awaiting_defence(&app, id).await;
    let staff = app.client_for(STAFF).await;
    assert_eq!(make_offer(&app, &staff, id, "50").await.status(), 303);
    let offer = open_offer_id(&app, id).await;
    let consumer = app.client_for(CONSUMER).await;
    let csrf = csrf_for(&app, &consumer, id).await;
    let path = format!("/zaken/{id}/aanbod/{offer}/antwoord");
    let (a, b) = tokio::join!(
        post(&app, &consumer, &path, &csrf, &[("answer", "accept")]),
        post(&app, &consumer, &path, &csrf, &[("answer", "accept")])
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    let loser = if a.status() == 409 { a } else { b };
    statuses.sort();
    assert_eq!(statuses, [303, 409]);
    assert!(loser.text().await.unwrap().contains("zojuist al aangenomen"));
    assert_eq!(count_events(&app, id, "accept_settlement").await, 1);
    assert_eq!(state_of(&app, id).await, "in_compliance");
}

#[tokio::test]
async fn accepting_and_countering_the_same_offer_at_once_has_exactly_one_outcome() {
    let app = spawn_app().await;
    let id = app.seed_case().await.case_id;
    to_awaiting_defence(&app, id).await;
    let staff = app.client_for(STAFF).await;
    assert_eq!(make_offer(&app, &staff, id, "50").await.status(), 303);
    let offer = open_offer_id(&app, id).await;
    let consumer = app.client_for(CONSUMER).await;
    let csrf = csrf_for(&app, &consumer, id).await;
    let expires = in_days(10);
    let offer_text = offer.to_string();
    let accept_path = format!("/zaken/{id}/aanbod/{offer}/antwoord");
    let counter_path = format!("/zaken/{id}/aanbod");
    let counter = [
        ("amount", "150"),
        ("terms", "Liever € 150."),
        ("expires_on", expires.as_str()),
        ("replaces", offer_text.as_str()),
    ];
    let (a, b) = tokio::join!(
        post(&app, &consumer, &accept_path, &csrf, &[("answer", "accept")]),
        post(&app, &consumer, &counter_path, &csrf, &counter)
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [303, 409]);
    let settled = state_of(&app, id).await == "in_compliance";
    let statuses: Vec<String> = app
        .with_db(move |c| {
            offers::table
                .filter(offers::case_id.eq(id))
                .order(offers::id)
                .select(offers::status)
                .load(c)
                .unwrap()
        })
        .await;
    if settled {
        assert_eq!(statuses, vec!["accepted"]);
    } else {
        assert_eq!(statuses, vec!["countered", "open"]);
        // The countered offer can no longer be accepted, and the page says why.
        let late = post(&app, &consumer, &accept_path, &csrf, &[("answer", "accept")]).await;
        assert_eq!(late.status(), 409);
        assert!(late.text().await.unwrap().contains("vervangen door een tegenvoorstel"));
    }
}

#[tokio::test]
async fn a_mediators_proposal_accepted_by_both_parties_at_once_settles_the_case_once() {
    let app = spawn_app().await;
    let id = app.seed_case().await.case_id;
    to_mediation(&app, id).await;
    let mediator = app.client_for(MEDIATOR).await;
    assert_eq!(make_offer(&app, &mediator, id, "75").await.status(), 303);
    let offer = open_offer_id(&app, id).await;
    let consumer = app.client_for(CONSUMER).await;
    let staff = app.client_for(STAFF).await;
    let (consumer_csrf, staff_csrf) = (csrf_for(&app, &consumer, id).await, csrf_for(&app, &staff, id).await);
    let path = format!("/zaken/{id}/aanbod/{offer}/antwoord");
    let (a, b) = tokio::join!(
        post(&app, &consumer, &path, &consumer_csrf, &[("answer", "accept")]),
        post(&app, &staff, &path, &staff_csrf, &[("answer", "accept")])
    );
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (303, 303));
    assert_eq!(count_events(&app, id, "accept_settlement").await, 1);
    assert_eq!(state_of(&app, id).await, "in_compliance");
}

#[tokio::test]
async fn an_expired_offer_is_expired_by_the_worker_everyone_is_told_and_it_cannot_be_accepted() {
    let app = spawn_app().await;
    let id = app.seed_case().await.case_id;
    to_awaiting_defence(&app, id).await;
    let staff = app.client_for(STAFF).await;
    assert_eq!(make_offer(&app, &staff, id, "50").await.status(), 303);
    let offer = open_offer_id(&app, id).await;
    let before = app.with_db(|c| jobs::table.count().get_result::<i64>(c).unwrap()).await;
    let context = app.worker_context();
    let later = (Utc::now().date_naive() + TimeDelta::days(15))
        .and_hms_opt(9, 0, 0)
        .unwrap();
    geschillenportaal::jobs::worker::housekeeping(&context, later)
        .await
        .unwrap();
    geschillenportaal::jobs::worker::housekeeping(&context, later)
        .await
        .unwrap();
    let status = app
        .with_db(move |c| {
            offers::table
                .find(offer)
                .select(offers::status)
                .first::<String>(c)
                .unwrap()
        })
        .await;
    assert_eq!(status, "expired");
    assert_eq!(
        count_events(&app, id, "offer_expired").await,
        1,
        "once, however often the worker runs"
    );
    let told: Vec<String> = app
        .with_db(|c| jobs::table.select(jobs::payload).load::<String>(c).unwrap())
        .await
        .into_iter()
        .filter(|p| p.contains("verlopen zonder antwoord"))
        .collect();
    assert!(told.iter().any(|p| p.contains(CONSUMER)) && told.iter().any(|p| p.contains(STAFF)));
    assert!(app.with_db(|c| jobs::table.count().get_result::<i64>(c).unwrap()).await > before);
    let consumer = app.client_for(CONSUMER).await;
    let csrf = csrf_for(&app, &consumer, id).await;
    let late = post(
        &app,
        &consumer,
        &format!("/zaken/{id}/aanbod/{offer}/antwoord"),
        &csrf,
        &[("answer", "accept")],
    )
    .await;
    assert_eq!(late.status(), 409);
    assert!(late.text().await.unwrap().contains("verlopen"));
}

#[tokio::test]
async fn offers_are_only_for_the_parties_and_the_api_answers_for_providers() {
    let app = spawn_app().await;
    let id = app.seed_case().await.case_id;
    to_awaiting_defence(&app, id).await;
    let tokens = app
        .with_db(|c| {
            let now = Utc::now().naive_utc();
            let mut token = |email: &str| {
                let user: i64 = geschillenportaal::db::schema::users::table
                    .filter(geschillenportaal::db::schema::users::email.eq(email))
                    .select(geschillenportaal::db::schema::users::id)
                    .first(c)
                    .unwrap();
                geschillenportaal::accounts::api_tokens::create(
                    c,
                    user,
                    "t",
                    geschillenportaal::accounts::api_tokens::Scope::Write,
                    now + TimeDelta::days(1),
                    now,
                )
                .unwrap()
                .1
            };
            (token(STAFF), token(OTHER_STAFF))
        })
        .await;
    let (mine, theirs) = tokens;
    let expires = in_days(7);
    let made = app
        .client
        .post(app.url(&format!("/api/v1/cases/{id}/offers")))
        .bearer_auth(&mine)
        .json(&serde_json::json!({ "amount_cents": 8000, "actions": ["credit"], "terms": "Creditnota.", "expires_on": expires }))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let made: serde_json::Value = made.json().await.unwrap();
    assert_eq!(made["status"], "open");
    let offer = made["id"].as_i64().unwrap();
    let list = app
        .client
        .get(app.url(&format!("/api/v1/cases/{id}/offers")))
        .bearer_auth(&mine)
        .send()
        .await
        .unwrap();
    assert_eq!(list.status(), 200);
    let list: serde_json::Value = list.json().await.unwrap();
    assert_eq!(list["offers"][0]["amount_cents"], 8000);
    // Another provider's staff: the case does not exist for them.
    let other = app
        .client
        .get(app.url(&format!("/api/v1/cases/{id}/offers")))
        .bearer_auth(&theirs)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    // The provider cannot accept its own offer.
    let own = app
        .client
        .post(app.url(&format!("/api/v1/cases/{id}/offers/{offer}/answer")))
        .bearer_auth(&mine)
        .json(&serde_json::json!({ "answer": "accept" }))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 404);
    // Someone else's consumer sees nothing; the consumer rejects with a reason.
    let outsider = app.client_for(OTHER_CONSUMER).await;
    assert_eq!(
        outsider
            .get(app.url(&format!("/zaken/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let consumer = app.client_for(CONSUMER).await;
    let csrf = csrf_for(&app, &consumer, id).await;
    let rejected = post(
        &app,
        &consumer,
        &format!("/zaken/{id}/aanbod/{offer}/antwoord"),
        &csrf,
        &[("answer", "reject"), ("reason", "Te weinig.")],
    )
    .await;
    assert_eq!(rejected.status(), 303);
    let page = page_of(&app, &staff_page_client(&app).await, id).await;
    assert!(page.contains("Afgewezen") && page.contains("Te weinig."));
    // Parties cannot plan hearings.
    let hearing = post(
        &app,
        &consumer,
        &format!("/zaken/{id}/zitting"),
        &csrf,
        &[("date", "2030-01-01"), ("time", "10:00"), ("location", "x")],
    )
    .await;
    assert_eq!(hearing.status(), 404);
}

async fn staff_page_client(app: &TestApp) -> reqwest::Client {
    app.client_for(STAFF).await
}

#[tokio::test]
async fn the_panel_is_reminded_once_when_the_ruling_term_after_the_hearing_is_close() {
    let app = spawn_app().await;
    let id = app.seed_case().await.case_id;
    to_mediation(&app, id).await;
    assert_eq!(plan_hearing(&app, id, "10:00").await.status(), 303);
    let hearing_day = Utc::now().date_naive() + TimeDelta::days(1);
    let due = geschillenportaal::registry::rules::SchemeRules::commission_defaults()
        .ruling_term_after_hearing
        .add_to(hearing_day);
    let context = app.worker_context();
    let early = (due - TimeDelta::days(10)).and_hms_opt(9, 0, 0).unwrap();
    geschillenportaal::jobs::worker::housekeeping(&context, early)
        .await
        .unwrap();
    assert_eq!(
        count_events(&app, id, "ruling_term_reminder").await,
        0,
        "not yet in the last week"
    );
    let close = (due - TimeDelta::days(3)).and_hms_opt(9, 0, 0).unwrap();
    geschillenportaal::jobs::worker::housekeeping(&context, close)
        .await
        .unwrap();
    geschillenportaal::jobs::worker::housekeeping(&context, close)
        .await
        .unwrap();
    assert_eq!(count_events(&app, id, "ruling_term_reminder").await, 1);
    let reminders: Vec<String> = app
        .with_db(|c| jobs::table.select(jobs::payload).load::<String>(c).unwrap())
        .await
        .into_iter()
        .filter(|p| p.contains("moet uiterlijk"))
        .collect();
    assert_eq!(reminders.len(), 1, "only the panel: {reminders:?}");
    assert!(reminders[0].contains(MEDIATOR) && reminders[0].contains(&due.format("%d-%m-%Y").to_string()));
}

#[tokio::test]
async fn an_issued_ruling_is_final_and_an_obvious_error_is_corrected_by_a_linked_ruling() {
    use geschillenportaal::db::schema::rulings;
    let app = spawn_app().await;
    let id = app.seed_case().await.case_id;
    to_mediation(&app, id).await;
    assert_eq!(plan_hearing(&app, id, "10:00").await.status(), 303);
    draft_and_issue(&app, id, "upheld", "240").await;
    let first: i64 = app
        .with_db(move |c| {
            rulings::table
                .filter(rulings::case_id.eq(id))
                .select(rulings::id)
                .first(c)
                .unwrap()
        })
        .await;
    let mediator = app.client_for(MEDIATOR).await;
    let page = page_of(&app, &mediator, id).await;
    assert!(page.contains("Verbetering schrijven"));
    let csrf = extract_csrf(&page);
    let first_text = first.to_string();
    let form = [
        ("outcome", "upheld"),
        ("award", "240"),
        ("award_actions", ""),
        ("refund", ""),
        ("deposit_decision", "none"),
        ("summary", "De aanbieder betaalt € 240 terug (datum verbeterd)."),
        ("reasoning", "Verbetering van een kennelijke schrijffout in de datum."),
        ("corrects", first_text.as_str()),
    ];
    assert_eq!(
        post(&app, &mediator, &format!("/zaken/{id}/uitspraak"), &csrf, &form)
            .await
            .status(),
        303
    );
    let rows: Vec<(i64, String, Option<i64>, String)> = app
        .with_db(move |c| {
            rulings::table
                .filter(rulings::case_id.eq(id))
                .order(rulings::id)
                .select((
                    rulings::id,
                    rulings::status,
                    rulings::corrects_ruling_id,
                    rulings::summary,
                ))
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].1, "issued");
    assert!(rows[0].3.contains("drie maanden"), "the issued ruling is untouched");
    assert_eq!((rows[1].1.as_str(), rows[1].2), ("draft", Some(first)));
    let correction = rows[1].0;
    let issued = post(
        &app,
        &mediator,
        &format!("/zaken/{id}/uitspraak/{correction}/uitbrengen"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(issued.status(), 303);
    assert_eq!(
        state_of(&app, id).await,
        "in_compliance",
        "a correction does not move the case"
    );
    assert_eq!(count_events(&app, id, "ruling_corrected").await, 1);
    let consumer = app.client_for(CONSUMER).await;
    let html = consumer
        .get(app.url(&format!("/zaken/{id}/uitspraak/{correction}.html")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("verbetert een kennelijke fout") && html.contains("datum verbeterd"));
    assert_page_lists_read_as_their_tables(&app, id).await;
    // The consumer cannot write rulings.
    let consumer_csrf = csrf_for(&app, &consumer, id).await;
    assert_eq!(
        post(
            &app,
            &consumer,
            &format!("/zaken/{id}/uitspraak"),
            &consumer_csrf,
            &form
        )
        .await
        .status(),
        404
    );
}

#[tokio::test]
async fn an_expert_report_is_shared_with_a_reaction_term_and_a_cancelled_hearing_is_withdrawn_from_calendars() {
    use base64::Engine;
    use geschillenportaal::db::schema::{documents, messages};
    let app = spawn_app().await;
    let id = app.seed_case().await.case_id;
    to_mediation(&app, id).await;
    let mediator = app.client_for(MEDIATOR).await;
    assert_eq!(
        app.act(&mediator, id, "order_expert_investigation", "").await.status(),
        303
    );
    let report = geschillenportaal::printable::Printable {
        language: "nl".into(),
        title: "Rapport".into(),
        blocks: vec![geschillenportaal::printable::Block::Paragraph(
            "Metingen: 3 Mbit/s.".into(),
        )],
    }
    .to_pdf();
    let csrf = csrf_for(&app, &mediator, id).await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf)
        .part("file", reqwest::multipart::Part::bytes(report).file_name("rapport.pdf"));
    let added = mediator
        .post(app.url(&format!("/zaken/{id}/deskundige")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(added.status(), 303);
    let kinds: Vec<String> = app
        .with_db(move |c| {
            documents::table
                .filter(documents::case_id.eq(id))
                .select(documents::kind)
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(kinds, vec!["expert_report"]);
    let due: Option<NaiveDate> = app
        .with_db(move |c| {
            messages::table
                .filter(messages::case_id.eq(id))
                .order(messages::id.desc())
                .select(messages::reply_due_on)
                .first(c)
                .unwrap()
        })
        .await;
    assert!(
        due.is_some_and(|d| d > Utc::now().date_naive()),
        "the parties may react within a term"
    );
    let consumer = app.client_for(CONSUMER).await;
    assert!(page_of(&app, &consumer, id).await.contains("rapport.pdf"));
    // The parties cannot add expert reports.
    let consumer_csrf = csrf_for(&app, &consumer, id).await;
    let form = reqwest::multipart::Form::new().text("csrf_token", consumer_csrf).part(
        "file",
        reqwest::multipart::Part::bytes(b"%PDF-1.4".to_vec()).file_name("x.pdf"),
    );
    let refused = consumer
        .post(app.url(&format!("/zaken/{id}/deskundige")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);

    assert_eq!(
        app.act(&mediator, id, "expert_investigation_done", "").await.status(),
        303
    );
    let secretariat = app.client_for(SECRETARIAT).await;
    let csrf = csrf_for(&app, &secretariat, id).await;
    let past = post(
        &app,
        &secretariat,
        &format!("/zaken/{id}/zitting"),
        &csrf,
        &[
            ("date", "2020-01-01"),
            ("time", "10:00"),
            ("location", "Den Haag"),
            ("video_link", ""),
        ],
    )
    .await;
    assert_eq!(past.status(), 422);
    assert!(
        past.text()
            .await
            .unwrap()
            .contains("De zitting moet in de toekomst liggen.")
    );
    let unsafe_link = post(
        &app,
        &secretariat,
        &format!("/zaken/{id}/zitting"),
        &csrf,
        &[
            ("date", "2030-01-01"),
            ("time", "10:00"),
            ("location", " "),
            ("video_link", "javascript:alert(1)"),
        ],
    )
    .await;
    assert_eq!(unsafe_link.status(), 422);
    assert_eq!(state_of(&app, id).await, "mediation");
    assert_eq!(plan_hearing(&app, id, "11:00").await.status(), 303);
    let cancelled = post(
        &app,
        &secretariat,
        &format!("/zaken/{id}/zitting/annuleren"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(cancelled.status(), 303);
    let calendars: Vec<String> = app
        .with_db(|c| jobs::table.select(jobs::payload).load::<String>(c).unwrap())
        .await
        .into_iter()
        .filter_map(|p| {
            let email: geschillenportaal::jobs::OutgoingEmail = serde_json::from_str(&p).ok()?;
            let attachment = email.attachments.first()?.clone();
            (email.to == CONSUMER && attachment.file_name == "zitting.ics").then(|| {
                String::from_utf8(
                    base64::engine::general_purpose::STANDARD
                        .decode(attachment.content_base64)
                        .unwrap(),
                )
                .unwrap()
            })
        })
        .collect();
    assert_eq!(calendars.len(), 2, "the invitation and the cancellation");
    assert!(
        calendars
            .iter()
            .any(|c| c.contains("METHOD:CANCEL") && c.contains("STATUS:CANCELLED") && c.contains("SEQUENCE:1"))
    );
    assert!(
        page_of(&app, &consumer, id)
            .await
            .contains("Er is nog geen zitting gepland.")
    );
}
