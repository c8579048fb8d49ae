//! The registry end to end: scheme rules versions through the admin page, the member-list import (dry
//! run, all or nothing, export round trip), the secretariat's provider pages, the public membership check
//! (page and JSON, three languages, boundary days, nasty input) and who may see what.

use chrono::{NaiveDate, TimeDelta, Utc};
use diesel::prelude::*;
use geschillenportaal::accounts::Role;
use geschillenportaal::cases::{self, ImportedCase};
use geschillenportaal::db::schema::{audit_log, cases as cases_table, memberships, providers, scheme_rules};
use geschillenportaal::registry::forms::RulesForm;
use geschillenportaal::registry::rules::SchemeRules;
use geschillenportaal::registry::{self, NewMembership, NewProvider, NewScheme, import, queries, search};
use serde_json::Value;

use crate::helpers::{TEST_PASSWORD, TestApp, extract_csrf, location, spawn_app};

struct Seeded {
    tel: i64,
    ictw: i64,
    guarantor: i64,
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The three schemes of the domain rules (rules from 2000-01-01) and one trade association.
async fn seed_schemes(app: &TestApp) -> Seeded {
    app.with_db(|conn| {
        let now = Utc::now().naive_utc();
        let since = d(2000, 1, 1);
        let scheme = |code: &'static str, name: &'static str, rules: SchemeRules, conn: &mut _| {
            registry::create_scheme(
                conn,
                NewScheme {
                    code,
                    name,
                    languages: "nl,en",
                    reference_prefix: code,
                },
                &rules,
                since,
                now,
            )
            .unwrap()
        };
        let tel = scheme(
            "TEL",
            "De Geschillencommissie Telecommunicatie",
            SchemeRules::commission_defaults(),
            conn,
        );
        scheme(
            "ICT",
            "De Geschillencommissie ICT",
            SchemeRules::commission_defaults(),
            conn,
        );
        let ictw = scheme(
            "ICTW",
            "ICTWaarborg bemiddeling",
            SchemeRules::mediation_defaults(),
            conn,
        );
        let guarantor = registry::create_guarantor(
            conn,
            "Stichting Garantiefonds Telecom",
            "trade_association",
            "fonds@example.nl",
            now,
        )
        .unwrap();
        Seeded { tel, ictw, guarantor }
    })
    .await
}

/// A provider with one membership per (scheme, from, until, status).
async fn seed_provider(
    app: &TestApp,
    kvk: &'static str,
    legal_name: &'static str,
    trade_names: &'static str,
    memberships: Vec<(i64, NaiveDate, Option<NaiveDate>, &'static str)>,
) -> i64 {
    app.with_db(move |conn| {
        let now = Utc::now().naive_utc();
        let id = registry::create_provider(
            conn,
            NewProvider {
                kvk_number: kvk,
                legal_name,
                trade_names,
                street: "Voorbeeldstraat 1",
                postcode: "1234 AB",
                city: "Groningen",
                website: "",
                complaint_email: "klachten@example.nl",
            },
            now,
        )
        .unwrap();
        for (scheme_id, from, until, status) in memberships {
            registry::create_membership(
                conn,
                NewMembership {
                    provider_id: id,
                    scheme_id,
                    valid_from: from,
                    valid_until: until,
                    via: "direct",
                    guarantor_id: None,
                    status,
                },
                now,
            )
            .unwrap();
        }
        id
    })
    .await
}

/// A client of its own, signed in as a new user of `role`.
async fn signed_in(app: &TestApp, email: &str, role: Role) -> (reqwest::Client, i64) {
    let user_id = app.create_user(email, role).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let page = client
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = extract_csrf(&page);
    let response = client
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", TEST_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "{email} signs in");
    (client, user_id)
}

async fn csrf_of(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    extract_csrf(&client.get(app.url(path)).send().await.unwrap().text().await.unwrap())
}

/// A multipart body as a browser sends the upload form.
fn multipart(csrf: &str, action: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----registry-test-boundary-7d9f";
    let mut body = Vec::new();
    for (name, value) in [("csrf_token", csrf), ("action", action)] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"leden.csv\"\r\nContent-Type: text/csv\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(app: &TestApp, client: &reqwest::Client, action: &str, file: &[u8]) -> (u16, String) {
    let csrf = csrf_of(app, client, "/secretariaat/ledenlijst").await;
    let (content_type, body) = multipart(&csrf, action, file);
    let response = client
        .post(app.url("/secretariaat/ledenlijst"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn count_registry(app: &TestApp) -> (i64, i64) {
    app.with_db(|conn| {
        (
            providers::table.count().get_result::<i64>(conn).unwrap(),
            memberships::table.count().get_result::<i64>(conn).unwrap(),
        )
    })
    .await
}

fn rules_form_fields(form: &RulesForm) -> Vec<(String, String)> {
    let value = serde_json::to_value(form).unwrap();
    value
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

#[tokio::test]
async fn an_admin_changes_a_schemes_rules_from_a_date_and_a_case_filed_before_keeps_the_old_ones() {
    let app = spawn_app().await;
    let seeded = seed_schemes(&app).await;
    let provider = seed_provider(&app, "60000011", "Glasvezel Noord B.V.", "NoordNet", vec![]).await;
    let consumer = app.create_user("consument@example.nl", Role::Consumer).await;
    let today = Utc::now().date_naive();
    let yesterday = today - TimeDelta::days(1);
    let tel = seeded.tel;
    // A case filed yesterday, under the rules in force then.
    let (case_id, old_rules_id) = app
        .with_db(move |conn| {
            let rules = registry::rules_in_force(conn, tel, yesterday).unwrap().unwrap();
            let (case_id, _) = cases::import_case(
                conn,
                ImportedCase {
                    scheme_id: tel,
                    reference_prefix: "TEL",
                    rules_id: rules.id,
                    consumer_id: consumer,
                    provider_id: provider,
                    category: "billing",
                    language: "nl",
                    state: "submitted",
                    state_due_on: None,
                    contract_date: Some(d(2024, 1, 1)),
                    written_complaint_date: yesterday - TimeDelta::days(40),
                    written_complaint_channel: "email",
                    claim_cents: Some(10_000),
                    desired_outcome: "Geld terug",
                    description: "Storing",
                    fee_cents: rules.complaint_fee_cents,
                    fee_status: "due",
                    complete_on: None,
                    outcome_due_on: None,
                    submitted_at: (yesterday).and_hms_opt(12, 0, 0).unwrap(),
                },
                None,
                Utc::now().naive_utc(),
            )
            .unwrap();
            (case_id, rules.id)
        })
        .await;

    let (admin, admin_id) = signed_in(&app, "beheer@example.nl", Role::Admin).await;
    let path = format!("/beheer/regelingen/{tel}");
    let page = admin.get(app.url(&path)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Vanaf 1 januari 2000"),
        "the history shows the first version"
    );
    assert!(
        html.contains("value=\"50,00\""),
        "the form is prefilled with the rules in force"
    );
    let csrf = extract_csrf(&html);

    // A version starting in the past is refused at its field, and the typed values stay.
    let mut form = RulesForm::from_rules(&SchemeRules::commission_defaults(), yesterday);
    form.complaint_fee = "75,00".into();
    let mut fields = rules_form_fields(&form);
    fields.push(("csrf_token".into(), csrf.clone()));
    let refused = admin
        .post(app.url(&format!("{path}/regels")))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    let html = refused.text().await.unwrap();
    assert!(html.contains("kan niet eerder ingaan dan vandaag"));
    assert!(html.contains("value=\"75,00\""), "the typed fee is kept");

    // From today: saved, and the page shows both versions with today's marked as in force.
    form.valid_from = today.format("%Y-%m-%d").to_string();
    let mut fields = rules_form_fields(&form);
    fields.push(("csrf_token".into(), csrf.clone()));
    let saved = admin
        .post(app.url(&format!("{path}/regels")))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), 303);
    assert_eq!(location(&saved), format!("{path}?notice=registry-notice-rules-saved"));
    let html = admin
        .get(app.url(&location(&saved)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("€ 75,00") && html.contains("€ 50,00"));
    assert_eq!(html.matches("data-in-force=\"true\"").count(), 1);

    // The same day twice is refused.
    let again = admin
        .post(app.url(&format!("{path}/regels")))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 422);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("Op deze datum gaat al een versie in")
    );

    let (now_fee, before_fee, case_rules, case_fee, audit_actor) = app
        .with_db(move |conn| {
            let now = registry::rules_in_force(conn, tel, today).unwrap().unwrap();
            let before = registry::rules_in_force(conn, tel, yesterday).unwrap().unwrap();
            let case_rules: i64 = cases_table::table
                .find(case_id)
                .select(cases_table::rules_id)
                .first(conn)
                .unwrap();
            let case_fee: i64 = scheme_rules::table
                .find(case_rules)
                .select(scheme_rules::complaint_fee_cents)
                .first(conn)
                .unwrap();
            let actor: Option<i64> = audit_log::table
                .filter(audit_log::entity.eq("scheme"))
                .filter(audit_log::entity_id.eq(tel))
                .filter(audit_log::action.eq("rules_version_added"))
                .select(audit_log::actor_id)
                .first(conn)
                .unwrap();
            (
                now.complaint_fee_cents,
                before.complaint_fee_cents,
                case_rules,
                case_fee,
                actor,
            )
        })
        .await;
    assert_eq!(now_fee, 7500, "cases filed from today get the new version");
    assert_eq!(before_fee, 5000, "a day before the change still has the old version");
    assert_eq!(
        case_rules, old_rules_id,
        "the case keeps the version it was filed under"
    );
    assert_eq!(case_fee, 5000);
    assert_eq!(audit_actor, Some(admin_id));
}

#[tokio::test]
async fn only_the_secretariat_and_admins_reach_the_registry_pages_and_only_admins_the_scheme_rules() {
    let app = spawn_app().await;
    let seeded = seed_schemes(&app).await;
    let provider = seed_provider(&app, "60000011", "Glasvezel Noord B.V.", "NoordNet", vec![]).await;
    let staff_pages = [
        "/secretariaat/aanbieders".to_owned(),
        "/secretariaat/aanbieders/nieuw".to_owned(),
        format!("/secretariaat/aanbieders/{provider}"),
        format!("/secretariaat/aanbieders/{provider}/bewerken"),
        "/secretariaat/ledenlijst".to_owned(),
        "/secretariaat/ledenlijst/export.csv".to_owned(),
    ];
    let admin_pages = [
        "/beheer/regelingen".to_owned(),
        format!("/beheer/regelingen/{}", seeded.tel),
    ];
    for (i, role) in [Role::Consumer, Role::ProviderStaff, Role::Mediator]
        .into_iter()
        .enumerate()
    {
        let (client, _) = signed_in(&app, &format!("user{i}@example.nl"), role).await;
        for path in staff_pages.iter().chain(admin_pages.iter()) {
            let status = client.get(app.url(path)).send().await.unwrap().status();
            assert_eq!(status, 404, "{role:?} on {path}");
        }
    }
    let (secretariat, _) = signed_in(&app, "secretariaat@example.nl", Role::Secretariat).await;
    for path in &staff_pages {
        assert_eq!(
            secretariat.get(app.url(path)).send().await.unwrap().status(),
            200,
            "{path}"
        );
    }
    for path in &admin_pages {
        assert_eq!(
            secretariat.get(app.url(path)).send().await.unwrap().status(),
            404,
            "{path}"
        );
    }
    let (admin, _) = signed_in(&app, "beheer@example.nl", Role::Admin).await;
    for path in staff_pages.iter().chain(admin_pages.iter()) {
        assert_eq!(admin.get(app.url(path)).send().await.unwrap().status(), 200, "{path}");
    }
    // Anonymous visitors are sent to sign in; the public check needs no account.
    let anonymous = app.get("/secretariaat/aanbieders").await;
    assert_eq!(anonymous.status(), 303);
    assert!(location(&anonymous).starts_with("/login?next="));
    assert_eq!(app.get("/aangesloten").await.status(), 200);
}

const HEADER: &str = "scheme;kvk_number;legal_name;trade_names;street;postcode;city;website;complaint_email;valid_from;valid_until;via;guarantor;status\n";

fn good_file() -> Vec<u8> {
    let mut text = HEADER.to_owned();
    text.push_str("TEL;60000011;Glasvezel Noord B.V.;NoordNet;Voorbeeldstraat 1;1234 AB;Groningen;https://noordnet.example;klachten@noordnet.example;2015-01-01;;trade_association;Stichting Garantiefonds Telecom;certified\n");
    text.push_str("ICTW;60000011;Glasvezel Noord B.V.;NoordNet;Voorbeeldstraat 1;1234 AB;Groningen;https://noordnet.example;klachten@noordnet.example;2020-01-01;;direct;;on_hold\n");
    text.push_str("TEL;60000044;Zoëtel Mobiel B.V.;Zoëtel;;;Amsterdam;;;2010-01-01;2025-03-03;direct;;ended\n");
    text.push_str("TEL;60000044;Zoëtel Mobiel B.V.;Zoëtel;;;Amsterdam;;;2025-06-01;;trade_association;Nieuwe Branchevereniging;certified\n");
    text.push_str(
        "ICT;60000066;\"Webhosting \"\"Veluwe\"\"; B.V.\";VeluweHost;;;Apeldoorn;;;2019-01-01;;direct;;certified\n",
    );
    text.into_bytes()
}

#[tokio::test]
async fn a_member_list_with_bad_rows_gets_a_report_per_row_and_imports_nothing() {
    let app = spawn_app().await;
    seed_schemes(&app).await;
    let (secretariat, _) = signed_in(&app, "secretariaat@example.nl", Role::Secretariat).await;
    let mut file = good_file();
    // Line 7: a KvK number of seven digits. Line 8: an unknown scheme. Line 9: overlaps line 4 (same
    // provider and scheme). Line 10: saved as Windows-1252 (ë is the byte 0xEB).
    file.extend_from_slice(b"TEL;6000001;Kort Nummer B.V.;;;;;;;2020-01-01;;direct;;certified\n");
    file.extend_from_slice(b"XYZ;60000077;Act Webdiensten B.V.;ActWeb;;;;;;2016-09-01;;direct;;certified\n");
    file.extend_from_slice(
        b"TEL;60000044;Zo\xc3\xabtel Mobiel B.V.;Zo\xc3\xabtel;;;Amsterdam;;;2025-03-01;;direct;;certified\n",
    );
    file.extend_from_slice(b"ICT;60000088;PC Hulp aan Huis B.V.;Caf\xeb Hulp;;;;;;2020-01-01;;direct;;certified\n");

    for action in ["check", "import"] {
        let (status, html) = upload(&app, &secretariat, action, &file).await;
        assert_eq!(status, 422, "{action}");
        assert!(html.contains("4 van de 9 regels zijn geweigerd"), "{action}: {html}");
        assert!(html.contains("Er is niets ingelezen"));
        for (line, problem) in [
            (7, "kvk_invalid"),
            (8, "scheme_unknown"),
            (9, "overlap_in_file"),
            (10, "encoding"),
        ] {
            let row = html
                .split(&format!("<tr data-line=\"{line}\""))
                .nth(1)
                .unwrap_or_else(|| panic!("row {line} in the report"));
            let row = row.split("</tr>").next().unwrap();
            assert!(row.contains("data-action=\"refuse\""), "line {line}");
            assert!(
                row.contains(&format!("data-problem=\"{problem}\"")),
                "line {line}: {row}"
            );
        }
        assert!(html.contains("Er is geen regeling met de code XYZ."));
        assert!(html.contains("De kolom trade_names bevat tekens die geen UTF-8 zijn"));
        assert!(html.contains("De periode overlapt die op regel 4"));
        assert!(
            html.contains("<tr data-line=\"2\" data-action=\"add\""),
            "good rows say what they would do"
        );
        assert_eq!(count_registry(&app).await, (0, 0), "nothing was imported ({action})");
    }
    let audit_rows = app
        .with_db(|conn| audit_log::table.count().get_result::<i64>(conn).unwrap())
        .await;
    assert_eq!(audit_rows, 0);

    // An upload without the form's token is refused before it is read.
    let (content_type, body) = multipart("not-the-token", "import", &good_file());
    let forged = secretariat
        .post(app.url("/secretariaat/ledenlijst"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(count_registry(&app).await, (0, 0));

    // A file that is not the format at all is refused as a whole.
    let (status, html) = upload(&app, &secretariat, "check", b"naam,kvk\nFoo,1\n").await;
    assert_eq!(status, 422);
    assert!(html.contains("Deze kolommen kennen we niet: naam, kvk."));
}

#[tokio::test]
async fn a_good_member_list_imports_completely_and_its_export_reads_back_unchanged() {
    let app = spawn_app().await;
    let seeded = seed_schemes(&app).await;
    let (secretariat, secretariat_id) = signed_in(&app, "secretariaat@example.nl", Role::Secretariat).await;

    let (status, html) = upload(&app, &secretariat, "check", &good_file()).await;
    assert_eq!(status, 200);
    assert!(html.contains("Alle regels zijn in orde: 5 toevoegen, 0 wijzigen, 0 ongewijzigd."));
    assert_eq!(count_registry(&app).await, (0, 0), "a dry run changes nothing");

    let (status, html) = upload(&app, &secretariat, "import", &good_file()).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Ingelezen: 5 toegevoegd, 0 gewijzigd, 0 ongewijzigd."));
    assert_eq!(count_registry(&app).await, (3, 5));
    let (audits, guarantors, zoetel_found) = app
        .with_db(move |conn| {
            let audits: Vec<(String, String, Option<i64>)> = audit_log::table
                .select((audit_log::entity, audit_log::action, audit_log::actor_id))
                .load(conn)
                .unwrap();
            let guarantors = queries::all_guarantors(conn).unwrap();
            let (found, _) = queries::search_providers(conn, &search::parse_query("zoetel"), 10).unwrap();
            (audits, guarantors, found)
        })
        .await;
    assert_eq!(
        audits.iter().filter(|a| a.0 == "provider" && a.1 == "created").count(),
        3
    );
    assert_eq!(
        audits
            .iter()
            .filter(|a| a.0 == "membership" && a.1 == "created")
            .count(),
        5
    );
    assert!(audits.iter().all(|a| a.2 == Some(secretariat_id)));
    assert_eq!(guarantors.len(), 2, "the unknown trade association was added");
    assert!(guarantors.iter().any(|(id, _)| *id == seeded.guarantor));
    assert_eq!(zoetel_found.len(), 1, "imported providers are searchable");

    // The export has the same format: reading it back changes nothing.
    let export = secretariat
        .get(app.url("/secretariaat/ledenlijst/export.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    assert!(
        export.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        export.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let exported = export.bytes().await.unwrap().to_vec();
    assert!(exported.starts_with(HEADER.trim_end().as_bytes()));
    let mut original: Vec<_> = import::parse(&good_file())
        .unwrap()
        .into_iter()
        .map(|r| r.result.unwrap())
        .map(|r| (r.scheme, r.provider, r.membership))
        .collect();
    let mut round_trip: Vec<_> = import::parse(&exported)
        .unwrap()
        .into_iter()
        .map(|r| r.result.unwrap())
        .map(|r| (r.scheme, r.provider, r.membership))
        .collect();
    let key = |r: &(String, import::ProviderFields, import::MembershipFields)| {
        (r.0.clone(), r.1.kvk_number.clone(), r.2.period.from)
    };
    original.sort_by_key(key);
    round_trip.sort_by_key(key);
    assert_eq!(round_trip, original);
    let (status, html) = upload(&app, &secretariat, "check", &exported).await;
    assert_eq!(status, 200);
    assert!(html.contains("0 toevoegen, 0 wijzigen, 5 ongewijzigd"));

    // One scheme's list holds that scheme only.
    let tel_only = secretariat
        .get(app.url("/secretariaat/ledenlijst/export.csv?scheme=TEL"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(tel_only.lines().count(), 4);
    assert!(tel_only.lines().skip(1).all(|l| l.starts_with("TEL;")));

    // A changed end date is reported as a change and imported.
    let changed = String::from_utf8(good_file()).unwrap().replace(
        "2015-01-01;;trade_association;Stichting Garantiefonds Telecom;certified",
        "2015-01-01;2026-12-31;trade_association;Stichting Garantiefonds Telecom;certified",
    );
    let (status, html) = upload(&app, &secretariat, "import", changed.as_bytes()).await;
    assert_eq!(status, 200);
    assert!(html.contains("Ingelezen: 0 toegevoegd, 1 gewijzigd, 4 ongewijzigd."));
    let until: Option<NaiveDate> = app
        .with_db(|conn| {
            memberships::table
                .filter(memberships::valid_from.eq(d(2015, 1, 1)))
                .select(memberships::valid_until)
                .first(conn)
                .unwrap()
        })
        .await;
    assert_eq!(until, Some(d(2026, 12, 31)));
    let _ = seeded.ictw;
}

async fn check_api(app: &TestApp, q: &str, date: &str) -> (u16, Value) {
    let response = app
        .client
        .get(app.url("/api/v1/registry/providers"))
        .query(&[("q", q), ("date", date)])
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_public_check_answers_membership_at_the_boundary_days_in_three_languages() {
    let app = spawn_app().await;
    let seeded = seed_schemes(&app).await;
    // A member of the telecom commission from 4 March 2020 up to and including 3 March 2025, and again from
    // 5 March 2025; certified with ICTWaarborg from 29 February 2024.
    seed_provider(
        &app,
        "60000044",
        "Zoëtel Mobiel B.V.",
        "Zoëtel",
        vec![
            (seeded.tel, d(2020, 3, 4), Some(d(2025, 3, 3)), "ended"),
            (seeded.tel, d(2025, 3, 5), None, "certified"),
            (seeded.ictw, d(2024, 2, 29), None, "certified"),
        ],
    )
    .await;

    for (date, expected) in [
        ("2020-03-03", false),
        ("2020-03-04", true),
        ("2025-03-03", true),
        ("2025-03-04", false),
        ("2025-03-05", true),
        ("2099-12-31", true),
    ] {
        let (status, body) = check_api(&app, "zoetel", date).await;
        assert_eq!(status, 200);
        let tel = &body["providers"][0]["schemes"][0];
        assert_eq!(tel["code"], "TEL");
        assert_eq!(tel["valid_on_date"], expected, "member on {date}?");
        assert_eq!(
            tel["verdict"],
            if expected { "can_file" } else { "not_covered" },
            "{date}"
        );
        assert_eq!(tel["membership_date_basis"], "contract_date");
        assert_eq!(tel["valid_today"], true);
    }
    let (_, body) = check_api(&app, "60000044", "2025-03-03").await;
    assert_eq!(body["query"], "60000044");
    assert_eq!(body["date"], "2025-03-03");
    let tel = &body["providers"][0]["schemes"][0];
    assert_eq!(tel["on_date"]["valid_from"], "2020-03-04");
    assert_eq!(tel["on_date"]["valid_until"], "2025-03-03");
    let ictw = &body["providers"][0]["schemes"][1];
    assert_eq!(ictw["membership_date_basis"], "request_date");
    assert_eq!(
        ictw["verdict"], "can_file",
        "ICTWaarborg looks at today, not the contract date"
    );
    assert_eq!(ictw["valid_on_date"], true);
    let (_, body) = check_api(&app, "60000044", "2024-02-28").await;
    assert_eq!(
        body["providers"][0]["schemes"][1]["valid_on_date"], false,
        "the day before a leap day"
    );

    // The page, in each language, on the last day and the day after.
    for (language, member, not_member, explanation, on_date, period) in [
        (
            "nl",
            "Aangesloten",
            "Niet aangesloten",
            "was op 3 maart 2025 aangesloten",
            "Op 3 maart 2025",
            "van 4 maart 2020 tot en met 3 maart 2025 (beëindigd)",
        ),
        (
            "en",
            "Affiliated",
            "Not affiliated",
            "was affiliated with De Geschillencommissie Telecommunicatie on 3 March 2025",
            "On 3 March 2025",
            "from 4 March 2020 up to and including 3 March 2025 (ended)",
        ),
        (
            "pl",
            "Zrzeszony",
            "Niezrzeszony",
            "w dniu 3 marca 2025",
            "W dniu 3 marca 2025",
            "od 4 marca 2020 do 3 marca 2025 włącznie (zakończony)",
        ),
    ] {
        let client = reqwest::Client::new();
        let page = |date: &'static str| {
            client
                .get(app.url("/aangesloten"))
                .header("accept-language", language)
                .query(&[("q", "Zoëtel"), ("date", date)])
                .send()
        };
        let html = page("3-3-2025").await.unwrap().text().await.unwrap();
        assert!(html.contains(&format!("<html lang=\"{language}\"")));
        let tel = html
            .split("aria-label=\"De Geschillencommissie Telecommunicatie\"")
            .nth(1)
            .unwrap();
        let tel = tel.split("</section>").next().unwrap();
        assert!(
            tel.contains(&format!("data-standing=\"date-member\">{member}<")),
            "{language}: {tel}"
        );
        assert!(tel.contains(explanation), "{language}: {tel}");
        assert!(tel.contains(&format!("<dt>{on_date}</dt>")), "{language}: {tel}");
        assert!(tel.contains(&format!("<li>{period}</li>")), "{language}: {tel}");
        assert!(
            tel.contains("href=\"/zaak-indienen\""),
            "{language}: a link to file a case"
        );
        let html = page("2025-03-04").await.unwrap().text().await.unwrap();
        let tel = html
            .split("aria-label=\"De Geschillencommissie Telecommunicatie\"")
            .nth(1)
            .unwrap();
        let tel = tel.split("</section>").next().unwrap();
        assert!(
            tel.contains(&format!("data-standing=\"date-not_member\">{not_member}<")),
            "{language}: {tel}"
        );
        assert!(
            !tel.contains("href=\"/zaak-indienen\""),
            "{language}: no link when not covered"
        );
    }
}

#[tokio::test]
async fn the_public_check_finds_providers_by_name_trade_name_or_kvk_whatever_the_case_accents_or_spaces() {
    let app = spawn_app().await;
    let seeded = seed_schemes(&app).await;
    let since = vec![(seeded.tel, d(2015, 1, 1), None, "certified")];
    seed_provider(
        &app,
        "60000011",
        "Glasvezel Noord B.V.",
        "NoordNet; Noord TV",
        since.clone(),
    )
    .await;
    seed_provider(&app, "60000044", "Zoëtel Mobiel B.V.", "Zoëtel", since.clone()).await;
    seed_provider(&app, "60000145", "Netwerkbeheer Oost B.V.", "NetOost", vec![]).await;
    let names = |body: &Value| -> Vec<String> {
        body["providers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["legal_name"].as_str().unwrap().to_owned())
            .collect()
    };
    for (query, expected) in [
        ("noordnet", vec!["Glasvezel Noord B.V."]),
        ("NOORD NET", vec!["Glasvezel Noord B.V."]),
        ("  glasv   noord ", vec!["Glasvezel Noord B.V."]),
        ("ZOETEL", vec!["Zoëtel Mobiel B.V."]),
        ("zoëtel mob", vec!["Zoëtel Mobiel B.V."]),
        ("6000 0011", vec!["Glasvezel Noord B.V."]),
        ("60.00.01.45", vec!["Netwerkbeheer Oost B.V."]),
        ("6000004", vec!["Zoëtel Mobiel B.V."]),
        (
            "b.v.",
            vec!["Glasvezel Noord B.V.", "Netwerkbeheer Oost B.V.", "Zoëtel Mobiel B.V."],
        ),
        ("net", vec!["Netwerkbeheer Oost B.V."]),
        ("noord", vec!["Glasvezel Noord B.V."]),
        ("noord oost", vec![]),
        ("vezel", vec![]),
    ] {
        let (status, body) = check_api(&app, query, "").await;
        assert_eq!(status, 200, "{query}");
        assert_eq!(names(&body), expected, "{query}");
    }
    let (_, body) = check_api(&app, "netoost", "").await;
    assert_eq!(
        body["providers"][0]["schemes"],
        Value::Array(vec![]),
        "known, but in no scheme"
    );
    let html = app.get_html("/aangesloten?q=netoost").await;
    assert!(html.contains("bij geen enkele regeling aangesloten"));
    let html = app.get_html("/aangesloten?q=bestaatniet").await;
    assert!(html.contains("We vonden geen aanbieder"));
}

#[tokio::test]
async fn nasty_input_to_the_public_check_never_causes_a_server_error() {
    let app = spawn_app().await;
    let seeded = seed_schemes(&app).await;
    seed_provider(
        &app,
        "60000011",
        "Glasvezel Noord B.V.",
        "NoordNet",
        vec![(seeded.tel, d(2015, 1, 1), None, "certified")],
    )
    .await;
    let long = "x".repeat(1000);
    let long_digits = "1".repeat(1000);
    let queries = [
        "",
        " ",
        long.as_str(),
        long_digits.as_str(),
        "' OR 1=1 --",
        "\"; DROP TABLE providers; --",
        "%",
        "_",
        "%%__%%",
        "\\",
        "🙂🙂",
        "noord 🙂",
        "\u{0}",
        "ǅ Ⅻ ﬁ",
        "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
        "9999999999",
    ];
    let dates = [
        "",
        "2025-03-03",
        "gisteren",
        "2025-02-30",
        "0000-00-00",
        "99999-01-01",
        "' OR 1=1",
        "🙂",
        long.as_str(),
    ];
    for q in queries {
        for date in dates {
            let page = app
                .client
                .get(app.url("/aangesloten"))
                .query(&[("q", q), ("date", date)])
                .send()
                .await
                .unwrap();
            assert!(
                page.status().as_u16() < 500,
                "page q={q:?} date={date:?}: {}",
                page.status()
            );
            let (status, _) = check_api(&app, q, date).await;
            assert!(status < 500, "api q={q:?} date={date:?}: {status}");
        }
    }
    // A wrong date: a message at the field, the typed text kept; the API answers with a problem document.
    let response = app.get("/aangesloten?q=noordnet&date=31-02-2025").await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("id=\"date-error\""));
    assert!(html.contains("Vul een bestaande datum in"));
    assert!(html.contains("value=\"31-02-2025\""));
    let response = app
        .client
        .get(app.url("/api/v1/registry/providers?q=noordnet&date=31-02-2025"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.headers()["content-type"], "application/problem+json");
    let response = app.get("/api/v1/registry/providers?q=").await;
    assert_eq!(response.status(), 400);
    // Malformed percent-encoding is read leniently, not failed on.
    assert!(app.get("/aangesloten?q=%FF%FE&date=%").await.status().as_u16() < 500);
}

#[tokio::test]
async fn the_secretariat_adds_and_edits_a_provider_and_its_memberships_with_every_change_in_the_history() {
    let app = spawn_app().await;
    let seeded = seed_schemes(&app).await;
    seed_provider(&app, "60000044", "Zoëtel Mobiel B.V.", "Zoëtel", vec![]).await;
    let (client, _) = signed_in(&app, "secretariaat@example.nl", Role::Secretariat).await;
    let csrf = csrf_of(&app, &client, "/secretariaat/aanbieders/nieuw").await;
    let post = |path: String, fields: Vec<(&'static str, String)>| {
        let mut fields = fields;
        fields.push(("csrf_token", csrf.clone()));
        client.post(app.url(&path)).form(&fields).send()
    };
    let provider_fields = |kvk: &str| {
        vec![
            ("kvk_number", kvk.to_owned()),
            ("legal_name", "Snelweb Internet B.V.".to_owned()),
            ("trade_names", "Snelweb".to_owned()),
            ("city", "Utrecht".to_owned()),
            ("website", "https://snelweb.example".to_owned()),
            ("complaint_email", "klachten@snelweb.example".to_owned()),
        ]
    };
    let bad = post("/secretariaat/aanbieders".into(), provider_fields("6000003"))
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.unwrap();
    assert!(html.contains("Een KvK-nummer bestaat uit 8 cijfers"));
    assert!(html.contains("value=\"6000003\""), "the typed number is kept");
    let taken = post("/secretariaat/aanbieders".into(), provider_fields("6000 0044"))
        .await
        .unwrap();
    assert_eq!(taken.status(), 422);
    assert!(
        taken
            .text()
            .await
            .unwrap()
            .contains("Er staat al een aanbieder met dit KvK-nummer")
    );
    let created = post("/secretariaat/aanbieders".into(), provider_fields("60.00.00.33"))
        .await
        .unwrap();
    assert_eq!(created.status(), 303);
    let provider_path = location(&created).split('?').next().unwrap().to_owned();
    let provider_id: i64 = provider_path.rsplit('/').next().unwrap().parse().unwrap();
    let html = client
        .get(app.url(&location(&created)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("60000033") && html.contains("De aanbieder is toegevoegd."));

    let mut edited = provider_fields("60000033");
    edited[3].1 = "Amersfoort".into();
    let saved = post(format!("{provider_path}/bewerken"), edited).await.unwrap();
    assert_eq!(saved.status(), 303);

    let membership = |from: &str, until: &str, status: &str| {
        vec![
            ("scheme_id", seeded.tel.to_string()),
            ("valid_from", from.to_owned()),
            ("valid_until", until.to_owned()),
            ("via", "trade_association".to_owned()),
            ("guarantor_id", seeded.guarantor.to_string()),
            ("status", status.to_owned()),
        ]
    };
    let added = post(
        format!("{provider_path}/lidmaatschappen"),
        membership("2025-04-01", "", "certified"),
    )
    .await
    .unwrap();
    assert_eq!(added.status(), 303);
    let overlapping = post(
        format!("{provider_path}/lidmaatschappen"),
        membership("1-1-2026", "", "certified"),
    )
    .await
    .unwrap();
    assert_eq!(overlapping.status(), 422);
    let html = overlapping.text().await.unwrap();
    assert!(html.contains("Deze periode overlapt een ander lidmaatschap"));
    assert!(html.contains("value=\"1-1-2026\""));

    let membership_id: i64 = app
        .with_db(move |conn| {
            memberships::table
                .filter(memberships::provider_id.eq(provider_id))
                .select(memberships::id)
                .first(conn)
                .unwrap()
        })
        .await;
    let end_path = format!("/secretariaat/lidmaatschappen/{membership_id}/bewerken");
    assert_eq!(client.get(app.url(&end_path)).send().await.unwrap().status(), 200);
    let no_end = post(end_path.clone(), membership("", "", "ended")).await.unwrap();
    assert_eq!(no_end.status(), 422);
    assert!(no_end.text().await.unwrap().contains("heeft een einddatum nodig"));
    let ended = post(end_path.clone(), membership("", "2025-12-31", "ended"))
        .await
        .unwrap();
    assert_eq!(ended.status(), 303);
    // Now the next day can start a new membership.
    let again = post(
        format!("{provider_path}/lidmaatschappen"),
        membership("2026-01-01", "", "certified"),
    )
    .await
    .unwrap();
    assert_eq!(again.status(), 303);

    let html = client
        .get(app.url(&provider_path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "Aanbieder toegevoegd",
        "Gegevens gewijzigd: city",
        "Lidmaatschap toegevoegd",
        "Lidmaatschap gewijzigd: valid_until, status",
    ] {
        assert!(html.contains(line), "history has {line:?}");
    }
    assert!(html.contains("Test Gebruiker"), "the history names who changed it");
    let (_, body) = check_api(&app, "snelweb", "2025-12-31").await;
    assert_eq!(body["providers"][0]["schemes"][0]["valid_on_date"], true);
    let (_, body) = check_api(&app, "snelweb", "2025-03-31").await;
    assert_eq!(body["providers"][0]["schemes"][0]["valid_on_date"], false);
    let html = client
        .get(app.url("/secretariaat/aanbieders?q=amersf"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Snelweb Internet"), "the city is not a search term");
}

#[tokio::test]
async fn the_provider_list_pages_by_name_with_a_cursor() {
    let app = spawn_app().await;
    app.with_db(|conn| {
        let now = Utc::now().naive_utc();
        for i in 0..120 {
            // Some names repeat, so the id breaks ties.
            let name = format!("Aanbieder {:03} B.V.", i / 2);
            let kvk = format!("7{:07}", i);
            registry::create_provider(
                conn,
                NewProvider {
                    kvk_number: &kvk,
                    legal_name: &name,
                    trade_names: "",
                    street: "",
                    postcode: "",
                    city: "",
                    website: "",
                    complaint_email: "",
                },
                now,
            )
            .unwrap();
        }
    })
    .await;
    let (client, _) = signed_in(&app, "secretariaat@example.nl", Role::Secretariat).await;
    let mut path = "/secretariaat/aanbieders".to_owned();
    let mut seen = Vec::new();
    for _ in 0..5 {
        let html = client.get(app.url(&path)).send().await.unwrap().text().await.unwrap();
        let kvks: Vec<String> = html
            .split("<td>7")
            .skip(1)
            .map(|rest| format!("7{}", &rest[..7]))
            .collect();
        seen.extend(kvks);
        // The link to the next page (handlebars writes "=" as "&#x3D;" in attributes).
        match html
            .split("\" rel=\"next\"")
            .next()
            .filter(|_| html.contains("rel=\"next\""))
        {
            Some(before) => path = before.rsplit("href=\"").next().unwrap().replace("&#x3D;", "="),
            None => break,
        }
    }
    let expected: Vec<String> = (0..120).map(|i| format!("7{:07}", i)).collect();
    assert_eq!(seen, expected, "every provider once, in name order, over three pages");
}

#[tokio::test]
async fn the_search_uses_its_index_and_stays_fast_with_100000_providers() {
    let app = spawn_app().await;
    let postgres = std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty());
    app.with_db(move |conn| {
        // 100,000 providers with three terms each, written in bulk by SQL.
        let statements: &[&str] = if postgres {
            &[
                "INSERT INTO providers (kvk_number, legal_name, trade_names, search_text, status, created_at, updated_at) \
                 SELECT lpad(g::text, 8, '0'), 'Bulk ' || g || ' B.V.', '', 'bulk ' || g, 'active', now(), now() FROM generate_series(1, 100000) g",
                "INSERT INTO provider_search_terms (term, provider_id) SELECT 'bulk', id FROM providers",
                "INSERT INTO provider_search_terms (term, provider_id) SELECT 'bv', id FROM providers",
                "INSERT INTO provider_search_terms (term, provider_id) SELECT 'n' || id::text, id FROM providers",
                "ANALYZE",
            ]
        } else {
            &[
                "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < 100000) \
                 INSERT INTO providers (kvk_number, legal_name, trade_names, search_text, status, created_at, updated_at) \
                 SELECT printf('%08d', n), 'Bulk ' || n || ' B.V.', '', 'bulk ' || n, 'active', datetime('now'), datetime('now') FROM g",
                "INSERT INTO provider_search_terms (term, provider_id) SELECT 'bulk', id FROM providers",
                "INSERT INTO provider_search_terms (term, provider_id) SELECT 'bv', id FROM providers",
                "INSERT INTO provider_search_terms (term, provider_id) SELECT 'n' || id, id FROM providers",
                "ANALYZE",
            ]
        };
        for statement in statements {
            diesel::sql_query(*statement).execute(conn).unwrap();
        }
        let now = Utc::now().naive_utc();
        registry::create_provider(
            conn,
            NewProvider {
                kvk_number: "60000011",
                legal_name: "Glasvezel Noord B.V.",
                trade_names: "NoordNet",
                street: "",
                postcode: "",
                city: "",
                website: "",
                complaint_email: "",
            },
            now,
        )
        .unwrap();

        for (query, expected) in [("noordn", 1), ("glasvezel bv", 1), ("n99999", 1), ("bv", 21), ("00031337", 1)] {
            let started = std::time::Instant::now();
            let (found, more) = queries::search_providers(conn, &search::parse_query(query), 20).unwrap();
            let took = started.elapsed();
            assert_eq!(found.len() + usize::from(more), expected, "{query}");
            assert!(took < std::time::Duration::from_millis(500), "{query} took {took:?}");
        }

        // A page is the first 20 matches by name, whether a word is in every name (the providers
        // walked in name order), in 1,111 (just over the ids sorted in memory) or in 111 (those).
        #[derive(QueryableByName)]
        struct Id {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            id: i64,
        }
        for (term, upper) in [("bv", "bw"), ("n99", "n9:"), ("n999", "n99:")] {
            let first_by_name: Vec<i64> = diesel::sql_query(format!(
                "SELECT p.id FROM providers p WHERE EXISTS (SELECT 1 FROM provider_search_terms t \
                 WHERE t.provider_id = p.id AND t.term >= '{term}' AND t.term < '{upper}') \
                 ORDER BY p.legal_name, p.id LIMIT 20"
            ))
            .load::<Id>(conn)
            .unwrap()
            .into_iter()
            .map(|row| row.id)
            .collect();
            let (found, more) = queries::search_providers(conn, &search::parse_query(term), 20).unwrap();
            assert_eq!(found.iter().map(|p| p.id).collect::<Vec<_>>(), first_by_name, "{term}");
            assert!(more, "{term}");
        }

        // The plan of the word query reads a range of the primary key, not the table.
        let range = "term >= 'noordn' AND term < 'noordo'";
        let plan: Vec<String> = if postgres {
            #[derive(QueryableByName)]
            struct PgPlan {
                #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
                plan: String,
            }
            diesel::sql_query(format!(
                "EXPLAIN SELECT DISTINCT provider_id FROM provider_search_terms WHERE {range} LIMIT 21"
            ))
            .load::<PgPlan>(conn)
            .unwrap()
            .into_iter()
            .map(|r| r.plan)
            .collect()
        } else {
            #[derive(QueryableByName)]
            struct SqlitePlan {
                #[diesel(sql_type = diesel::sql_types::Text)]
                detail: String,
            }
            diesel::sql_query(format!(
                "EXPLAIN QUERY PLAN SELECT DISTINCT provider_id FROM provider_search_terms WHERE {range} LIMIT 21"
            ))
            .load::<SqlitePlan>(conn)
            .unwrap()
            .into_iter()
            .map(|r| r.detail)
            .collect()
        };
        let plan = plan.join("\n");
        if postgres {
            assert!(plan.contains("Index") && !plan.contains("Seq Scan"), "{plan}");
        } else {
            assert!(plan.contains("SEARCH provider_search_terms USING"), "{plan}");
        }
    })
    .await;
}

#[tokio::test]
async fn the_public_check_is_kept_until_the_registry_changes_and_then_shows_the_change_at_once() {
    let app = spawn_app().await;
    let seeded = seed_schemes(&app).await;
    let first = seed_provider(
        &app,
        "60000044",
        "Zoëtel Mobiel B.V.",
        "Zoëtel",
        vec![(seeded.tel, d(2020, 3, 4), None, "certified")],
    )
    .await;
    let answer = |date: &'static str| {
        let app = &app;
        async move {
            let (status, body) = check_api(app, "zoetel", date).await;
            assert_eq!(status, 200);
            body
        }
    };
    let names = |body: &Value| -> Vec<String> {
        body["providers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["legal_name"].as_str().unwrap().to_owned())
            .collect()
    };
    let body = answer("").await;
    assert_eq!(names(&body), ["Zoëtel Mobiel B.V."]);
    assert_eq!(body["providers"][0]["schemes"][0]["valid_today"], true);
    // Asked again, from the node's kept reads: the same answer, and a contract date is still
    // answered for the day asked.
    assert_eq!(answer("").await, body);
    assert_eq!(
        answer("2020-03-03").await["providers"][0]["schemes"][0]["valid_on_date"],
        false
    );
    assert_eq!(
        answer("2020-03-04").await["providers"][0]["schemes"][0]["valid_on_date"],
        true
    );

    // A membership ended, a provider added, a scheme renamed: each shows at the next check.
    app.with_db(move |conn| {
        diesel::update(memberships::table.filter(memberships::provider_id.eq(first)))
            .set((
                memberships::valid_until.eq(Some(d(2024, 12, 31))),
                memberships::status.eq("ended"),
            ))
            .execute(conn)
            .unwrap();
    })
    .await;
    let body = answer("").await;
    assert_eq!(body["providers"][0]["schemes"][0]["valid_today"], false, "{body}");
    seed_provider(&app, "60000045", "Zoëtel Extra B.V.", "", vec![]).await;
    assert_eq!(names(&answer("").await), ["Zoëtel Extra B.V.", "Zoëtel Mobiel B.V."]);
    app.with_db(|conn| {
        diesel::sql_query("UPDATE schemes SET name = 'De Geschillencommissie Telecom' WHERE code = 'TEL'")
            .execute(conn)
            .unwrap();
    })
    .await;
    let body = answer("").await;
    assert_eq!(
        body["providers"][1]["schemes"][0]["name"], "De Geschillencommissie Telecom",
        "{body}"
    );
}

#[tokio::test]
async fn a_scheme_added_while_the_list_is_kept_is_found_by_its_code_at_once() {
    let app = spawn_app().await;
    seed_schemes(&app).await;
    let page = |path: &'static str| {
        let app = &app;
        async move {
            let response = app.get(path).await;
            assert_eq!(response.status(), 200, "{path}");
            response.text().await.unwrap()
        }
    };
    // The register's filter and the statistics page list the schemes (and keep the list).
    assert!(
        page("/uitspraken")
            .await
            .contains(">De Geschillencommissie ICT</option>")
    );
    assert!(!page("/statistieken").await.contains("Energie"));

    app.with_db(|conn| {
        let now = Utc::now().naive_utc();
        registry::create_scheme(
            conn,
            NewScheme {
                code: "NRG",
                name: "De Geschillencommissie Energie",
                languages: "nl",
                reference_prefix: "NRG",
            },
            &SchemeRules::commission_defaults(),
            d(2000, 1, 1),
            now,
        )
        .unwrap();
    })
    .await;

    // Asked for by its code, the new scheme is found although the kept list is older than it,
    // and from then on the lists show it.
    let chosen = page("/statistieken?scheme=NRG").await;
    assert!(chosen.contains(r#"<option value="NRG" selected>De Geschillencommissie Energie</option>"#));
    assert!(
        page("/uitspraken")
            .await
            .contains(">De Geschillencommissie Energie</option>")
    );
    // A code that no scheme has is still no scheme.
    assert!(!page("/statistieken?scheme=XYZ").await.contains(" selected>"));
}

#[tokio::test]
async fn the_check_reads_each_schemes_rules_in_force_on_the_day_in_one_query() {
    let app = spawn_app().await;
    let seeded = seed_schemes(&app).await;
    let tel = seeded.tel;
    let facts = app
        .with_db(move |conn| {
            let mut rules = SchemeRules::commission_defaults();
            rules.membership_date_basis = registry::rules::MembershipDateBasis::RequestDate;
            let now = Utc::now().naive_utc();
            registry::add_rules_version(conn, tel, &rules, d(2026, 5, 1), None, now).unwrap();
            [d(1999, 12, 31), d(2026, 4, 30), d(2026, 5, 1)].map(|day| {
                queries::scheme_facts(conn, day)
                    .unwrap()
                    .into_values()
                    .map(|f| (f.scheme.code, f.basis.as_str()))
                    .collect::<Vec<_>>()
            })
        })
        .await;
    let expect = |tel: &'static str, ictw: &'static str| {
        vec![
            ("TEL".to_owned(), tel),
            ("ICT".to_owned(), "contract_date"),
            ("ICTW".to_owned(), ictw),
        ]
    };
    assert_eq!(
        facts[0],
        expect("contract_date", "contract_date"),
        "before any rules: the contract date"
    );
    assert_eq!(
        facts[1],
        expect("contract_date", "request_date"),
        "the day before the new version"
    );
    assert_eq!(
        facts[2],
        expect("request_date", "request_date"),
        "the new version's first day"
    );
}
