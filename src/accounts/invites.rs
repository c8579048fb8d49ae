//! Invitations: the secretariat invites provider staff and mediators (an admin may also
//! invite admins and secretariat staff); an organisation's own admin invites colleagues.
//! The invited account exists from the start without a usable password; the single-use
//! link in the e-mail lets the invitee choose their name and password, which also
//! confirms their address.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use super::identity::{CurrentUser, session_cookie};
use super::tokens::{self, Purpose};
use super::{NewSession, Role, password};
use crate::db::DbConnection;
use crate::db::schema::{mediator_profiles, mediator_schemes, providers, users};
use crate::i18n::{self, Language};
use crate::jobs;
use crate::policy::{self, Actor};
use crate::registry;
use crate::web::error::{AppError, AppResult};
use crate::web::form::{FieldErrors, language_options};
use crate::web::page::{CsrfForm, PageContext, client_ip, see_other, url_escape};

pub const INVITE_DAYS: i64 = 7;
/// Stored instead of a hash until the invitee chooses a password: no password verifies against it.
const NO_PASSWORD_YET: &str = "!invited";
pub const PANEL_ROLES: [&str; 3] = ["chair", "trade_member", "consumer_member"];

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(invite_page)
        .service(invite)
        .service(accept_page)
        .service(accept);
}

/// The roles `actor` may invite, in the order the form lists them.
fn invitable_roles(actor: &Actor) -> Vec<Role> {
    [Role::ProviderStaff, Role::Mediator, Role::Secretariat, Role::Admin]
        .into_iter()
        .filter(|role| {
            policy::can_invite(
                actor,
                *role,
                if *role == Role::ProviderStaff {
                    actor.provider_id
                } else {
                    None
                },
            )
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct InviteForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    role: String,
    /// KvK number of the provider (provider staff invited by the secretariat).
    #[serde(default)]
    provider_kvk: String,
    org_admin: Option<String>,
    #[serde(default)]
    language: String,
    /// Mediators: the schemes (ids, comma-separated in the form as repeated fields) and their seat.
    #[serde(default)]
    panel_role: String,
    #[serde(default)]
    mediator_languages: String,
}

async fn render_form(
    page: &PageContext,
    actor: &Actor,
    form: &InviteForm,
    scheme_ids: &[i64],
    errors: &FieldErrors,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let schemes = page
        .data()
        .db
        .run(|conn| -> Result<_, AppError> { Ok(registry::all_schemes(conn)?) })
        .await?;
    let roles: Vec<Value> = invitable_roles(actor)
        .iter()
        .map(|r| json!({ "code": r.as_str(), "selected": r.as_str() == form.role }))
        .collect();
    let schemes: Vec<Value> = schemes
        .iter()
        .map(|s| json!({ "id": s.id, "name": s.name, "checked": scheme_ids.contains(&s.id) }))
        .collect();
    let panel_roles: Vec<Value> = PANEL_ROLES
        .iter()
        .map(|r| json!({ "code": r, "selected": *r == form.panel_role }))
        .collect();
    let language = Language::from_code(&form.language).unwrap_or(page.language);
    page.render_with_status(
        status,
        "pages/invite",
        json!({
            "values": { "email": form.email, "provider_kvk": form.provider_kvk, "org_admin": form.org_admin.is_some(), "mediator_languages": form.mediator_languages },
            "errors": errors.to_json(),
            "roles": roles,
            "schemes": schemes,
            "panel_roles": panel_roles,
            "language_options": language_options(language),
            "for_own_organisation": actor.role == Role::ProviderStaff,
        }),
    )
}

#[get("/invites/new")]
async fn invite_page(CurrentUser(signed_in): CurrentUser, page: PageContext) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    policy::ensure(!invitable_roles(&actor).is_empty())?;
    render_form(
        &page,
        &actor,
        &InviteForm::default(),
        &[],
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// What a valid invitation form says.
struct Invitation {
    email: String,
    role: Role,
    provider_id: Option<i64>,
    org_admin: bool,
    language: Language,
    scheme_ids: Vec<i64>,
    panel_role: String,
    mediator_languages: String,
}

#[post("/invites")]
async fn invite(CurrentUser(signed_in): CurrentUser, page: PageContext, body: web::Bytes) -> AppResult<HttpResponse> {
    // Repeated `scheme` fields need the pair list, so this form is read by hand after the CSRF check.
    let actor = Actor::from(&signed_in);
    let fields: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest("malformed form".into()))?;
    let submitted = fields
        .iter()
        .find(|(k, _)| k == "csrf_token")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    if !page.csrf_token_matches(submitted) {
        return Err(AppError::Forbidden("csrf"));
    }
    let form: InviteForm =
        serde_urlencoded::from_bytes(&body).map_err(|_| AppError::BadRequest("malformed form".into()))?;
    let scheme_ids: Vec<i64> = fields
        .iter()
        .filter(|(k, _)| k == "scheme")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    policy::ensure(!invitable_roles(&actor).is_empty())?;

    let mut errors = FieldErrors::new();
    let email = super::normalise_email(&form.email);
    if email.is_none() {
        errors.add("email", "email-invalid");
    }
    let role = form
        .role
        .parse::<Role>()
        .ok()
        .filter(|r| invitable_roles(&actor).contains(r));
    if role.is_none() {
        errors.add("role", "field-required");
    }
    let kvk = form
        .provider_kvk
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>();
    let needs_provider = role == Some(Role::ProviderStaff) && actor.role != Role::ProviderStaff;
    let provider_id = if actor.role == Role::ProviderStaff {
        actor.provider_id
    } else if needs_provider {
        let found = page
            .data()
            .db
            .run(move |conn| -> Result<Option<i64>, AppError> {
                Ok(providers::table
                    .filter(providers::kvk_number.eq(kvk))
                    .select(providers::id)
                    .first(conn)
                    .optional()?)
            })
            .await?;
        if found.is_none() {
            errors.add("provider_kvk", "invite-provider-unknown");
        }
        found
    } else {
        None
    };
    if role == Some(Role::Mediator) {
        if scheme_ids.is_empty() {
            errors.add("schemes", "invite-schemes-required");
        }
        if !PANEL_ROLES.contains(&form.panel_role.as_str()) {
            errors.add("panel_role", "field-required");
        }
    }
    let language = Language::from_code(&form.language).unwrap_or(page.language);
    if let (Some(role), true) = (role, errors.is_empty())
        && !policy::can_invite(&actor, role, provider_id)
    {
        return Err(AppError::NotFound);
    }
    let (Some(email), Some(role), true) = (email, role, errors.is_empty()) else {
        return render_form(
            &page,
            &actor,
            &form,
            &scheme_ids,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let invitation = Invitation {
        email,
        role,
        provider_id: if role == Role::ProviderStaff { provider_id } else { None },
        org_admin: role == Role::ProviderStaff && form.org_admin.is_some(),
        language,
        scheme_ids,
        panel_role: form.panel_role.clone(),
        mediator_languages: if form.mediator_languages.trim().is_empty() {
            language.code().to_owned()
        } else {
            form.mediator_languages.trim().to_lowercase()
        },
    };
    let state = page.data();
    let inviter = signed_in.user.display_name.clone();
    let inviter_id = signed_in.user.id;
    let now = Utc::now().naive_utc();
    let sent = state
        .db
        .run({
            let state = state.clone();
            move |conn| -> Result<bool, AppError> {
                crate::db::write_transaction(conn, |conn| {
                    send_invitation(conn, &state, &invitation, &inviter, inviter_id, now)
                })
            }
        })
        .await?;
    if !sent {
        let mut errors = FieldErrors::new();
        errors.add("email", "invite-already-active");
        return render_form(&page, &actor, &form, &[], &errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    page.render(
        "pages/notice",
        json!({ "heading": page.t("invite-sent-title"), "message": page.t("invite-sent-text"), "link_href": "/invites/new", "link_text": page.t("invite-another") }),
    )
}

/// Creates (or re-uses, for a repeated invitation) the account and queues the e-mail.
/// `false` when the address already has an active account.
fn send_invitation(
    conn: &mut DbConnection,
    state: &crate::startup::AppState,
    invitation: &Invitation,
    inviter: &str,
    inviter_id: i64,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let user_id = match super::find_by_email(conn, &invitation.email)? {
        Some(existing) if existing.password_hash != NO_PASSWORD_YET => return Ok(false),
        Some(existing) => existing.id,
        None => super::insert_user(
            conn,
            &invitation.email,
            "",
            NO_PASSWORD_YET,
            invitation.role,
            invitation.provider_id,
            invitation.language.code(),
            None,
            now,
        )
        .map_err(|e| AppError::internal(e.to_string()))?,
    };
    diesel::update(users::table.find(user_id))
        .set((
            users::role.eq(invitation.role.as_str()),
            users::provider_id.eq(invitation.provider_id),
            users::is_org_admin.eq(invitation.org_admin),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    if invitation.role == Role::Mediator {
        diesel::delete(mediator_profiles::table.find(user_id)).execute(conn)?;
        diesel::insert_into(mediator_profiles::table)
            .values((
                mediator_profiles::user_id.eq(user_id),
                mediator_profiles::panel_role.eq(&invitation.panel_role),
                mediator_profiles::languages.eq(&invitation.mediator_languages),
            ))
            .execute(conn)?;
        diesel::delete(mediator_schemes::table.filter(mediator_schemes::user_id.eq(user_id))).execute(conn)?;
        for scheme_id in &invitation.scheme_ids {
            diesel::insert_into(mediator_schemes::table)
                .values((
                    mediator_schemes::user_id.eq(user_id),
                    mediator_schemes::scheme_id.eq(scheme_id),
                ))
                .execute(conn)?;
        }
    }
    let organisation = match invitation.provider_id {
        Some(id) => providers::table
            .find(id)
            .select(providers::legal_name)
            .first::<String>(conn)?,
        None => "none".to_owned(),
    };
    let token = state.keys.issue(
        Purpose::Invite,
        user_id,
        &tokens::random_id(),
        Some(&invitation.email),
        now,
        TimeDelta::days(INVITE_DAYS),
    );
    let role_name = i18n::translate(invitation.language, &format!("role-{}", invitation.role.as_str())).to_lowercase();
    let mail = state.emails.render(
        "invite",
        invitation.language,
        &invitation.email,
        json!({
            "inviter": inviter,
            "role": role_name,
            "organisation": organisation,
            "link": state.link(&format!("/invite?token={}", url_escape(&token))),
            "days": INVITE_DAYS,
        }),
    )?;
    jobs::enqueue_email(conn, &mail, now)?;
    crate::audit::record(
        conn,
        Some(inviter_id),
        "user",
        user_id,
        "invited",
        json!({ "role": invitation.role.as_str(), "provider_id": invitation.provider_id }),
        now,
    )?;
    Ok(true)
}

#[derive(Deserialize, Default)]
pub struct AcceptForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_repeat: String,
}

fn invalid_link(page: &PageContext) -> AppResult<HttpResponse> {
    page.render_with_status(
        StatusCode::BAD_REQUEST,
        "pages/notice",
        json!({ "heading": page.t("link-invalid-title"), "message": page.t("invite-link-invalid-text"), "link_href": "/", "link_text": page.t("error-back-home") }),
    )
}

#[get("/invite")]
async fn accept_page(page: PageContext, query: web::Query<AcceptForm>) -> AppResult<HttpResponse> {
    let Ok(claims) = page
        .state()
        .keys
        .verify(Purpose::Invite, &query.token, Utc::now().naive_utc())
    else {
        return invalid_link(&page);
    };
    page.render(
        "pages/invite_accept",
        json!({ "token": query.token, "email": claims.email.unwrap_or_default(), "values": { "display_name": "" }, "errors": FieldErrors::new().to_json() }),
    )
}

#[post("/invite")]
async fn accept(req: HttpRequest, page: PageContext, CsrfForm(form): CsrfForm<AcceptForm>) -> AppResult<HttpResponse> {
    let now = Utc::now().naive_utc();
    let Ok(claims) = page.state().keys.verify(Purpose::Invite, &form.token, now) else {
        return invalid_link(&page);
    };
    let (Some(user_id), Some(email)) = (claims.user_id(), claims.email.clone()) else {
        return invalid_link(&page);
    };
    let mut errors = FieldErrors::new();
    let name = form.display_name.trim().to_owned();
    if name.is_empty() {
        errors.add("display_name", "field-required");
    }
    if let Err(problem) = password::check_new_password(&form.password, &email) {
        errors.add("password", problem.message_key());
    }
    if form.password != form.password_repeat {
        errors.add("password_repeat", "password-mismatch");
    }
    if !errors.is_empty() {
        return page.render_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            "pages/invite_accept",
            json!({ "token": form.token, "email": email, "values": { "display_name": form.display_name }, "errors": errors.to_json() }),
        );
    }
    let state = page.data();
    let jti = claims.jti.clone();
    let new_password = form.password.clone();
    let user_agent = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let ip = client_ip(&req, &state.settings.trusted_proxies);
    let max_lifetime = TimeDelta::hours(state.settings.session_max_hours);
    let hash = password::hash(new_password).await;
    let session = state
        .db
        .run(move |conn| -> Result<Option<String>, AppError> {
            crate::db::write_transaction(conn, |conn| -> Result<Option<String>, AppError> {
                let Some(user) = super::find_by_id(conn, user_id)? else {
                    return Ok(None);
                };
                if user.email != email
                    || user.password_hash != NO_PASSWORD_YET
                    || user.deactivated_at.is_some()
                    || !super::use_token_once(conn, &jti, now)?
                {
                    return Ok(None);
                }
                diesel::update(users::table.find(user_id))
                    .set((
                        users::display_name.eq(&name),
                        users::password_hash.eq(&hash),
                        users::email_confirmed_at.eq(now),
                        users::updated_at.eq(now),
                    ))
                    .execute(conn)?;
                let session = super::start_session(
                    conn,
                    NewSession {
                        user_id,
                        user_agent: &user_agent,
                        client_ip: &ip,
                    },
                    now,
                    max_lifetime,
                )?;
                Ok(Some(session))
            })
        })
        .await?;
    let Some(session_id) = session else {
        return invalid_link(&page);
    };
    let token = state.keys.issue(
        Purpose::Session,
        user_id,
        &session_id,
        None,
        now,
        TimeDelta::minutes(state.settings.session_token_minutes),
    );
    let mut response = see_other("/dashboard");
    response
        .add_cookie(&session_cookie(token, state.settings.uses_https()))
        .map_err(AppError::internal)?;
    Ok(response)
}
