//! `GET /settings/mijn-gegevens.json`: the signed-in user's personal data export.

use actix_web::{HttpResponse, get, http::header};
use chrono::Utc;

use crate::accounts::identity::CurrentUser;
use crate::policy::Actor;
use crate::web::error::AppResult;
use crate::web::page::PageContext;

pub fn routes(config: &mut actix_web::web::ServiceConfig) {
    config.service(export);
}

#[get("/settings/mijn-gegevens.json")]
async fn export(CurrentUser(signed_in): CurrentUser, page: PageContext) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let now = Utc::now().naive_utc();
    let document = page
        .data()
        .db
        .run(move |conn| -> AppResult<_> { Ok(super::export(conn, &actor, now)?) })
        .await?;
    let body = serde_json::to_string_pretty(&document).map_err(crate::web::error::AppError::internal)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/json; charset=utf-8"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"mijn-gegevens-{}.json\"", now.format("%Y-%m-%d")),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}
