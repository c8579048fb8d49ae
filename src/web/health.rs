//! `GET /healthz` (the process answers), `GET /readyz` (the database answers; 503 when
//! not). `/metrics` is served by the Prometheus middleware.

use actix_web::{HttpResponse, get, web};
use serde_json::json;

use crate::startup::AppState;

#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let db = state.db.clone();
    let backend = db.target().backend_name();
    match tokio::task::spawn_blocking(move || db.ping()).await {
        Ok(Ok(())) => HttpResponse::Ok().json(json!({ "status": "ready", "database": backend })),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness check: database unavailable");
            HttpResponse::ServiceUnavailable()
                .insert_header(("Retry-After", "5"))
                .json(json!({ "status": "unavailable", "database": backend }))
        }
        Err(_) => HttpResponse::ServiceUnavailable().json(json!({ "status": "unavailable", "database": backend })),
    }
}
