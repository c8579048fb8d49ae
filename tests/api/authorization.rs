//! The authorization matrix over HTTP: every role against every kind of case resource (the case, messages
//! and documents of each visibility, offers, draft and issued rulings), on the pages and on the JSON API.
//! Without the right the answer is 404 (a refusal looks like absence); messages have no address of their
//! own, so for them the matrix checks what the case page and the API case file show. The expected answers
//! are written out below, apart from `policy.rs`, whose unit matrix states the same table.

use diesel::prelude::*;
use geschillenportaal::db::schema::{documents, rulings, users};
use serde_json::Value;

use crate::helpers::*;

const VISIBILITIES: [&str; 4] = [
    "everyone",
    "mediator_only",
    "consumer_and_mediator",
    "provider_and_mediator",
];

/// May `who` see a resource with this visibility (`case`, a message/document visibility, `draft_ruling`,
/// `issued_ruling`)?
fn expected(who: &str, resource: &str) -> bool {
    match who {
        OTHER_CONSUMER | OTHER_STAFF | OTHER_MEDIATOR => false,
        SECRETARIAT | MEDIATOR => true,
        CONSUMER => !matches!(resource, "mediator_only" | "provider_and_mediator" | "draft_ruling"),
        STAFF => !matches!(resource, "mediator_only" | "consumer_and_mediator" | "draft_ruling"),
        _ => unreachable!("{who}"),
    }
}

fn status_for(visible: bool) -> u16 {
    if visible { 200 } else { 404 }
}

#[tokio::test]
async fn every_role_gets_exactly_the_case_resources_it_may_see_and_404_for_the_rest_on_pages_and_api() {
    let app = spawn_app().await;
    let case_id = app.seed_case().await.case_id;
    let secretariat = app.client_for(SECRETARIAT).await;

    // One message and one document of every visibility, posted by the secretariat.
    for visibility in VISIBILITIES {
        let body = format!("Bericht-{visibility}");
        let response = app
            .post_as(
                &secretariat,
                &format!("/zaken/{case_id}/berichten"),
                &[("body", &body), ("visibility", visibility)],
            )
            .await;
        assert_eq!(response.status(), 303, "{visibility}");
        let csrf = extract_csrf(&app.page_as(&secretariat, &format!("/zaken/{case_id}")).await.1);
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", csrf)
            .text("kind", "correspondence")
            .text("visibility", visibility)
            .part(
                "file",
                reqwest::multipart::Part::bytes(b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec())
                    .file_name(format!("{visibility}.pdf")),
            );
        let response = secretariat
            .post(app.url(&format!("/zaken/{case_id}/documenten")))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{visibility}");
    }
    // A draft and an issued ruling of the assigned mediator.
    let (draft, issued) = app
        .with_db(move |c| {
            let mediator: i64 = users::table
                .filter(users::email.eq(MEDIATOR))
                .select(users::id)
                .first(c)
                .unwrap();
            let now = chrono::Utc::now().naive_utc();
            let mut ruling = |status: &str| -> i64 {
                diesel::insert_into(rulings::table)
                    .values((
                        rulings::case_id.eq(case_id),
                        rulings::status.eq(status),
                        rulings::outcome.eq("upheld"),
                        rulings::reasoning.eq(format!("Overwegingen-{status}")),
                        rulings::summary.eq(format!("Samenvatting-{status}")),
                        rulings::language.eq("nl"),
                        rulings::deposit_decision.eq("none"),
                        rulings::drafted_by.eq(mediator),
                        rulings::issued_by.eq((status == "issued").then_some(mediator)),
                        rulings::issued_at.eq((status == "issued").then_some(now)),
                        rulings::created_at.eq(now),
                        rulings::updated_at.eq(now),
                    ))
                    .returning(rulings::id)
                    .get_result(c)
                    .unwrap()
            };
            let rulings = (ruling("draft"), ruling("issued"));
            // As issuing a ruling does: the case's figures are derived again.
            geschillenportaal::statistics::aggregates::mark(c, case_id, now).unwrap();
            rulings
        })
        .await;
    let document_ids: Vec<(i64, String)> = app
        .with_db(move |c| {
            documents::table
                .filter(documents::case_id.eq(case_id))
                .select((documents::id, documents::visibility))
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(document_ids.len(), 4);

    for who in [
        CONSUMER,
        OTHER_CONSUMER,
        STAFF,
        OTHER_STAFF,
        MEDIATOR,
        OTHER_MEDIATOR,
        SECRETARIAT,
    ] {
        let client = app.client_for(who).await;
        let sees_case = expected(who, "case");
        let (status, page) = app.page_as(&client, &format!("/zaken/{case_id}")).await;
        assert_eq!(status, status_for(sees_case), "{who}: case page");
        for visibility in VISIBILITIES {
            assert_eq!(
                page.contains(&format!("Bericht-{visibility}")),
                expected(who, visibility),
                "{who}: message {visibility} on the page"
            );
        }
        for (id, visibility) in &document_ids {
            let (status, _) = app.page_as(&client, &format!("/zaken/{case_id}/documenten/{id}")).await;
            assert_eq!(
                status,
                status_for(expected(who, visibility)),
                "{who}: document {visibility}"
            );
        }
        for (id, resource) in [(draft, "draft_ruling"), (issued, "issued_ruling")] {
            let (status, _) = app
                .page_as(&client, &format!("/zaken/{case_id}/uitspraak/{id}.html"))
                .await;
            assert_eq!(status, status_for(expected(who, resource)), "{who}: {resource}");
        }

        // The JSON API, for the roles that hold API tokens.
        if !matches!(who, STAFF | OTHER_STAFF | SECRETARIAT) {
            continue;
        }
        let token = app.api_token(&client, "read").await;
        let api = reqwest::Client::new();
        let get = |path: String| {
            let request = api.get(app.url(&path)).bearer_auth(&token);
            async move {
                let response = request.send().await.unwrap();
                let status = response.status().as_u16();
                (status, response.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let (status, file) = get(format!("/api/v1/cases/{case_id}")).await;
        assert_eq!(status, status_for(sees_case), "{who}: API case");
        let (status, _) = get(format!("/api/v1/cases/{case_id}/offers")).await;
        assert_eq!(status, status_for(sees_case), "{who}: API offers");
        if sees_case {
            let bodies: Vec<&str> = file["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["body"].as_str().unwrap())
                .collect();
            let listed: Vec<&str> = file["documents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["visibility"].as_str().unwrap())
                .collect();
            for visibility in VISIBILITIES {
                let visible = expected(who, visibility);
                assert_eq!(
                    bodies.contains(&format!("Bericht-{visibility}").as_str()),
                    visible,
                    "{who}: API message {visibility}"
                );
                assert_eq!(
                    listed.contains(&visibility),
                    visible,
                    "{who}: API document list {visibility}"
                );
            }
        }
        for (id, visibility) in &document_ids {
            let (status, _) = get(format!("/api/v1/cases/{case_id}/documents/{id}")).await;
            assert_eq!(
                status,
                status_for(expected(who, visibility)),
                "{who}: API document {visibility}"
            );
        }
    }
}
