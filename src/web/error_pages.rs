//! Turns error responses of pages into translated HTML pages (the API keeps its
//! problem documents), and a missing sign-in into a redirect to the sign-in page.

use actix_web::dev::ServiceResponse;
use actix_web::http::{StatusCode, header};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{FromRequest, HttpMessage, HttpResponse, web};
use serde_json::json;

use crate::accounts::identity::Identity;
use crate::startup::AppState;
use crate::web::error::AppError;
use crate::web::page::{PageContext, url_escape};

pub fn middleware<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(render)
}

fn render<B: 'static>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
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
    if req.app_data::<web::Data<AppState>>().is_none() {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let req = req.clone();
    // A server error or a refusal under load answers from what the request already knows: the
    // database may be what failed, or the caller may be flooding. Otherwise the caller is looked
    // up (one statement, as on every page), so a signed-in user keeps their menu and sign-out.
    let may_ask_database = !(status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS);
    Ok(ErrorHandlerResponse::Future(Box::pin(async move {
        let known = req.extensions().get::<Identity>().map(|i| i.0.clone());
        let identity = match known {
            Some(identity) => identity,
            None if may_ask_database => match Identity::extract(&req).await {
                Ok(Identity(identity)) => identity,
                Err(error) => {
                    tracing::warn!(%error, "the error page is shown without the caller's session");
                    None
                }
            },
            None => None,
        };
        let context = PageContext::with_identity(&req, identity);
        let title_key = AppError::title_key(status);
        let data = json!({
            "status": status.as_u16(),
            "title": context.t(title_key),
            "explanation": context.t(&format!("{title_key}-explanation")),
        });
        let mut page = context
            .render_with_status(status, "pages/error", data)
            .unwrap_or_else(|error| {
                tracing::error!(%error, "cannot render the error page");
                HttpResponse::build(status)
                    .content_type("text/html; charset=utf-8")
                    .body(format!(
                        "<!doctype html><title>{}</title><h1>{}</h1>",
                        status.as_u16(),
                        status.canonical_reason().unwrap_or("Error")
                    ))
            });
        if let Some(retry) = res.headers().get(header::RETRY_AFTER) {
            page.headers_mut().insert(header::RETRY_AFTER, retry.clone());
        }
        Ok(res.into_response(page).map_into_right_body())
    })))
}
