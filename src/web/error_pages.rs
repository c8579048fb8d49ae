//! Turns error responses of pages into translated HTML pages (the API keeps its
//! problem documents), and a missing sign-in into a redirect to the sign-in page.

use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpMessage, HttpResponse, web};
use serde_json::json;

use crate::accounts::identity::Identity;
use crate::i18n;
use crate::startup::AppState;
use crate::web::error::AppError;
use crate::web::page::{page_language, url_escape};

pub fn middleware<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(render)
}

fn render<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let req = res.request();
    let path = req.path();
    if path.starts_with("/api/") || path == "/readyz" || path == "/metrics" {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    // A handler that rendered its own page (a form with its errors) keeps it.
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_html {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    if status == StatusCode::UNAUTHORIZED {
        let next = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        let location = format!("/login?next={}", url_escape(next));
        let redirect = HttpResponse::SeeOther()
            .insert_header((header::LOCATION, location))
            .finish();
        return Ok(ErrorHandlerResponse::Response(
            res.into_response(redirect).map_into_right_body(),
        ));
    }
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    };
    let identity = req.extensions().get::<Identity>().and_then(|i| i.0.clone());
    let language = page_language(req, identity.as_ref());
    let title_key = AppError::title_key(status);
    let data = json!({
        "lang": language.code(),
        "user": null,
        "csrf_token": "",
        "languages": [],
        "path": path,
        "status": status.as_u16(),
        "title": i18n::translate(language, title_key),
        "explanation": i18n::translate(language, &format!("{title_key}-explanation")),
    });
    let body = state.templates.render("pages/error", &data).unwrap_or_else(|error| {
        tracing::error!(%error, "cannot render the error page");
        format!(
            "<!doctype html><title>{}</title><h1>{}</h1>",
            status.as_u16(),
            status.canonical_reason().unwrap_or("Error")
        )
    });
    let mut page = HttpResponse::build(status);
    page.content_type("text/html; charset=utf-8");
    if let Some(retry) = res.headers().get(header::RETRY_AFTER) {
        page.insert_header((header::RETRY_AFTER, retry.clone()));
    }
    let page = page.body(body);
    Ok(ErrorHandlerResponse::Response(
        res.into_response(page).map_into_right_body(),
    ))
}
