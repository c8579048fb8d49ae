//! The home page, the language switch and the embedded static files.

use actix_web::cookie::{Cookie, SameSite, time::Duration};
use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use rust_embed::RustEmbed;
use serde::Deserialize;
use serde_json::json;

use crate::i18n::Language;
use crate::web::error::{AppError, AppResult};
use crate::web::page::{LANGUAGE_COOKIE, PageContext, safe_local_path};

#[derive(RustEmbed)]
#[folder = "templates/static/"]
struct StaticFiles;

#[get("/")]
pub async fn home(page: PageContext) -> AppResult<HttpResponse> {
    page.render("pages/home", json!({}))
}

#[derive(Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// Works without JavaScript: a plain link per language sets a cookie and returns.
#[get("/language/{code}")]
pub async fn switch_language(code: web::Path<String>, query: web::Query<Back>) -> AppResult<HttpResponse> {
    let language = Language::from_code(&code).ok_or(AppError::NotFound)?;
    let cookie = Cookie::build(LANGUAGE_COOKIE, language.code())
        .path("/")
        .same_site(SameSite::Lax)
        .max_age(Duration::days(365))
        .finish();
    Ok(HttpResponse::SeeOther()
        .cookie(cookie)
        .insert_header((header::LOCATION, safe_local_path(query.back.as_deref())))
        .finish())
}

#[get("/static/{file:.*}")]
pub async fn static_file(file: web::Path<String>) -> AppResult<HttpResponse> {
    let asset = StaticFiles::get(&file).ok_or(AppError::NotFound)?;
    let content_type = match file.rsplit('.').next() {
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("js") => "text/javascript; charset=utf-8",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(asset.data.into_owned()))
}

pub async fn not_found() -> AppResult<HttpResponse> {
    Err(AppError::NotFound)
}
