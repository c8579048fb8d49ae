//! Request-wide protections: security headers, the `Origin` check for cookie-authenticated
//! unsafe requests, and sending back a renewed session cookie.

use actix_web::ResponseError;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{DefaultHeaders, Next};
use actix_web::{HttpMessage, web};

use crate::accounts::identity::RenewedSessionCookie;
use crate::startup::AppState;
use crate::web::error::AppError;

pub fn headers(https: bool) -> DefaultHeaders {
    let mut headers = DefaultHeaders::new()
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        ))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Cross-Origin-Resource-Policy", "same-origin"));
    if https {
        headers = headers.add((header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains"));
    }
    headers
}

/// Refuses unsafe requests that a browser sent from another site. Requests without an
/// `Origin` (non-browser clients, API tokens) pass; forms still need their CSRF token. The refusal
/// is a response, not an error, so the error-page middleware around it turns it into the
/// translated page (a problem document on the API).
pub async fn origin_check(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && let Some(origin) = req.headers().get(header::ORIGIN).and_then(|o| o.to_str().ok()) {
        let state = req.app_data::<web::Data<AppState>>().expect("AppState is registered");
        if !same_origin(origin, state.settings.base_url()) {
            let refusal = AppError::Forbidden("origin").error_response();
            return Ok(req.into_response(refusal).map_into_right_body());
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

fn same_origin(origin: &str, base_url: &str) -> bool {
    let base_origin = base_url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    origin.eq_ignore_ascii_case(&base_origin)
}

pub async fn renew_session_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    let renewed = response.request().extensions().get::<RenewedSessionCookie>().cloned();
    if let Some(RenewedSessionCookie(cookie)) = renewed {
        // A handler that signed the user out has already set a removal cookie: keep that.
        let already_set = response.response().cookies().any(|c| c.name() == cookie.name());
        if !already_set {
            response.response_mut().add_cookie(&cookie)?;
        }
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_match_scheme_host_and_port() {
        assert!(same_origin("http://127.0.0.1:8080", "http://127.0.0.1:8080"));
        assert!(same_origin("https://portal.example.nl", "https://portal.example.nl/"));
        assert!(!same_origin("https://evil.example", "https://portal.example.nl"));
        assert!(!same_origin("http://portal.example.nl", "https://portal.example.nl"));
        assert!(!same_origin("http://127.0.0.1:8081", "http://127.0.0.1:8080"));
    }
}
