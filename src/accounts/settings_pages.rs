//! A signed-in user's own settings: language and notifications, password, e-mail address
//! (re-confirmed before it takes effect) and signing out everywhere.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

use super::identity::{CurrentUser, SESSION_COOKIE, SignedIn, removal_cookie};
use super::password::{self, Verification};
use crate::i18n::Language;
use crate::web::error::{AppError, AppResult};
use crate::web::form::{FieldErrors, language_options};
use crate::web::page::{CsrfForm, EmptyForm, LANGUAGE_COOKIE, PageContext, see_other};

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(settings_page)
        .service(save_preferences)
        .service(change_password)
        .service(change_email)
        .service(sign_out_everywhere);
}

/// Notices a redirect may ask the settings page to show (never free text from the URL).
const NOTICES: [&str; 3] = [
    "notice-preferences-saved",
    "notice-password-changed",
    "notice-email-sent",
];

#[derive(Deserialize)]
pub struct NoticeQuery {
    notice: Option<String>,
}

fn render(
    page: &PageContext,
    signed_in: &SignedIn,
    notice: Option<&str>,
    errors: &FieldErrors,
    values: Value,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let language = Language::from_code(&signed_in.user.language).unwrap_or_default();
    page.render_with_status(
        status,
        "pages/settings",
        json!({
            "notice": notice.filter(|n| NOTICES.contains(n)),
            "errors": errors.to_json(),
            "values": values,
            "language_options": language_options(language),
            "notify_by_email": signed_in.user.notify_by_email,
        }),
    )
}

#[get("/settings")]
async fn settings_page(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    query: web::Query<NoticeQuery>,
) -> AppResult<HttpResponse> {
    render(
        &page,
        &signed_in,
        query.notice.as_deref(),
        &FieldErrors::new(),
        json!({ "new_email": "" }),
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct PreferencesForm {
    #[serde(default)]
    language: String,
    notify_by_email: Option<String>,
}

#[post("/settings/preferences")]
async fn save_preferences(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    CsrfForm(form): CsrfForm<PreferencesForm>,
) -> AppResult<HttpResponse> {
    let language =
        Language::from_code(&form.language).ok_or_else(|| AppError::BadRequest("unknown language".into()))?;
    let notify = form.notify_by_email.is_some();
    let user_id = signed_in.user.id;
    let now = Utc::now().naive_utc();
    page.data()
        .db
        .run(move |conn| -> Result<_, AppError> {
            Ok(super::set_preferences(conn, user_id, language.code(), notify, now)?)
        })
        .await?;
    // The saved setting should show at once, so drop an earlier explicit choice of language.
    let mut response = see_other("/settings?notice=notice-preferences-saved");
    response
        .add_cookie(&removal_cookie(LANGUAGE_COOKIE))
        .map_err(AppError::internal)?;
    Ok(response)
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_repeat: String,
}

#[post("/settings/password")]
async fn change_password(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> AppResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    if let Err(problem) = password::check_new_password(&form.password, &signed_in.user.email) {
        errors.add("password", problem.message_key());
    }
    if form.password != form.password_repeat {
        errors.add("password_repeat", "password-mismatch");
    }
    let (user_id, session_id, stored) = (
        signed_in.user.id,
        signed_in.session_id.clone(),
        signed_in.user.password_hash.clone(),
    );
    let (current, new_password) = (form.current_password, form.password);
    let valid_input = errors.is_empty();
    let now = Utc::now().naive_utc();
    let current_ok = password::verify(Some(stored), current).await != Verification::Invalid;
    if current_ok && valid_input {
        let hash = password::hash(new_password).await;
        page.data()
            .db
            .run(move |conn| -> Result<(), AppError> {
                crate::db::write_transaction(conn, |conn| -> Result<(), AppError> {
                    super::update_password_hash(conn, user_id, &hash, now)?;
                    super::revoke_other_sessions(conn, user_id, &session_id, now)?;
                    Ok(())
                })
            })
            .await?;
    }
    if !current_ok {
        errors.add("current_password", "password-current-wrong");
    }
    if !errors.is_empty() {
        return render(
            &page,
            &signed_in,
            None,
            &errors,
            json!({ "new_email": "" }),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    tracing::info!(user_id, "password changed; other sessions ended");
    Ok(see_other("/settings?notice=notice-password-changed"))
}

#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    new_email: String,
    #[serde(default)]
    email_password: String,
}

#[post("/settings/email")]
async fn change_email(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> AppResult<HttpResponse> {
    let mut errors = FieldErrors::new();
    let new_email = super::normalise_email(&form.new_email);
    match &new_email {
        None => errors.add("new_email", "email-invalid"),
        Some(email) if *email == signed_in.user.email => errors.add("new_email", "email-unchanged"),
        Some(_) => {}
    }
    let state = page.data();
    let user = signed_in.user.clone();
    let password_given = form.email_password.clone();
    let can_send = errors.is_empty();
    let now = Utc::now().naive_utc();
    let password_ok = state
        .db
        .run({
            let state = state.clone();
            move |conn| -> Result<bool, AppError> {
                if password::verify_password(Some(&user.password_hash), &password_given) == Verification::Invalid {
                    return Ok(false);
                }
                if let (true, Some(email)) = (can_send, new_email) {
                    // The link goes to the new address; the change happens when it is followed.
                    // If the address belongs to someone else, the confirmation will refuse it.
                    let language = Language::from_code(&user.language).unwrap_or_default();
                    super::registration::send_confirmation(
                        conn,
                        &state,
                        user.id,
                        &user.display_name,
                        &email,
                        language,
                        now,
                    )?;
                }
                Ok(true)
            }
        })
        .await?;
    if !password_ok {
        errors.add("email_password", "password-current-wrong");
    }
    if !errors.is_empty() {
        return render(
            &page,
            &signed_in,
            None,
            &errors,
            json!({ "new_email": form.new_email }),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    Ok(see_other("/settings?notice=notice-email-sent"))
}

#[post("/settings/sign-out-everywhere")]
async fn sign_out_everywhere(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    let user_id = signed_in.user.id;
    let now = Utc::now().naive_utc();
    page.data()
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(super::revoke_all_sessions(conn, user_id, now)?) })
        .await?;
    let mut response = see_other("/login?notice=notice-signed-out-everywhere");
    response
        .add_cookie(&removal_cookie(SESSION_COOKIE))
        .map_err(AppError::internal)?;
    Ok(response)
}
