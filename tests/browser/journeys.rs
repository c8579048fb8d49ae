//! The journeys, as small step functions over a `Browser` and the running `TestApp`, so the steps
//! that come with intake (issue 5), outcomes (issue 7) and transparency (issue 8) slot in between.
//! The list of steps still to add is in docs/TESTING.md.

use chrono::{Datelike, NaiveDate, TimeDelta, Utc};
use diesel::prelude::*;
use geschillenportaal::db::schema::{case_assignments, cases, documents, intake_drafts, published_rulings, users};
use geschillenportaal::i18n::Language;
use geschillenportaal::registry::check::format_date;

use crate::browser::Browser;
use crate::helpers::{
    CONSUMER, MEDIATOR, OTHER_MEDIATOR, SECRETARIAT, STAFF, SmtpSink, TEST_PASSWORD, TestApp, free_port, link_in,
    parse_email, smtp_settings, spawn_app_with,
};

/// The consumer of journey 1, who registers through the pages.
const FATIMA: &str = "fatima@example.nl";
const FATIMA_PASSWORD: &str = "paarse-olifant-fietst-snel";
/// The provider every journey's complaint is against (as `seed_case` names it).
const PROVIDER: &str = "Glasvezel Aanbieder B.V.";
/// What Fatima writes in the wizard; it must come back in the letter to the provider.
const COMPLAINT: &str = "Sinds september valt het glasvezelinternet elke avond tussen 20 en 23 uur weg.";
/// The panel of journey 2, invited by the secretariat through the pages: (e-mail, name, seat).
const PANEL: [(&str, &str, &str); 3] = [
    ("voorzitter@example.nl", "mr. Anna Bakker", "chair"),
    ("branchelid@example.nl", "Kees de Wit", "trade_member"),
    ("consumentenlid@example.nl", "Sanne Jansen", "consumer_member"),
];
const PANEL_PASSWORD: &str = "groene-kikker-springt-hoog";

/// The server on a port chosen first, so its `base_url` (links in e-mails, the `Origin` check of
/// form posts) is the address the browser really uses; e-mail over SMTP to a sink on loopback.
async fn spawn_for_browser() -> (TestApp, SmtpSink) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let smtp_port = listener.local_addr().unwrap().port();
    let sink = SmtpSink::start(listener);
    let port = free_port();
    let app = spawn_app_with(move |settings| {
        smtp_settings(smtp_port)(settings);
        settings.bind = format!("127.0.0.1:{port}");
        settings.base_url = format!("http://127.0.0.1:{port}");
    })
    .await;
    (app, sink)
}

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

/// What has no page: the telecom commission (schemes are created by migration or the command line)
/// and the secretariat's account. Returns the scheme's id.
async fn seed_commission(app: &TestApp) -> i64 {
    use geschillenportaal::accounts::{Role, insert_user, password::hash_password};
    use geschillenportaal::registry::{self, NewScheme, rules::SchemeRules};
    let hash = hash_password(TEST_PASSWORD);
    app.with_db(move |c| {
        let now = Utc::now().naive_utc();
        let scheme_id = registry::create_scheme(
            c,
            NewScheme {
                code: "TEL",
                name: "Geschillencommissie Telecommunicatie",
                languages: "nl",
                reference_prefix: "TEL",
            },
            &SchemeRules::commission_defaults(),
            NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
            now,
        )
        .unwrap();
        insert_user(
            c,
            SECRETARIAT,
            "Naam secretariaat",
            &hash,
            Role::Secretariat,
            None,
            "nl",
            Some(now),
            now,
        )
        .unwrap();
        scheme_id
    })
    .await
}

/// The secretariat registers the provider (with its address for the letter), records its
/// certified membership of the commission since 2020 and invites one of its staff, who accepts the
/// e-mailed invitation. Returns the provider's id.
async fn register_provider(b: &mut Browser, app: &TestApp, sink: &SmtpSink, scheme_id: i64) -> i64 {
    sign_in(b, SECRETARIAT, TEST_PASSWORD).await;
    b.press("nav a[href='/secretariaat/aanbieders']", "registry").await;
    b.press("a[href='/secretariaat/aanbieders/nieuw']", "registry-new-provider")
        .await;
    for (field, value) in [
        ("#kvk_number", "11111111"),
        ("#legal_name", PROVIDER),
        ("#trade_names", "Glasvezel"),
        ("#street", "Stationsplein 1"),
        ("#postcode", "1012 AB"),
        ("#city", "Amsterdam"),
        ("#complaint_email", "klachten@glasvezel.example.nl"),
    ] {
        b.fill(field, value).await;
    }
    b.press(
        "form[action='/secretariaat/aanbieders'] button[type=submit]",
        "registry-provider",
    )
    .await;
    let path = b.path().await;
    assert!(path.contains("notice=registry-notice-provider-created"), "{path}");
    let provider_id: i64 = path
        .trim_start_matches("/secretariaat/aanbieders/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    b.find(&format!("#scheme_id option[value='{scheme_id}']"))
        .await
        .click()
        .await
        .expect("choose the commission");
    b.fill("#valid_from", "01-01-2020").await;
    b.find("#status option[value=certified]")
        .await
        .click()
        .await
        .expect("choose certified");
    b.press(
        "form[action$='/lidmaatschappen'] button[type=submit]",
        "registry-membership",
    )
    .await;
    let page = b.page_text().await;
    assert!(
        page.contains("Het lidmaatschap is opgeslagen.") && page.contains("Geschillencommissie Telecommunicatie"),
        "{page}"
    );

    b.press("nav a[href='/invites/new']", "invite-staff").await;
    b.fill("#email", STAFF).await;
    b.find("#role option[value=provider_staff]")
        .await
        .click()
        .await
        .expect("choose provider staff");
    b.fill("#provider_kvk", "11111111").await;
    b.press("form[action='/invites'] button[type=submit]", "invite-staff-sent")
        .await;
    assert!(b.page_text().await.contains("Uitnodiging verstuurd"));
    sign_out(b).await;
    accept_invitation(b, app, sink, STAFF, "Naam medewerker", TEST_PASSWORD).await;
    provider_id
}

/// The invitee opens the e-mailed link, chooses a name and a password and lands on the dashboard.
async fn accept_invitation(b: &mut Browser, app: &TestApp, sink: &SmtpSink, email: &str, name: &str, password: &str) {
    app.run_worker().await;
    let mail = sink
        .received()
        .iter()
        .map(|raw| parse_email(raw))
        .find(|mail| mail.to == email)
        .expect("the invitation");
    let link = link_in(&mail.text, &app.settings.base_url);
    assert!(link.starts_with("/invite?token="), "{link}");
    b.open(&link, "invite-accept").await;
    b.fill("#display_name", name).await;
    b.fill("#password", password).await;
    b.fill("#password_repeat", password).await;
    b.press("form[action='/invite'] button[type=submit]", "invite-accepted")
        .await;
    assert_eq!(b.path().await, "/dashboard");
    assert!(b.page_text().await.contains(name));
    sign_out(b).await;
}

fn typed(date: NaiveDate) -> String {
    date.format("%d-%m-%Y").to_string()
}

fn write_pdf(dir: &std::path::Path, name: &str) -> String {
    let file = dir.join(name);
    std::fs::write(&file, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").unwrap();
    file.display().to_string()
}

// ---- steps ---------------------------------------------------------------------------------

/// A visitor fills in the registration form and is told to check their e-mail.
async fn register(b: &mut Browser, name: &str, email: &str, password: &str) {
    b.open("/register", "register").await;
    b.fill("#display_name", name).await;
    b.fill("#email", email).await;
    b.fill("#password", password).await;
    b.fill("#password_repeat", password).await;
    b.press("form[action='/register'] button[type=submit]", "register-sent")
        .await;
    assert_eq!(b.path().await, "/register/sent");
}

/// The confirmation e-mail arrives over SMTP; its link opens the confirmation page, whose
/// button confirms the address.
async fn confirm_by_email(b: &mut Browser, app: &TestApp, sink: &SmtpSink, email: &str) {
    app.run_worker().await;
    let mail = sink
        .received()
        .iter()
        .map(|raw| parse_email(raw))
        .find(|mail| mail.to == email)
        .expect("the confirmation e-mail");
    let link = link_in(&mail.text, &app.settings.base_url);
    assert!(link.starts_with("/confirm-email?token="), "{link}");
    b.open(&link, "confirm-email").await;
    b.press("form[action='/confirm-email'] button[type=submit]", "email-confirmed")
        .await;
}

/// Signs in through the form and lands on the dashboard.
async fn sign_in(b: &mut Browser, email: &str, password: &str) {
    b.open("/login", "login").await;
    b.fill("#email", email).await;
    b.fill("#password", password).await;
    b.press("form[action='/login'] button[type=submit]", "dashboard").await;
    assert_eq!(b.path().await, "/dashboard", "signed in as {email}");
}

async fn sign_out(b: &mut Browser) {
    b.press("form[action='/logout'] button", "signed-out").await;
}

async fn open_case(b: &mut Browser, case_id: i64, name: &str) {
    b.open(&format!("/zaken/{case_id}"), name).await;
}

/// Presses a case action's button, with its text when the action asks for one.
async fn case_action(b: &mut Browser, action: &str, note: Option<&str>) {
    if let Some(note) = note {
        b.fill(&format!("#note-{action}"), note).await;
    }
    b.press(
        &format!("form.action-form:has(input[name=action][value={action}]) button[type=submit]"),
        action,
    )
    .await;
}

/// Writes a message in the case's thread.
async fn post_message(b: &mut Browser, text: &str) {
    b.fill("#body", text).await;
    b.press("form[action$='/berichten'] button[type=submit]", "message-posted")
        .await;
    assert!(b.page_text().await.contains(text), "the message shows in the thread");
}

/// Uploads a small PDF as evidence.
async fn upload_evidence(b: &mut Browser, dir: &std::path::Path) {
    let file = dir.join("factuur-maart.pdf");
    std::fs::write(&file, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").unwrap();
    b.find("#file")
        .await
        .send_keys(&file.display().to_string())
        .await
        .expect("choose the file");
    b.press("form[action$='/documenten'] button[type=submit]", "document-uploaded")
        .await;
    assert!(b.page_text().await.contains("factuur-maart.pdf"));
}

/// Makes an offer (or, with `counter`, a counter-offer) through the offer form of the case page.
async fn make_offer(b: &mut Browser, amount: &str, terms: &str, name: &str) {
    b.fill("#offer-amount", amount).await;
    b.find("input[name=action_credit]")
        .await
        .click()
        .await
        .expect("tick credit");
    b.fill("#offer-terms", terms).await;
    // The expiry date keeps its default (14 days ahead).
    b.press("form[action$='/aanbod'] button[type=submit]", name).await;
}

/// Accepts the open offer on the case page.
async fn accept_offer(b: &mut Browser) {
    b.press(
        "form[action$='/antwoord'] button[name=answer][value=accept]",
        "offer-accepted",
    )
    .await;
}

/// The provider reports compliance with a note and an evidence file.
async fn report_compliance(b: &mut Browser, note: &str, dir: &std::path::Path) {
    let file = dir.join("creditnota.pdf");
    std::fs::write(&file, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").unwrap();
    b.fill("#compliance-note", note).await;
    b.find("#compliance-file")
        .await
        .send_keys(&file.display().to_string())
        .await
        .expect("choose the file");
    b.press("form[action$='/nakoming'] button[type=submit]", "compliance-reported")
        .await;
}

async fn confirm_compliance(b: &mut Browser) {
    b.press(
        "form[action$='/nakoming/antwoord'] button[name=answer][value=confirm]",
        "compliance-confirmed",
    )
    .await;
}

/// Sets a date or time field through the DOM: what chromedriver types into `type=date` depends
/// on the browser's locale, the value the form posts does not.
async fn set_value(b: &Browser, selector: &str, value: &str) {
    b.find(selector).await;
    b.client
        .execute(
            "document.querySelector(arguments[0]).value = arguments[1];",
            vec![selector.into(), value.into()],
        )
        .await
        .unwrap_or_else(|e| panic!("set {selector}: {e}"));
}

/// The case from filed to mediation through the pages: the secretariat accepts it and records
/// the fee, the provider defends, the consumer replies.
async fn to_mediation(b: &mut Browser, app: &TestApp, case_id: i64) {
    sign_in(b, SECRETARIAT, TEST_PASSWORD).await;
    open_case(b, case_id, "case-secretariat").await;
    case_action(b, "accept_complete", None).await;
    case_action(b, "record_fee_paid", None).await;
    sign_out(b).await;
    sign_in(b, STAFF, TEST_PASSWORD).await;
    open_case(b, case_id, "case-provider").await;
    case_action(b, "submit_defence", Some("Wij betwisten de storing.")).await;
    sign_out(b).await;
    sign_in(b, CONSUMER, TEST_PASSWORD).await;
    open_case(b, case_id, "case-consumer").await;
    case_action(b, "submit_reply", Some("De storing is aangetoond met metingen.")).await;
    sign_out(b).await;
    assert_eq!(state_of(app, case_id).await, "mediation");
}

/// The secretariat plans the hearing for tomorrow at 10:00 in Den Haag.
async fn plan_hearing(b: &mut Browser, app: &TestApp, case_id: i64) {
    sign_in(b, SECRETARIAT, TEST_PASSWORD).await;
    open_case(b, case_id, "case-secretariat-mediation").await;
    let tomorrow = (chrono::Utc::now().date_naive() + chrono::TimeDelta::days(1))
        .format("%Y-%m-%d")
        .to_string();
    set_value(b, "#hearing-date", &tomorrow).await;
    set_value(b, "#hearing-time", "10:00").await;
    b.fill("#hearing-location", "Bordewijklaan 46, Den Haag").await;
    b.press("form[action$='/zitting'] button[type=submit]", "hearing-planned")
        .await;
    assert_eq!(state_of(app, case_id).await, "hearing_scheduled");
    let page = b.page_text().await;
    assert!(page.contains("Bordewijklaan 46, Den Haag"), "{page}");
    sign_out(b).await;
}

/// Fills the ruling form on the case page (upheld, € 240, this summary and reasoning) and saves
/// the draft; for a correction the page's form already carries which ruling it corrects.
async fn write_upheld_ruling(b: &mut Browser, summary: &str, reasoning: &str, name: &str) {
    b.find("#ruling-outcome option[value=upheld]")
        .await
        .click()
        .await
        .expect("choose upheld");
    b.fill("#ruling-award", "240").await;
    b.fill("#ruling-summary", summary).await;
    b.fill("#ruling-reasoning", reasoning).await;
    b.press("form[action$='/uitspraak'] button[type=submit]", name).await;
}

/// The chair (the first of `panel`, as (e-mail, password)) drafts an upheld ruling (€ 240); the
/// other members read the draft but cannot issue it, the consumer does not see it; the chair
/// issues it. The reasoning names the consumer, as rulings do; the published version must not.
async fn draft_and_issue(b: &mut Browser, app: &TestApp, case_id: i64, panel: &[(&str, &str)]) {
    let (chair, password) = panel[0];
    sign_in(b, chair, password).await;
    open_case(b, case_id, "case-panel-hearing").await;
    write_upheld_ruling(
        b,
        "De aanbieder betaalt € 240 terug, omdat het internet drie maanden niet goed werkte.",
        "Naam consument heeft de storingen aangetoond met metingen van drie maanden.",
        "ruling-drafted",
    )
    .await;
    let page = b.page_text().await;
    assert!(
        page.contains("Concept (alleen zichtbaar voor de commissie)") && page.contains("€ 240,00"),
        "{page}"
    );
    assert_eq!(state_of(app, case_id).await, "hearing_scheduled");
    sign_out(b).await;

    for (member, password) in &panel[1..] {
        sign_in(b, member, password).await;
        open_case(b, case_id, "case-panel-member-draft").await;
        let page = b.page_text().await;
        assert!(page.contains("drie maanden niet goed werkte"), "{page}");
        assert_eq!(b.count("form[action$='/uitbrengen']").await, 0, "only the chair issues");
        sign_out(b).await;
    }

    sign_in(b, CONSUMER, TEST_PASSWORD).await;
    open_case(b, case_id, "case-consumer-draft-hidden").await;
    assert!(
        !b.page_text().await.contains("drie maanden niet goed werkte"),
        "the draft is the panel's"
    );
    sign_out(b).await;

    sign_in(b, chair, password).await;
    open_case(b, case_id, "case-panel-draft").await;
    b.press("form[action$='/uitbrengen'] button[type=submit]", "ruling-issued")
        .await;
    assert_eq!(state_of(app, case_id).await, "in_compliance");
    sign_out(b).await;
}

// ---- intake (issue 5) ----------------------------------------------------------------------

async fn next_step(b: &mut Browser, name: &str) {
    b.press("button[name=nav][value=next]", name).await;
}

async fn choose(b: &Browser, field: &str, value: &str) {
    b.find(&format!("input[name={field}][value='{value}']"))
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("choose {field} = {value}: {e}"));
}

async fn assert_step(b: &Browser, draft: i64, slug: &str) {
    assert_eq!(b.path().await, format!("/zaak-indienen/{draft}/{slug}"));
}

/// From the dashboard to a new draft at its first step; returns the draft's id.
async fn start_draft(b: &mut Browser) -> i64 {
    b.press("main a[href='/zaak-indienen']", "intake-start").await;
    b.press("form[action='/zaak-indienen'] button[type=submit]", "intake-provider")
        .await;
    let path = b.path().await;
    assert!(path.ends_with("/aanbieder"), "{path}");
    path.split('/').nth(2).unwrap().parse().unwrap()
}

/// The first four steps: the provider found by searching the registry, the subject, the contract,
/// and the complaint history with a registered letter sent on `complained_on`, not yet answered.
async fn answer_up_to_the_complaint(b: &mut Browser, draft: i64, provider_id: i64, complained_on: NaiveDate) {
    b.fill("#q", "glasvezel").await;
    b.press("form[role=search] button[type=submit]", "intake-provider-search")
        .await;
    let page = b.page_text().await;
    assert!(
        page.contains(&format!("{PROVIDER} (KvK 11111111, Amsterdam)")),
        "{page}"
    );
    choose(b, "counterparty", "company").await;
    choose(b, "applicant_is_consumer", "yes").await;
    choose(b, "provider_id", &provider_id.to_string()).await;
    next_step(b, "intake-subject").await;
    assert_step(b, draft, "onderwerp").await;
    choose(b, "category", "outage_speed").await;
    choose(b, "before_court_or_other_body", "no").await;
    next_step(b, "intake-contract").await;
    assert_step(b, draft, "overeenkomst").await;
    b.fill("#contract_date", "15-03-2023").await;
    b.fill("#customer_number", "GV-889911").await;
    next_step(b, "intake-complaint").await;
    assert_step(b, draft, "klacht").await;
    let today = Utc::now().date_naive();
    b.fill("#first_contact_date", &typed(today - TimeDelta::days(60))).await;
    choose(b, "written_complaint_channel", "registered_letter").await;
    b.fill("#written_complaint_date", &typed(complained_on)).await;
    choose(b, "provider_answer", "none").await;
    next_step(b, "intake-wish").await;
    assert_step(b, draft, "wens").await;
}

/// The steps from the wish to the review, with the written complaint as evidence when `evidence`
/// names a folder for it.
async fn answer_from_the_wish(b: &mut Browser, draft: i64, evidence: Option<&std::path::Path>) {
    b.fill("#desired_outcome", "Terugbetaling van drie maanden abonnement.")
        .await;
    b.fill("#claim", "240").await;
    next_step(b, "intake-description").await;
    assert_step(b, draft, "omschrijving").await;
    b.fill("#description", COMPLAINT).await;
    next_step(b, "intake-evidence").await;
    assert_step(b, draft, "bewijs").await;
    if let Some(dir) = evidence {
        b.find("#kind option[value=written_complaint]")
            .await
            .click()
            .await
            .expect("choose the kind");
        b.find("#file")
            .await
            .send_keys(&write_pdf(dir, "klachtbrief.pdf"))
            .await
            .expect("choose the file");
        b.press(
            "form[action$='/bewijs/bestand'] button[type=submit]",
            "intake-evidence-uploaded",
        )
        .await;
        assert_step(b, draft, "bewijs").await;
        let page = b.page_text().await;
        assert!(page.contains("klachtbrief.pdf"), "{page}");
    }
    next_step(b, "intake-private").await;
    assert_step(b, draft, "prive").await;
    b.fill(
        "#private_note",
        "Mijn buurman met hetzelfde abonnement heeft geen storing.",
    )
    .await;
    next_step(b, "intake-review").await;
    assert_step(b, draft, "controle").await;
}

/// Journey 1's intake: a written complaint of ten days ago is too recent (the provider has four
/// weeks to answer); the consumer is told so and why, and reads and downloads the prepared letter.
/// Then, the complaint date corrected to five weeks ago, the same draft passes every step again with
/// the written complaint as evidence and is filed. Returns the case's id.
async fn file_through_the_wizard(b: &mut Browser, app: &TestApp, provider_id: i64) -> i64 {
    let today = Utc::now().date_naive();
    let evidence_dir = tempfile::tempdir().unwrap();
    sign_in(b, FATIMA, FATIMA_PASSWORD).await;
    let draft = start_draft(b).await;

    let recent = today - TimeDelta::days(10);
    let answer_by = format_date(Language::Nl, recent + TimeDelta::weeks(4));
    answer_up_to_the_complaint(b, draft, provider_id, recent).await;
    // The eligibility shows beside the next step as soon as the answers allow it.
    b.find("section.eligibility[data-verdict=not_yet]").await;
    let verdict = b.text("section.eligibility").await;
    assert!(
        verdict.contains("U kunt uw klacht nog niet indienen, maar wel straks.")
            && verdict.contains(&format!("De aanbieder heeft nog tot {answer_by} om te antwoorden.")),
        "{verdict}"
    );
    answer_from_the_wish(b, draft, None).await;
    let page = b.page_text().await;
    assert!(page.contains("U kunt deze klacht nu nog niet indienen."), "{page}");
    assert_eq!(b.count("form[action$='/indienen']").await, 0, "no submit button");

    b.press(".alert a[href$='/uitslag']", "intake-result-not-yet").await;
    b.find("[data-check=provider_had_time][data-reason=waiting_period_running]")
        .await;
    let page = b.page_text().await;
    assert!(
        page.contains("U kunt uw klacht nog niet indienen, maar wel straks.")
            && page.contains(&format!("De aanbieder heeft nog tot {answer_by} om te antwoorden."))
            && page.contains(&format!("Wij bewaren uw klacht en sturen u op {answer_by} een e-mail.")),
        "{page}"
    );

    b.press("a[href$='/brief']", "complaint-letter").await;
    let letter = b.text("article.letter").await;
    for expected in [
        "Fatima el Amrani",
        PROVIDER,
        "t.a.v. de klachtenafdeling",
        "Stationsplein 1",
        "1012 AB Amsterdam",
        "klantnummer GV-889911",
        COMPLAINT,
        "Terugbetaling van drie maanden abonnement.",
        "€ 240,00",
    ] {
        assert!(letter.contains(expected), "{expected} in {letter}");
    }
    let (status, disposition, text) = b.fetch(&format!("/zaak-indienen/{draft}/brief?download=1")).await;
    assert_eq!(status, 200);
    assert!(
        disposition.contains("attachment") && disposition.contains("klachtbrief.txt"),
        "{disposition}"
    );
    assert!(
        text.contains(PROVIDER) && text.contains(COMPLAINT) && text.contains("Geachte heer, mevrouw,"),
        "{text}"
    );

    // The letter went out five weeks ago after all: the consumer corrects the date.
    b.press("p.breadcrumb a", "intake-result-again").await;
    b.press("a[href$='/controle']", "intake-review-again").await;
    b.press("nav ol.steps a[href$='/klacht']", "intake-complaint-again")
        .await;
    b.fill("#written_complaint_date", &typed(today - TimeDelta::weeks(5)))
        .await;
    next_step(b, "intake-wish-eligible").await;
    assert_step(b, draft, "wens").await;
    b.find("section.eligibility[data-verdict=eligible]").await;
    answer_from_the_wish(b, draft, Some(evidence_dir.path())).await;
    let page = b.page_text().await;
    assert!(
        page.contains("klachtbrief.pdf") && page.contains(PROVIDER) && page.contains("€ 240,00"),
        "{page}"
    );
    b.press("form[action$='/indienen'] button[type=submit]", "intake-filed")
        .await;
    assert_step(b, draft, "ingediend").await;
    let reference = format!("TEL-{}-000001", today.year());
    let page = b.page_text().await;
    assert!(
        page.contains(&format!("Uw zaaknummer is {reference}.")) && page.contains("€ 50,00"),
        "{page}"
    );

    let (case_id, consumer, state, files) = app
        .with_db(move |c| {
            let case_id = intake_drafts::table
                .find(draft)
                .select(intake_drafts::case_id)
                .first::<Option<i64>>(c)
                .unwrap()
                .expect("the draft became a case");
            let (consumer, state): (String, String) = cases::table
                .inner_join(users::table.on(users::id.eq(cases::consumer_id)))
                .filter(cases::id.eq(case_id))
                .select((users::email, cases::state))
                .first(c)
                .unwrap();
            let files: Vec<String> = documents::table
                .filter(documents::case_id.eq(case_id))
                .select(documents::file_name)
                .load(c)
                .unwrap();
            (case_id, consumer, state, files)
        })
        .await;
    assert_eq!(
        (consumer.as_str(), state.as_str(), files),
        (FATIMA, "submitted", vec!["klachtbrief.pdf".to_owned()])
    );
    b.press(&format!("a[href='/zaken/{case_id}']"), "case-consumer-filed")
        .await;
    assert!(b.page_text().await.contains(&reference));
    sign_out(b).await;
    case_id
}

/// The secretariat checks the filed case's completeness (the page with the refusal term) and
/// accepts it through the case page's form, then records the fee.
async fn check_and_accept(b: &mut Browser, app: &TestApp, case_id: i64) {
    sign_in(b, SECRETARIAT, TEST_PASSWORD).await;
    open_case(b, case_id, "case-secretariat").await;
    let page = b.page_text().await;
    assert!(
        page.contains("Controle op volledigheid") && page.contains("klachtbrief.pdf"),
        "{page}"
    );
    b.press(
        &format!("a[href='/zaken/{case_id}/ontvankelijkheid']"),
        "completeness-check",
    )
    .await;
    let page = b.page_text().await;
    assert!(page.contains("Nog 21 dagen om het dossier te weigeren."), "{page}");
    b.press("p.breadcrumb a", "case-secretariat-checked").await;
    case_action(b, "accept_complete", None).await;
    assert_eq!(state_of(app, case_id).await, "awaiting_fee");
    case_action(b, "record_fee_paid", None).await;
    assert_eq!(state_of(app, case_id).await, "awaiting_defence");
    b.open("/moderatie", "moderation").await;
    sign_out(b).await;
}

// ---- staffing and publication (journey 2) --------------------------------------------------

/// The secretariat invites the three members of journey 2's panel for the telecom commission;
/// each accepts the e-mailed invitation, choosing a name and a password.
async fn invite_panel(b: &mut Browser, app: &TestApp, sink: &SmtpSink) {
    sign_in(b, SECRETARIAT, TEST_PASSWORD).await;
    for (email, _, seat) in PANEL {
        b.press("a[href='/invites/new']", "invite").await;
        b.fill("#email", email).await;
        b.find("#role option[value=mediator]")
            .await
            .click()
            .await
            .expect("choose mediator");
        b.find("input[name=scheme]")
            .await
            .click()
            .await
            .expect("tick the scheme");
        b.find(&format!("#panel_role option[value={seat}]"))
            .await
            .click()
            .await
            .expect("choose the seat");
        b.fill("#mediator_languages", "nl").await;
        b.press("form[action='/invites'] button[type=submit]", "invite-sent")
            .await;
        assert!(b.page_text().await.contains("Uitnodiging verstuurd"));
    }
    sign_out(b).await;

    for (email, name, _) in PANEL {
        accept_invitation(b, app, sink, email, name, PANEL_PASSWORD).await;
    }
}

/// The secretariat has a panel proposed on the case page and confirms it.
async fn staff_panel(b: &mut Browser, app: &TestApp, case_id: i64) {
    sign_in(b, SECRETARIAT, TEST_PASSWORD).await;
    open_case(b, case_id, "case-secretariat-unstaffed").await;
    assert!(b.page_text().await.contains("Er is nog niemand aangewezen."));
    b.press(
        "form[action$='/toewijzing']:has(input[name=step][value=propose]) button",
        "panel-proposed",
    )
    .await;
    let staffing = b.text("#bemanning").await;
    assert!(
        b.page_text().await.contains("Er is een voorstel gemaakt.")
            && staffing.contains("mr. Anna Bakker · voorzitter · voorgesteld")
            && staffing.contains("Kees de Wit · lid namens de branche · voorgesteld")
            && staffing.contains("Sanne Jansen · lid namens consumenten · voorgesteld"),
        "{staffing}"
    );
    b.press(
        "form[action$='/toewijzing']:has(input[name=step][value=confirm]) button",
        "panel-confirmed",
    )
    .await;
    let page = b.page_text().await;
    assert!(
        page.contains("De toewijzing is bevestigd.") && page.contains("mr. Anna Bakker · voorzitter · bevestigd"),
        "{page}"
    );
    sign_out(b).await;

    let mut seats = app
        .with_db(move |c| {
            case_assignments::table
                .inner_join(users::table.on(users::id.eq(case_assignments::user_id)))
                .filter(case_assignments::case_id.eq(case_id))
                .select((users::email, case_assignments::panel_role, case_assignments::status))
                .load::<(String, String, String)>(c)
                .unwrap()
        })
        .await;
    seats.sort();
    let mut expected: Vec<_> = PANEL
        .iter()
        .map(|(email, _, seat)| (email.to_string(), seat.to_string(), "confirmed".to_owned()))
        .collect();
    expected.sort();
    assert_eq!(seats, expected);
}

/// The secretariat reviews the anonymised ruling and publishes it; returns its reference.
async fn review_and_publish(b: &mut Browser, app: &TestApp, case_id: i64) -> String {
    let reference = app
        .with_db(move |c| {
            cases::table
                .find(case_id)
                .select(cases::reference)
                .first::<String>(c)
                .unwrap()
        })
        .await;
    sign_in(b, SECRETARIAT, TEST_PASSWORD).await;
    b.press("nav a[href='/secretariaat/uitspraken']", "publication-queue")
        .await;
    let waiting = b.text("section[aria-labelledby=waiting-heading]").await;
    assert!(waiting.contains(&reference), "{waiting}");
    b.press(
        "section[aria-labelledby=waiting-heading] a[href^='/secretariaat/uitspraken/']",
        "publication-review",
    )
    .await;
    let body = b.find("#body").await.prop("value").await.unwrap().unwrap_or_default();
    assert!(
        body.contains("[CONSUMENT]") && !body.contains("Naam consument") && body.contains("storingen"),
        "{body}"
    );
    b.press("button[name=action][value=publish]", "ruling-published").await;
    assert!(b.page_text().await.contains("Gepubliceerd."));
    let status = app
        .with_db(move |c| {
            published_rulings::table
                .inner_join(geschillenportaal::db::schema::rulings::table)
                .filter(geschillenportaal::db::schema::rulings::case_id.eq(case_id))
                .select(published_rulings::status)
                .first::<String>(c)
                .unwrap()
        })
        .await;
    assert_eq!(status, "published");
    sign_out(b).await;
    reference
}

/// An anonymous visitor searches the register by a word of the ruling, opens it (no name of the
/// consumer on it) and follows the link to the provider's statistics.
async fn find_in_register(b: &mut Browser, reference: &str) {
    b.press("nav a[href='/uitspraken']", "register").await;
    b.fill("#q", "storingen").await;
    b.press("form[role=search] button[type=submit]", "register-found").await;
    let results = b.text("section[aria-labelledby=results-heading]").await;
    assert!(results.contains(reference) && results.contains(PROVIDER), "{results}");
    b.press(&format!("a[href='/uitspraken/{reference}']"), "published-ruling")
        .await;
    let page = b.page_text().await;
    assert!(
        page.contains(&format!("Uitspraak {reference}"))
            && page.contains("drie maanden niet goed werkte")
            && page.contains("[CONSUMENT] heeft de storingen aangetoond"),
        "{page}"
    );
    let html = b.client.source().await.unwrap();
    assert!(
        !html.contains("Naam consument") && !html.contains(CONSUMER),
        "the consumer is not named on the public page"
    );
    b.press("a[href^='/aanbieders/']", "provider-statistics").await;
    assert!(b.page_text().await.contains(PROVIDER));
}

// ---- journeys ------------------------------------------------------------------------------

/// Journey 1, settlement: the secretariat registers the provider, its membership and one of its
/// staff (invited); a visitor registers, confirms by e-mail and signs in; files a complaint
/// in the wizard, is first told it is too recent (with the letter to the provider), then files it
/// with the written complaint as evidence; the secretariat checks completeness, accepts the file
/// and records the fee; the provider answers with a defence and a message, the consumer replies,
/// adds evidence and writes in the thread; the provider offers, the consumer counters, the
/// provider accepts (settled), reports compliance with evidence, the consumer confirms (closed)
/// and rates.
#[tokio::test]
async fn journey_1_a_consumer_registers_files_a_complaint_and_the_case_is_settled_complied_with_and_rated_through_the_pages()
 {
    let (app, sink) = spawn_for_browser().await;
    let Some(mut b) = Browser::launch("journey-1", &app.address).await else {
        return;
    };
    let scheme_id = seed_commission(&app).await;
    let provider_id = register_provider(&mut b, &app, &sink, scheme_id).await;

    // Home and the public membership check, as a visitor.
    b.open("/", "home").await;
    b.open("/aangesloten", "membership-check").await;

    register(&mut b, "Fatima el Amrani", FATIMA, FATIMA_PASSWORD).await;
    confirm_by_email(&mut b, &app, &sink, FATIMA).await;
    sign_in(&mut b, FATIMA, FATIMA_PASSWORD).await;
    assert!(b.page_text().await.contains("Fatima el Amrani"));
    b.open("/settings", "settings").await;
    sign_out(&mut b).await;

    let case_id = file_through_the_wizard(&mut b, &app, provider_id).await;
    check_and_accept(&mut b, &app, case_id).await;

    sign_in(&mut b, STAFF, TEST_PASSWORD).await;
    assert!(
        b.page_text().await.contains("TEL-"),
        "the case is in the provider's queue"
    );
    open_case(&mut b, case_id, "case-provider").await;
    let page = b.page_text().await;
    assert!(page.contains(COMPLAINT) && page.contains("klachtbrief.pdf"), "{page}");
    case_action(&mut b, "submit_defence", Some("De storing lag bij de netbeheerder.")).await;
    assert_eq!(state_of(&app, case_id).await, "awaiting_reply");
    post_message(&mut b, "Wij hebben de lijn op afstand doorgemeten.").await;
    sign_out(&mut b).await;

    sign_in(&mut b, FATIMA, FATIMA_PASSWORD).await;
    open_case(&mut b, case_id, "case-consumer").await;
    assert!(b.page_text().await.contains("De storing lag bij de netbeheerder."));
    case_action(
        &mut b,
        "submit_reply",
        Some("Het lag niet aan de netbeheerder: de buren hebben wel internet."),
    )
    .await;
    assert_eq!(state_of(&app, case_id).await, "mediation");
    let evidence_dir = tempfile::tempdir().unwrap();
    upload_evidence(&mut b, evidence_dir.path()).await;
    post_message(&mut b, "Ik stuur de factuur van maart mee.").await;
    sign_out(&mut b).await;

    // The settlement ending: the provider offers, the consumer counters, the provider accepts.
    sign_in(&mut b, STAFF, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-provider-mediation").await;
    make_offer(
        &mut b,
        "50",
        "Creditnota over de maand maart; het abonnement loopt door.",
        "offer-made",
    )
    .await;
    let page = b.page_text().await;
    assert!(
        page.contains("Voorstel van de aanbieder") && page.contains("€ 50,00") && page.contains("Open"),
        "{page}"
    );
    sign_out(&mut b).await;

    sign_in(&mut b, FATIMA, FATIMA_PASSWORD).await;
    open_case(&mut b, case_id, "case-consumer-offer").await;
    assert!(b.page_text().await.contains("Een tegenvoorstel doen"));
    make_offer(
        &mut b,
        "120,50",
        "Creditnota over drie maanden storing; het abonnement loopt door.",
        "counter-offer-made",
    )
    .await;
    let page = b.page_text().await;
    assert!(
        page.contains("Voorstel van de consument")
            && page.contains("€ 120,50")
            && page.contains("Vervangen door een tegenvoorstel"),
        "{page}"
    );
    sign_out(&mut b).await;

    sign_in(&mut b, STAFF, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-provider-counter-offer").await;
    accept_offer(&mut b).await;
    assert_eq!(state_of(&app, case_id).await, "in_compliance");
    let page = b.page_text().await;
    assert!(
        page.contains("Aangenomen") && page.contains("Schikking downloaden"),
        "{page}"
    );
    b.open(&format!("/zaken/{case_id}/schikking.html"), "settlement").await;
    assert!(b.page_text().await.contains("€ 120,50"));
    open_case(&mut b, case_id, "case-provider-in-compliance").await;
    report_compliance(&mut b, "Creditnota van € 120,50 verstuurd.", evidence_dir.path()).await;
    assert_eq!(state_of(&app, case_id).await, "in_compliance");
    let page = b.page_text().await;
    assert!(
        page.contains("Aanbieder meldt: nagekomen") && page.contains("Creditnota van € 120,50 verstuurd."),
        "{page}"
    );
    sign_out(&mut b).await;

    sign_in(&mut b, FATIMA, FATIMA_PASSWORD).await;
    open_case(&mut b, case_id, "case-consumer-compliance").await;
    assert!(b.page_text().await.contains("Aanbieder meldt: nagekomen"));
    b.find("a[href*='/documenten/']").await;
    confirm_compliance(&mut b).await;
    assert_eq!(state_of(&app, case_id).await, "closed");
    let page = b.page_text().await;
    assert!(
        page.contains("Consument bevestigt: nagekomen") && page.contains("Hoe ging de aanbieder met uw klacht om?"),
        "{page}"
    );
    b.find("input[name=score][value='4']")
        .await
        .click()
        .await
        .expect("choose 4");
    b.fill("#rating-comment", "Netjes opgelost.").await;
    b.press("form[action$='/beoordeling'] button[type=submit]", "rated")
        .await;
    let page = b.page_text().await;
    assert!(page.contains("Uw beoordeling: 4 van 5"), "{page}");
    assert!(!page.contains("Hoe ging de aanbieder met uw klacht om?"), "rated once");
    sign_out(&mut b).await;

    b.finish().await;
}

/// Journey 2, the ruling ending: the secretariat invites three commission members, who accept by
/// e-mail; a case in mediation is staffed with a panel of three through the case page; the hearing
/// is planned; the chair drafts a ruling, which the other members read and the parties do not see,
/// and issues it; the provider reports compliance with evidence, the consumer confirms and the
/// case closes. The secretariat reviews the anonymised ruling and publishes it, and a visitor
/// finds it in the register by a word and opens it, without the consumer's name.
#[tokio::test]
async fn journey_2_a_panel_rules_after_a_hearing_the_ruling_is_complied_with_and_published_through_the_pages() {
    let (app, sink) = spawn_for_browser().await;
    let Some(mut b) = Browser::launch("journey-2", &app.address).await else {
        return;
    };
    let case_id = app.seed_unstaffed_case().await.case_id;
    invite_panel(&mut b, &app, &sink).await;
    to_mediation(&mut b, &app, case_id).await;
    staff_panel(&mut b, &app, case_id).await;

    plan_hearing(&mut b, &app, case_id).await;

    sign_in(&mut b, CONSUMER, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-consumer-hearing").await;
    let page = b.page_text().await;
    assert!(
        page.contains("Bordewijklaan 46, Den Haag") && page.contains("mr. Anna Bakker (voorzitter)"),
        "{page}"
    );
    sign_out(&mut b).await;

    let panel: Vec<(&str, &str)> = PANEL.iter().map(|(email, _, _)| (*email, PANEL_PASSWORD)).collect();
    draft_and_issue(&mut b, &app, case_id, &panel).await;

    sign_in(&mut b, STAFF, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-provider-ruling").await;
    let page = b.page_text().await;
    assert!(
        page.contains("De klacht is gegrond") && page.contains("drie maanden niet goed werkte"),
        "{page}"
    );
    let ruling = b
        .find("a[href*='/uitspraak/'][href$='.html']")
        .await
        .attr("href")
        .await
        .unwrap()
        .expect("a link to the ruling");
    b.open(&ruling, "ruling-document").await;
    assert!(b.page_text().await.contains("De klacht is gegrond"));
    open_case(&mut b, case_id, "case-provider-in-compliance").await;
    let evidence_dir = tempfile::tempdir().unwrap();
    report_compliance(&mut b, "€ 240 teruggestort op 1 december.", evidence_dir.path()).await;
    assert!(b.page_text().await.contains("Aanbieder meldt: nagekomen"));
    sign_out(&mut b).await;

    sign_in(&mut b, CONSUMER, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-consumer-compliance").await;
    assert!(b.page_text().await.contains("€ 240 teruggestort op 1 december."));
    confirm_compliance(&mut b).await;
    assert_eq!(state_of(&app, case_id).await, "closed");
    assert!(b.page_text().await.contains("Consument bevestigt: nagekomen"));
    sign_out(&mut b).await;

    let reference = review_and_publish(&mut b, &app, case_id).await;
    find_in_register(&mut b, &reference).await;

    b.finish().await;
}

/// Journey 3, the guarantee ending: the provider does not comply with an issued ruling; past the
/// term the worker (driven directly, with its clock moved past the due date) opens a claim on the
/// provider's guarantor; the consumer sees it, the secretariat records the payment and the case
/// closes.
#[tokio::test]
async fn journey_3_a_ruling_not_complied_with_is_paid_by_the_guarantor_through_the_pages() {
    let (app, _sink) = spawn_for_browser().await;
    let Some(mut b) = Browser::launch("journey-3", &app.address).await else {
        return;
    };
    let case_id = app.seed_case().await.case_id;
    app.with_db(move |c| {
        let now = chrono::Utc::now().naive_utc();
        let (provider_id, scheme_id): (i64, i64) = cases::table
            .find(case_id)
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
                valid_from: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap(),
                valid_until: None,
                via: "trade_association",
                guarantor_id: Some(guarantor),
                status: "active",
            },
            now,
        )
        .unwrap();
    })
    .await;
    to_mediation(&mut b, &app, case_id).await;
    plan_hearing(&mut b, &app, case_id).await;
    draft_and_issue(&mut b, &app, case_id, &[(MEDIATOR, TEST_PASSWORD)]).await;

    // The provider stays silent past the compliance term.
    let due = app
        .with_db(move |c| {
            cases::table
                .find(case_id)
                .select(cases::state_due_on)
                .first::<Option<chrono::NaiveDate>>(c)
                .unwrap()
        })
        .await
        .expect("the compliance term runs");
    let after = (due + chrono::TimeDelta::days(1)).and_hms_opt(9, 0, 0).unwrap();
    geschillenportaal::jobs::worker::housekeeping(&app.worker_context(), after)
        .await
        .unwrap();
    assert_eq!(state_of(&app, case_id).await, "guarantee_claim");

    sign_in(&mut b, CONSUMER, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-consumer-guarantee-claim").await;
    let page = b.page_text().await;
    assert!(
        page.contains("Nakomingsgarantie")
            && page.contains("Branchevereniging ICT")
            && page.contains("Gevraagd, nog niet betaald")
            && !page.contains("Betaling door de garantsteller vastleggen"),
        "{page}"
    );
    sign_out(&mut b).await;

    sign_in(&mut b, SECRETARIAT, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-secretariat-guarantee-claim").await;
    b.press(
        "form[action$='/garantie/betaald'] button[type=submit]",
        "guarantee-paid",
    )
    .await;
    assert_eq!(state_of(&app, case_id).await, "closed");
    let page = b.page_text().await;
    assert!(
        page.contains("Betaald") && !page.contains("Gevraagd, nog niet betaald"),
        "{page}"
    );
    sign_out(&mut b).await;

    sign_in(&mut b, CONSUMER, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-consumer-closed").await;
    assert!(b.page_text().await.contains("Hoe ging de aanbieder met uw klacht om?"));
    sign_out(&mut b).await;

    b.finish().await;
}

/// Journey 4, the turns a case can take on the way: the consumer challenges the mediator and the
/// secretariat refuses the challenge; an expert's report is shared; the secretariat moves the planned hearing and then cancels it, and the parties are told each time; the hearing is planned again; the mediator
/// issues the ruling and then corrects an obvious error in it with a linked ruling; the provider
/// reports compliance and the consumer disputes it, which opens the guarantee claim at once. The
/// provider is a member without a guarantor here, so the claim says no guarantor is known yet.
#[tokio::test]
async fn journey_4_a_challenge_a_hearing_moved_and_cancelled_a_corrected_ruling_and_disputed_compliance() {
    let (app, sink) = spawn_for_browser().await;
    let Some(mut b) = Browser::launch("journey-4", &app.address).await else {
        return;
    };
    let case_id = app.seed_case().await.case_id;
    to_mediation(&mut b, &app, case_id).await;

    // The consumer challenges the mediator; the secretariat reads the grounds and refuses, so the
    // mediator stays on the case.
    challenge_the_mediator(
        &mut b,
        case_id,
        "De bemiddelaar sprak de aanbieder vorige week op een congres.",
    )
    .await;
    let page = decide_the_challenge(
        &mut b,
        case_id,
        ("reject", "Een ontmoeting op een congres maakt niet partijdig."),
        "challenge-decided",
    )
    .await;
    assert!(
        page.contains("vorige week op een congres")
            && page.contains("De beslissing op de wraking is vastgelegd.")
            && page.contains("Wraking afgewezen")
            && page.contains("bevestigd"),
        "{page}"
    );
    sign_out(&mut b).await;

    // The mediator has an expert look into it; the report reaches the parties with a reaction term.
    sign_in(&mut b, MEDIATOR, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-mediator-mediation").await;
    case_action(&mut b, "order_expert_investigation", None).await;
    assert_eq!(state_of(&app, case_id).await, "expert_investigation");
    let report_dir = tempfile::tempdir().unwrap();
    let report = report_dir.path().join("rapport-deskundige.pdf");
    std::fs::write(&report, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n").unwrap();
    b.find("#expert-file")
        .await
        .send_keys(&report.display().to_string())
        .await
        .expect("choose the report");
    b.press("form[action$='/deskundige'] button[type=submit]", "expert-report-added")
        .await;
    case_action(&mut b, "expert_investigation_done", None).await;
    assert_eq!(state_of(&app, case_id).await, "mediation");
    sign_out(&mut b).await;
    sign_in(&mut b, STAFF, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-provider-expert-report").await;
    assert!(b.page_text().await.contains("rapport-deskundige.pdf"));
    sign_out(&mut b).await;

    plan_hearing(&mut b, &app, case_id).await;

    // Moved to the day after tomorrow at 14:30, then cancelled.
    let moved_to = Utc::now().date_naive() + TimeDelta::days(2);
    sign_in(&mut b, SECRETARIAT, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-secretariat-hearing-planned").await;
    assert!(b.page_text().await.contains("Zitting verplaatsen"));
    set_value(&b, "#hearing-date", &moved_to.format("%Y-%m-%d").to_string()).await;
    set_value(&b, "#hearing-time", "14:30").await;
    b.fill("#hearing-location", "Bordewijklaan 46, Den Haag").await;
    b.press("form[action$='/zitting'] button[type=submit]", "hearing-moved")
        .await;
    let moved_when = format!("{} 14:30", moved_to.format("%d-%m-%Y"));
    let page = b.page_text().await;
    assert!(page.contains(&moved_when), "{page}");
    assert_eq!(state_of(&app, case_id).await, "hearing_scheduled");
    b.press(
        "form[action$='/zitting/annuleren'] button[type=submit]",
        "hearing-cancelled",
    )
    .await;
    let page = b.page_text().await;
    assert!(
        page.contains("Er is nog geen zitting gepland.") && !page.contains(&moved_when),
        "{page}"
    );
    sign_out(&mut b).await;

    app.run_worker().await;
    let to_consumer: Vec<String> = sink
        .received()
        .iter()
        .map(|raw| parse_email(raw))
        .filter(|mail| mail.to == CONSUMER)
        .map(|mail| mail.text)
        .collect();
    assert!(
        to_consumer
            .iter()
            .any(|text| text.contains("is verplaatst naar") && text.contains(&moved_when)),
        "the consumer is told of the move: {to_consumer:?}"
    );
    assert!(
        to_consumer.iter().any(|text| text.contains("gaat niet door")),
        "the consumer is told of the cancellation: {to_consumer:?}"
    );

    sign_in(&mut b, CONSUMER, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-consumer-hearing-cancelled").await;
    assert!(b.page_text().await.contains("Er is nog geen zitting gepland."));
    sign_out(&mut b).await;

    plan_hearing(&mut b, &app, case_id).await;
    draft_and_issue(&mut b, &app, case_id, &[(MEDIATOR, TEST_PASSWORD)]).await;

    // The issued ruling is final; an obvious error is corrected by a second, linked ruling.
    sign_in(&mut b, MEDIATOR, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-mediator-ruling-issued").await;
    assert!(b.page_text().await.contains("Verbetering schrijven"));
    write_upheld_ruling(
        &mut b,
        "De aanbieder betaalt € 240 terug (datum verbeterd).",
        "Verbetering van een kennelijke schrijffout in de datum.",
        "ruling-correction-drafted",
    )
    .await;
    b.press(
        "form[action$='/uitbrengen'] button[type=submit]",
        "ruling-correction-issued",
    )
    .await;
    let page = b.page_text().await;
    assert!(
        page.contains("Verbetering van de uitspraak") && page.contains("(datum verbeterd)"),
        "{page}"
    );
    assert_eq!(
        state_of(&app, case_id).await,
        "in_compliance",
        "a correction does not move the case"
    );
    sign_out(&mut b).await;

    sign_in(&mut b, STAFF, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-provider-corrected-ruling").await;
    let evidence_dir = tempfile::tempdir().unwrap();
    report_compliance(&mut b, "€ 240 teruggestort op 1 december.", evidence_dir.path()).await;
    sign_out(&mut b).await;

    // The consumer says the money never came: the guarantee claim opens with the dispute.
    sign_in(&mut b, CONSUMER, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-consumer-compliance-reported").await;
    b.fill(
        "#dispute-note",
        "Er is niets teruggestort; mijn afschrift van 5 december laat niets zien.",
    )
    .await;
    b.press(
        "form[action$='/nakoming/antwoord'] button[name=answer][value=dispute]",
        "compliance-disputed",
    )
    .await;
    assert_eq!(state_of(&app, case_id).await, "guarantee_claim");
    let page = b.page_text().await;
    assert!(
        page.contains("Consument meldt: niet nagekomen")
            && page.contains("mijn afschrift van 5 december")
            && page.contains("Nakomingsgarantie")
            && page.contains("Nog niet bekend; het secretariaat zoekt het uit")
            && page.contains("Gevraagd, nog niet betaald"),
        "{page}"
    );
    sign_out(&mut b).await;

    sign_in(&mut b, SECRETARIAT, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-secretariat-claim-without-guarantor").await;
    assert!(
        b.page_text()
            .await
            .contains("Betaling door de garantsteller vastleggen")
    );
    sign_out(&mut b).await;

    b.finish().await;
}

/// The consumer challenges the case's mediator from the staffing section, with these grounds; the
/// page says the seat is challenged. Signs the consumer in and out.
async fn challenge_the_mediator(b: &mut Browser, case_id: i64, grounds: &str) {
    sign_in(b, CONSUMER, TEST_PASSWORD).await;
    open_case(b, case_id, "case-consumer-mediation").await;
    b.find("#bemanning details summary")
        .await
        .click()
        .await
        .expect("open the challenge form");
    b.fill("#bemanning textarea[id^=challenge-]", grounds).await;
    b.press("form[action$='/wraken'] button[type=submit]", "challenge-filed")
        .await;
    let page = b.page_text().await;
    assert!(
        page.contains("Uw wrakingsverzoek is ingediend") && page.contains("gewraakt, beslissing volgt"),
        "{page}"
    );
    sign_out(b).await;
}

/// The secretariat signs in, opens the case and decides the challenge (`uphold` or `reject`, with
/// the reason); the page after the decision, as text. Stays signed in.
async fn decide_the_challenge(b: &mut Browser, case_id: i64, (decision, reason): (&str, &str), name: &str) -> String {
    sign_in(b, SECRETARIAT, TEST_PASSWORD).await;
    open_case(b, case_id, "case-secretariat-challenge").await;
    b.find(&format!("input[name=decision][value={decision}]"))
        .await
        .click()
        .await
        .expect("choose the decision");
    b.fill("#bemanning textarea[id^=decide-]", reason).await;
    b.press("form[action$='/beslissen'] button[type=submit]", name).await;
    b.page_text().await
}

/// Journey 5, a challenge upheld: the consumer challenges the mediator, the secretariat upholds the
/// challenge, so the mediator leaves the case; the secretariat has the portal propose a replacement
/// (a mediator of the scheme without a conflict with the provider) and confirms it; the new mediator
/// opens the case, the one challenged no longer can.
#[tokio::test]
async fn journey_5_a_challenge_upheld_and_the_mediator_replaced_through_the_pages() {
    let (app, _sink) = spawn_for_browser().await;
    let Some(mut b) = Browser::launch("journey-5", &app.address).await else {
        return;
    };
    // A scheme whose cases one mediator decides: the replacement is one mediator, not a panel.
    let rules = geschillenportaal::registry::rules::SchemeRules {
        panel_size: 1,
        ..geschillenportaal::registry::rules::SchemeRules::commission_defaults()
    };
    let case_id = app.seed_case_with(rules).await.case_id;
    to_mediation(&mut b, &app, case_id).await;
    // A second mediator of the case's scheme, free of the provider: the one the portal can propose.
    app.mediator_of_the_case_scheme(case_id, OTHER_MEDIATOR).await;

    challenge_the_mediator(
        &mut b,
        case_id,
        "De bemiddelaar werkte tot vorig jaar bij de aanbieder.",
    )
    .await;

    // The secretariat upholds the challenge: the seat is left empty.
    let page = decide_the_challenge(
        &mut b,
        case_id,
        ("uphold", "Schijn van partijdigheid."),
        "challenge-upheld",
    )
    .await;
    assert!(
        page.contains("tot vorig jaar bij de aanbieder")
            && page.contains("De beslissing op de wraking is vastgelegd.")
            && page.contains("Wraking toegewezen"),
        "{page}"
    );
    let seats = app.seats_of(case_id).await;
    assert_eq!(seats.len(), 1);
    assert_eq!(seats[0].0, MEDIATOR);
    assert_ne!(seats[0].2, "confirmed", "the mediator challenged has left: {seats:?}");

    // The portal proposes the other mediator of the scheme; the secretariat confirms.
    b.press(
        "form[action$='/toewijzing']:has(input[name=step][value=propose]) button[type=submit]",
        "replacement-proposed",
    )
    .await;
    assert!(b.page_text().await.contains("Voorstel bevestigen"));
    b.press(
        "form[action$='/toewijzing']:has(input[name=step][value=confirm]) button[type=submit]",
        "replacement-confirmed",
    )
    .await;
    let seats = app.seats_of(case_id).await;
    assert_eq!(seats.len(), 2, "{seats:?}");
    assert_eq!(
        (seats[1].0.as_str(), seats[1].2.as_str()),
        (OTHER_MEDIATOR, "confirmed"),
        "{seats:?}"
    );
    sign_out(&mut b).await;

    // The new mediator has the case; the one challenged is refused it.
    sign_in(&mut b, OTHER_MEDIATOR, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-new-mediator").await;
    let page = b.page_text().await;
    assert!(
        page.contains(PROVIDER) && !page.contains("Pagina niet gevonden"),
        "{page}"
    );
    sign_out(&mut b).await;
    sign_in(&mut b, MEDIATOR, TEST_PASSWORD).await;
    open_case(&mut b, case_id, "case-challenged-mediator").await;
    assert!(b.page_text().await.contains("Pagina niet gevonden"));
    // The error page keeps the session's menu: the mediator signs out from it.
    sign_out(&mut b).await;
    assert_eq!(state_of(&app, case_id).await, "mediation");
    b.finish().await;
}

/// The checker itself: on a page we spoil on purpose, it must report each kind of problem, or a
/// clean journey would prove nothing.
#[tokio::test]
async fn the_accessibility_check_reports_a_missing_label_a_second_h1_a_missing_lang_and_poor_contrast() {
    let (app, _sink) = spawn_for_browser().await;
    let Some(mut b) = Browser::launch("accessibility-check", &app.address).await else {
        return;
    };
    b.open("/login", "login").await;
    let on_the_clean_page = b.accessibility_problems().await;
    b.client
        .execute(
            r#"
document.documentElement.removeAttribute('lang');
const main = document.querySelector('main');
main.insertAdjacentHTML('beforeend',
  '<h1>Tweede kop</h1><input name="naamloos" type="text">' +
  '<p id="licht">Lichtgrijze tekst op wit</p>');
// Through the CSSOM: the page's CSP refuses inline style attributes.
const light = document.getElementById('licht');
light.style.color = '#bbb';
light.style.background = '#fff';
"#,
            vec![],
        )
        .await
        .unwrap();
    let problems = b.accessibility_problems().await.join("\n");
    b.close().await;
    assert_eq!(on_the_clean_page, Vec::<String>::new(), "the login page is clean");
    assert!(problems.contains("no lang attribute"), "{problems}");
    assert!(problems.contains("2 h1 elements"), "{problems}");
    assert!(problems.contains("unlabelled field naamloos"), "{problems}");
    if std::env::var_os("AXE_CORE_JS").is_some() || problems.contains("axe ") {
        assert!(problems.contains("axe color-contrast"), "{problems}");
        assert!(problems.contains("axe label"), "{problems}");
    }
}
