//! Consumers register themselves and confirm their e-mail address through a link.
//! The answer is the same whether or not the address already has an account; the
//! owner of an existing account gets an e-mail instead of a second account.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{NaiveDateTime, TimeDelta, Utc};
use serde::Deserialize;
use serde_json::json;

use super::rate_limit::{self, RetryAfter};
use super::tokens::{self, Purpose};
use super::{Role, password};
use crate::db::DbConnection;
use crate::i18n::Language;
use crate::jobs;
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::form::{FieldErrors, language_options};
use crate::web::page::{CsrfForm, PageContext, client_ip, see_other, url_escape};

pub const CONFIRMATION_HOURS: i64 = 48;

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(register_page)
        .service(register)
        .service(register_sent)
        .service(confirm_page)
        .service(confirm);
}

#[derive(Deserialize, Default)]
pub struct RegisterForm {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_repeat: String,
    #[serde(default)]
    language: String,
}

fn render_form(
    page: &PageContext,
    form: &RegisterForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let language = Language::from_code(&form.language).unwrap_or(page.language);
    page.render_with_status(
        status,
        "pages/register",
        json!({
            "values": { "display_name": form.display_name, "email": form.email },
            "errors": errors.to_json(),
            "language_options": language_options(language),
        }),
    )
}

#[get("/register")]
async fn register_page(page: PageContext) -> AppResult<HttpResponse> {
    if page.user().is_some() {
        return Ok(see_other("/dashboard"));
    }
    render_form(&page, &RegisterForm::default(), &FieldErrors::new(), StatusCode::OK)
}

/// Checks the form; returns the normalised address and language when it is valid.
fn validate(form: &RegisterForm) -> Result<(String, Language), FieldErrors> {
    let mut errors = FieldErrors::new();
    let name = form.display_name.trim();
    if name.is_empty() {
        errors.add("display_name", "field-required");
    } else if name.chars().count() > 120 {
        errors.add("display_name", "field-too-long");
    }
    let email = super::normalise_email(&form.email);
    if form.email.trim().is_empty() {
        errors.add("email", "field-required");
    } else if email.is_none() {
        errors.add("email", "email-invalid");
    }
    if let Err(problem) = password::check_new_password(&form.password, email.as_deref().unwrap_or_default()) {
        errors.add("password", problem.message_key());
    }
    if form.password != form.password_repeat {
        errors.add("password_repeat", "password-mismatch");
    }
    let language = Language::from_code(&form.language);
    if language.is_none() {
        errors.add("language", "field-required");
    }
    match (email, language) {
        (Some(email), Some(language)) if errors.is_empty() => Ok((email, language)),
        _ => Err(errors),
    }
}

#[post("/register")]
async fn register(
    req: HttpRequest,
    page: PageContext,
    CsrfForm(form): CsrfForm<RegisterForm>,
) -> AppResult<HttpResponse> {
    let (email, language) = match validate(&form) {
        Ok(valid) => valid,
        Err(errors) => return render_form(&page, &form, &errors, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let state = page.data();
    let address = client_ip(&req, &state.settings.trusted_proxies);
    let now = Utc::now().naive_utc();
    let name = form.display_name.trim().to_owned();
    let limited = state
        .db
        .run(move |conn| -> Result<Result<(), RetryAfter>, AppError> {
            Ok(rate_limit::hit(conn, rate_limit::REGISTER_PER_ADDRESS, &address, now)?)
        })
        .await?;
    if let Err(RetryAfter(seconds)) = limited {
        return Err(AppError::RateLimited {
            retry_after_seconds: seconds,
        });
    }
    // Hashed before looking the address up, so a new and an existing address take the same time.
    let hash = password::hash(form.password.clone()).await;
    state
        .db
        .run({
            let state = state.clone();
            move |conn| -> Result<(), AppError> {
                crate::db::write_transaction(conn, |conn| -> Result<(), AppError> {
                    match super::find_by_email(conn, &email)? {
                        Some(existing) => {
                            let language = Language::from_code(&existing.language).unwrap_or_default();
                            let mail = state.emails.render(
                                "account_exists",
                                language,
                                &existing.email,
                                json!({
                                    "name": existing.display_name,
                                    "login_link": state.link("/login"),
                                    "reset_link": state.link("/password/forgot"),
                                }),
                            )?;
                            jobs::enqueue_email(conn, &mail, now)?;
                        }
                        None => {
                            let user_id = super::insert_user(
                                conn,
                                &email,
                                &name,
                                &hash,
                                Role::Consumer,
                                None,
                                language.code(),
                                None,
                                now,
                            )
                            .map_err(|e| AppError::internal(e.to_string()))?;
                            send_confirmation(conn, &state, user_id, &name, &email, language, now)?;
                        }
                    }
                    Ok(())
                })
            }
        })
        .await?;
    Ok(see_other("/register/sent"))
}

/// Queues an e-mail with a confirmation link for `email` (a new account or a changed address).
pub fn send_confirmation(
    conn: &mut DbConnection,
    state: &AppState,
    user_id: i64,
    name: &str,
    email: &str,
    language: Language,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let token = state.keys.issue(
        Purpose::ConfirmEmail,
        user_id,
        &tokens::random_id(),
        Some(email),
        now,
        TimeDelta::hours(CONFIRMATION_HOURS),
    );
    let mail = state.emails.render(
        "confirm_email",
        language,
        email,
        json!({ "name": name, "link": state.link(&format!("/confirm-email?token={}", url_escape(&token))), "hours": CONFIRMATION_HOURS }),
    )?;
    jobs::enqueue_email(conn, &mail, now)?;
    Ok(())
}

#[get("/register/sent")]
async fn register_sent(page: PageContext) -> AppResult<HttpResponse> {
    page.render(
        "pages/notice",
        json!({ "heading": page.t("register-sent-title"), "message": page.t("register-sent-text"), "link_href": "/login", "link_text": page.t("nav-login") }),
    )
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

fn invalid_link(page: &PageContext) -> AppResult<HttpResponse> {
    page.render_with_status(
        StatusCode::BAD_REQUEST,
        "pages/notice",
        json!({ "heading": page.t("link-invalid-title"), "message": page.t("link-invalid-text"), "link_href": "/", "link_text": page.t("error-back-home") }),
    )
}

/// The link only shows a button: mail scanners that open links must not use the token up.
#[get("/confirm-email")]
async fn confirm_page(page: PageContext, query: web::Query<TokenQuery>) -> AppResult<HttpResponse> {
    let Ok(claims) = page
        .state()
        .keys
        .verify(Purpose::ConfirmEmail, &query.token, Utc::now().naive_utc())
    else {
        return invalid_link(&page);
    };
    page.render(
        "pages/confirm_email",
        json!({ "token": query.token, "email": claims.email.unwrap_or_default() }),
    )
}

#[post("/confirm-email")]
async fn confirm(page: PageContext, CsrfForm(form): CsrfForm<TokenQuery>) -> AppResult<HttpResponse> {
    let now = Utc::now().naive_utc();
    let Ok(claims) = page.state().keys.verify(Purpose::ConfirmEmail, &form.token, now) else {
        return invalid_link(&page);
    };
    let (Some(user_id), Some(email)) = (claims.user_id(), claims.email.clone()) else {
        return invalid_link(&page);
    };
    let jti = claims.jti.clone();
    let confirmed = page
        .state()
        .db
        .run(move |conn| -> Result<bool, AppError> {
            crate::db::write_transaction(conn, |conn| -> Result<bool, AppError> {
                let Some(user) = super::find_by_id(conn, user_id)? else {
                    return Ok(false);
                };
                if user.deactivated_at.is_some() || !super::use_token_once(conn, &jti, now)? {
                    return Ok(false);
                }
                // Another account took the address meanwhile: refuse rather than merge.
                if user.email != email && super::find_by_email(conn, &email)?.is_some() {
                    return Ok(false);
                }
                super::confirm_email(conn, user_id, &email, now)?;
                Ok(true)
            })
        })
        .await?;
    if !confirmed {
        return invalid_link(&page);
    }
    tracing::info!(user_id, "e-mail address confirmed");
    page.render(
        "pages/notice",
        json!({ "heading": page.t("confirmed-title"), "message": page.t("confirmed-text"), "link_href": "/dashboard", "link_text": page.t("nav-dashboard") }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(password: &str, repeat: &str) -> RegisterForm {
        RegisterForm {
            display_name: "Jan Jansen".into(),
            email: "Jan@Example.nl".into(),
            password: password.into(),
            password_repeat: repeat.into(),
            language: "nl".into(),
        }
    }

    #[test]
    fn a_valid_registration_normalises_the_address() {
        let (email, language) = validate(&form("paarse-olifant-fietst", "paarse-olifant-fietst")).unwrap();
        assert_eq!(email, "jan@example.nl");
        assert_eq!(language, Language::Nl);
    }

    #[test]
    fn every_problem_is_named_at_its_field() {
        let mut bad = form("kort", "anders");
        bad.display_name = "  ".into();
        bad.email = "geen-adres".into();
        let errors = validate(&bad).unwrap_err().to_json();
        assert_eq!(errors["display_name"], "field-required");
        assert_eq!(errors["email"], "email-invalid");
        assert_eq!(errors["password"], "password-too-short");
        assert_eq!(errors["password_repeat"], "password-mismatch");
    }
}
