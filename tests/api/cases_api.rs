//! The JSON API for cases, as a provider's ticketing system and the secretariat's tools use it.

use serde_json::{Value, json};

use crate::helpers::*;

struct Api<'a> {
    app: &'a TestApp,
    http: reqwest::Client,
    token: String,
}

impl Api<'_> {
    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .http
            .get(self.app.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(self.app.url(path))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

async fn api_for<'a>(app: &'a TestApp, email: &str, scope: &str) -> Api<'a> {
    let client = app.client_for(email).await;
    let token = app.api_token(&client, scope).await;
    Api {
        app,
        http: reqwest::Client::new(),
        token,
    }
}

#[tokio::test]
async fn a_ticketing_system_follows_and_answers_its_providers_cases_through_the_api() {
    let app = spawn_app().await;
    let case_id = app.seed_case().await.case_id;
    let case = format!("/api/v1/cases/{case_id}");
    let staff = api_for(&app, STAFF, "write").await;
    let reader = api_for(&app, STAFF, "read").await;
    let stranger = api_for(&app, OTHER_STAFF, "write").await;
    let secretariat = api_for(&app, SECRETARIAT, "write").await;

    // Without a token: 401 as a problem document.
    let response = reqwest::get(app.url("/api/v1/cases")).await.unwrap();
    assert_eq!(response.status(), 401);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );

    // Each sees their own cases only; the provider never sees the consumer's e-mail address.
    let (status, page) = staff.get("/api/v1/cases").await;
    assert_eq!(status, 200);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["items"][0]["id"], case_id);
    assert_eq!(stranger.get("/api/v1/cases").await.1["items"], json!([]));
    assert_eq!(stranger.get(&case).await.0, 404);
    assert_eq!(staff.get("/api/v1/cases?after=garbage").await.0, 400);
    let (_, file) = staff.get(&case).await;
    assert_eq!(file["state"], "submitted");
    assert_eq!(file["consumer_email"], Value::Null);
    assert_eq!(file["who_acts"], "secretariat");
    let actions = file["actions"].as_array().unwrap();
    assert!(!actions.contains(&json!("accept_complete")), "not the provider's step");
    let (_, as_secretariat) = secretariat.get(&case).await;
    assert_eq!(as_secretariat["consumer_email"], CONSUMER);

    // The secretariat accepts the file; a step on a stale version is refused.
    let version = as_secretariat["version"].as_i64().unwrap();
    let (status, moved) = secretariat
        .post(
            &format!("{case}/actions"),
            json!({ "action": "accept_complete", "version": version }),
        )
        .await;
    assert_eq!((status, moved["state"].as_str()), (200, Some("awaiting_fee")));
    let (status, _) = secretariat
        .post(
            &format!("{case}/actions"),
            json!({ "action": "record_fee_paid", "version": version }),
        )
        .await;
    assert_eq!(status, 409, "stale version");
    let (status, _) = secretariat
        .post(
            &format!("{case}/actions"),
            json!({ "action": "record_fee_paid", "version": moved["version"] }),
        )
        .await;
    assert_eq!(status, 200);

    // The provider's system sees it must answer, and does, with a write token only.
    let (_, file) = staff.get(&case).await;
    assert_eq!(file["who_acts"], "provider");
    assert!(file["actions"].as_array().unwrap().contains(&json!("submit_defence")));
    let defence = json!({ "action": "submit_defence", "version": file["version"], "note": "De storing lag bij de netbeheerder." });
    assert_eq!(reader.post(&format!("{case}/actions"), defence.clone()).await.0, 403);
    assert_eq!(stranger.post(&format!("{case}/actions"), defence.clone()).await.0, 404);
    let (status, _) = staff
        .post(
            &format!("{case}/actions"),
            json!({ "action": "submit_defence", "version": file["version"] }),
        )
        .await;
    assert_eq!(status, 400, "a defence needs its text");
    let (status, moved) = staff.post(&format!("{case}/actions"), defence).await;
    assert_eq!((status, moved["state"].as_str()), (200, Some("awaiting_reply")));
    let (status, _) = staff
        .post(
            &format!("{case}/actions"),
            json!({ "action": "fly_to_the_moon", "version": moved["version"] }),
        )
        .await;
    assert_eq!(status, 400);

    // Messages: with a visibility the provider may choose, refused otherwise; bad JSON is a 400.
    let (status, posted) = staff
        .post(&format!("{case}/messages"), json!({ "body": "Alleen voor de bemiddelaar: wij bieden coulance.", "visibility": "provider_and_mediator" }))
        .await;
    assert_eq!((status, posted["held"].as_bool()), (201, Some(false)));
    let (status, _) = staff
        .post(
            &format!("{case}/messages"),
            json!({ "body": "x", "visibility": "consumer_and_mediator" }),
        )
        .await;
    assert_eq!(status, 400);
    let response = staff
        .http
        .post(app.url(&format!("{case}/messages")))
        .bearer_auth(&staff.token)
        .header("content-type", "application/json")
        .body("{\"body\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/problem+json")
    );
    let consumer = app.client_for(CONSUMER).await;
    let (_, page) = app.page_as(&consumer, &format!("/zaken/{case_id}")).await;
    assert!(
        page.contains("De storing lag bij de netbeheerder."),
        "the defence text is in the thread"
    );
    assert!(
        !page.contains("wij bieden coulance"),
        "the private part stays with provider and mediator"
    );
    let (_, file) = staff.get(&case).await;
    let bodies: Vec<&str> = file["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert!(bodies.contains(&"Alleen voor de bemiddelaar: wij bieden coulance."));

    // Documents: checked by content, read back only by those who may.
    let pdf = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n".to_vec();
    let upload = |bytes: Vec<u8>, name: &str| {
        let form = reqwest::multipart::Form::new().text("kind", "defence").part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
        staff
            .http
            .post(app.url(&format!("{case}/documents")))
            .bearer_auth(&staff.token)
            .multipart(form)
            .send()
    };
    let response = upload(pdf.clone(), "../verweer.pdf").await.unwrap();
    assert_eq!(response.status(), 201);
    let stored: Value = response.json().await.unwrap();
    assert_eq!(stored["file_name"], "verweer.pdf");
    assert_eq!(
        upload(b"MZ\x90\x00\x03\x00\x00\x00".to_vec(), "tool.exe")
            .await
            .unwrap()
            .status(),
        400
    );
    let download = format!("{case}/documents/{}", stored["id"]);
    let fetched = staff
        .http
        .get(app.url(&download))
        .bearer_auth(&staff.token)
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.status(), 200);
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), pdf);
    let refused = stranger
        .http
        .get(app.url(&download))
        .bearer_auth(&stranger.token)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);
    let (_, file) = staff.get(&case).await;
    assert_eq!(file["documents"][0]["sha256"], stored["sha256"]);
}
