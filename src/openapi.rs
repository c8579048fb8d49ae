//! The OpenAPI document of the JSON API, generated from the handlers' `#[utoipa::path]`
//! annotations and the response types' `ToSchema` derives, served at
//! `/api/v1/openapi.json`, with a plain page listing the endpoints at `/api/v1/docs`
//! (no external assets). `docs/openapi.json` is a snapshot that a test compares with the
//! generated document; see docs/API.md for adding an endpoint.

use actix_web::{HttpResponse, get, web};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::accounts::identity::SESSION_COOKIE;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Geschillenportaal API",
        version = "1",
        description = "The JSON API of the dispute portal. Errors are application/problem+json (RFC 9457). \
                       Personal endpoints need `Authorization: Bearer <token>` (tokens under Settings → API tokens)."
    ),
    paths(
        crate::accounts::api_tokens::me,
        crate::registry::handlers::check_api,
        crate::publication::handlers::register_api,
        crate::publication::handlers::ruling_api,
        crate::cases::api::list,
        crate::cases::api::read,
        crate::cases::api::take_action,
        crate::cases::api::post_message,
        crate::cases::api::upload_document,
        crate::cases::api::download_document,
        crate::offers::handlers::api_list,
        crate::offers::handlers::api_make,
        crate::offers::handlers::api_answer,
        crate::compliance::handlers::api_report,
        crate::intake::api::check,
        crate::intake::api::create,
        crate::intake::api::read,
        crate::intake::api::replace,
        crate::intake::api::submit,
    ),
    modifiers(&BearerToken),
    tags(
        (name = "accounts", description = "The caller"),
        (name = "registry", description = "Which providers are affiliated with which scheme"),
        (name = "rulings", description = "The public register of published, anonymised rulings"),
        (name = "cases", description = "The caller's cases: read, take steps, post messages, add and fetch documents"),
        (name = "offers", description = "Settlement offers within a case"),
        (name = "compliance", description = "The provider's report that it complied with the outcome"),
        (name = "intake", description = "Filing a complaint: the eligibility check (public) and the consumer's drafts \
                                          (session cookie of a signed-in consumer, same origin only)"),
    )
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                SESSION_COOKIE,
                "The session cookie of a signed-in consumer (sign in through the web pages); requests from \
                 other origins are refused",
            ))),
        );
    }
}

/// The document as pretty JSON (what is served and what the snapshot holds).
pub fn document() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
}

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(openapi_json).service(docs_page);
}

#[get("/api/v1/openapi.json")]
async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().content_type("application/json").body(document())
}

/// A plain HTML list of the endpoints (the document is the reference; this is for people).
#[get("/api/v1/docs")]
async fn docs_page() -> HttpResponse {
    let api = ApiDoc::openapi();
    let escape = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut body = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Geschillenportaal API</title>\
         <link rel=\"stylesheet\" href=\"/static/portal.css\"></head><body><main class=\"wrap\">\
         <h1>Geschillenportaal API</h1><p>Machine-readable: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> (OpenAPI 3.1).</p>",
    );
    for (path, item) in &api.paths.paths {
        let operations = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in operations {
            if let Some(op) = operation {
                body.push_str(&format!(
                    "<h2><code>{method} {}</code></h2><p>{}</p>",
                    escape(path),
                    escape(op.summary.as_deref().unwrap_or_default())
                ));
                if let Some(description) = &op.description {
                    body.push_str(&format!("<p>{}</p>", escape(description)));
                }
                if let Some(parameters) = &op.parameters {
                    body.push_str("<ul>");
                    for p in parameters {
                        body.push_str(&format!(
                            "<li><code>{}</code>{}: {}</li>",
                            escape(&p.name),
                            if matches!(p.required, utoipa::openapi::Required::True) {
                                " (required)"
                            } else {
                                ""
                            },
                            escape(p.description.as_deref().unwrap_or_default())
                        ));
                    }
                    body.push_str("</ul>");
                }
            }
        }
    }
    body.push_str("</main></body></html>");
    HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body)
}
