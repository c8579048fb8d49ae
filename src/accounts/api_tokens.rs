//! Personal API tokens for provider staff and the secretariat, so that a ticketing system
//! can talk to the portal. A token is shown once; only its SHA-256 is stored. Each has
//! a scope (read, or read and write) and an expiry, and can be revoked.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, dev::Payload, get, post, web};
use chrono::{NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::identity::{CurrentUser, SignedIn};
use super::{Role, User};
use crate::db::DbConnection;
use crate::db::schema::{api_tokens, users};
use crate::policy::{self, Actor};
use crate::startup::AppState;
use crate::web::error::{AppError, AppResult};
use crate::web::form::FieldErrors;
use crate::web::page::{CsrfForm, EmptyForm, PageContext, see_other};

const TOKEN_PREFIX: &str = "gp_";
pub const MAX_DAYS: i64 = 365;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    Read,
    Write,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            _ => None,
        }
    }
}

fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Creates a token and returns its id and the plain value (shown to the user once).
pub fn create(
    conn: &mut DbConnection,
    user_id: i64,
    name: &str,
    scope: Scope,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<(i64, String)> {
    let plain = format!("{TOKEN_PREFIX}{}", super::tokens::random_id());
    let id = diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::user_id.eq(user_id),
            api_tokens::name.eq(name),
            api_tokens::token_hash.eq(digest(&plain)),
            api_tokens::scope.eq(scope.as_str()),
            api_tokens::expires_at.eq(expires_at),
            api_tokens::created_at.eq(now),
        ))
        .returning(api_tokens::id)
        .get_result(conn)?;
    Ok((id, plain))
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = api_tokens)]
pub struct TokenListing {
    pub id: i64,
    pub name: String,
    pub scope: String,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn list(conn: &mut DbConnection, user_id: i64) -> QueryResult<Vec<TokenListing>> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::id.desc())
        .select(TokenListing::as_select())
        .load(conn)
}

pub fn revoke(conn: &mut DbConnection, user_id: i64, token_id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .find(token_id)
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(now))
    .execute(conn)
}

/// The user and scope of a live token: not revoked, not expired, user active.
pub fn authenticate(
    conn: &mut DbConnection,
    plain: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<(User, Scope, i64)>> {
    let found: Option<(User, String, i64, Option<NaiveDateTime>)> = api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(digest(plain)))
        .filter(api_tokens::revoked_at.is_null())
        .filter(api_tokens::expires_at.gt(now))
        .filter(users::deactivated_at.is_null())
        .select((
            User::as_select(),
            api_tokens::scope,
            api_tokens::id,
            api_tokens::last_used_at,
        ))
        .first(conn)
        .optional()?;
    let Some((user, scope, token_id, last_used)) = found else {
        return Ok(None);
    };
    // Recording every use would make each API read a write; once a minute is enough to show.
    if last_used.is_none_or(|at| now - at > TimeDelta::minutes(1)) {
        diesel::update(api_tokens::table.find(token_id))
            .set(api_tokens::last_used_at.eq(now))
            .execute(conn)?;
    }
    Ok(Scope::parse(&scope).map(|scope| (user, scope, token_id)))
}

/// A caller of the JSON API, authenticated by `Authorization: Bearer <token>`.
#[derive(Clone, Debug)]
pub struct ApiCaller {
    pub actor: Actor,
    pub user: User,
    pub scope: Scope,
}

impl ApiCaller {
    pub fn require_write(&self) -> Result<(), AppError> {
        if self.scope == Scope::Write {
            Ok(())
        } else {
            Err(AppError::Forbidden("this token may only read"))
        }
    }
}

impl FromRequest for ApiCaller {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, AppError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let header = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let state = req
            .app_data::<web::Data<AppState>>()
            .expect("AppState is registered")
            .clone();
        Box::pin(async move {
            let token = header
                .as_deref()
                .and_then(|h| h.strip_prefix("Bearer "))
                .map(str::trim)
                .filter(|t| t.starts_with(TOKEN_PREFIX));
            let Some(token) = token.map(str::to_owned) else {
                return Err(AppError::Unauthenticated);
            };
            let now = Utc::now().naive_utc();
            let found = state
                .db
                .run(move |conn| -> Result<_, AppError> { Ok(authenticate(conn, &token, now)?) })
                .await?;
            let (user, scope, _) = found.ok_or(AppError::Unauthenticated)?;
            let role = user.role().ok_or(AppError::Unauthenticated)?;
            let signed_in = SignedIn {
                user: user.clone(),
                role,
                session_id: String::new(),
            };
            let actor = Actor::from(&signed_in);
            if !policy::can_use_api_tokens(&actor) {
                return Err(AppError::Unauthenticated);
            }
            Ok(ApiCaller { actor, user, scope })
        })
    }
}

pub fn routes(config: &mut web::ServiceConfig) {
    config
        .service(tokens_page)
        .service(create_token)
        .service(revoke_token)
        .service(me);
}

async fn render(
    page: &PageContext,
    signed_in: &SignedIn,
    created: Option<String>,
    errors: &FieldErrors,
    name: &str,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let user_id = signed_in.user.id;
    let tokens = page
        .data()
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(list(conn, user_id)?) })
        .await?;
    let now = Utc::now().naive_utc();
    let tokens: Vec<_> = tokens
        .iter()
        .map(|t| {
            json!({
                "id": t.id,
                "name": t.name,
                "scope": t.scope,
                "expires_on": t.expires_at.date().to_string(),
                "last_used": t.last_used_at.map(|d| d.format("%Y-%m-%d %H:%M").to_string()),
                "active": t.revoked_at.is_none() && t.expires_at > now,
            })
        })
        .collect();
    page.render_with_status(
        status,
        "pages/api_tokens",
        json!({ "tokens": tokens, "created": created, "errors": errors.to_json(), "values": { "name": name } }),
    )
}

#[get("/settings/api-tokens")]
async fn tokens_page(CurrentUser(signed_in): CurrentUser, page: PageContext) -> AppResult<HttpResponse> {
    policy::ensure(policy::can_use_api_tokens(&Actor::from(&signed_in)))?;
    render(&page, &signed_in, None, &FieldErrors::new(), "", StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    days: String,
}

#[post("/settings/api-tokens")]
async fn create_token(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    CsrfForm(form): CsrfForm<CreateForm>,
) -> AppResult<HttpResponse> {
    policy::ensure(policy::can_use_api_tokens(&Actor::from(&signed_in)))?;
    let mut errors = FieldErrors::new();
    let name = form.name.trim().to_owned();
    if name.is_empty() {
        errors.add("name", "field-required");
    } else if name.chars().count() > 80 {
        errors.add("name", "field-too-long");
    }
    let scope = Scope::parse(&form.scope);
    if scope.is_none() {
        errors.add("scope", "field-required");
    }
    let days = form
        .days
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|d| (1..=MAX_DAYS).contains(d));
    if days.is_none() {
        errors.add("days", "api-token-days-invalid");
    }
    let (Some(scope), Some(days), true) = (scope, days, errors.is_empty()) else {
        return render(
            &page,
            &signed_in,
            None,
            &errors,
            &form.name,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let user_id = signed_in.user.id;
    let now = Utc::now().naive_utc();
    let (_, plain) = page
        .data()
        .db
        .run(move |conn| -> Result<_, AppError> {
            Ok(create(conn, user_id, &name, scope, now + TimeDelta::days(days), now)?)
        })
        .await?;
    tracing::info!(user_id, "API token created");
    render(&page, &signed_in, Some(plain), &FieldErrors::new(), "", StatusCode::OK).await
}

#[post("/settings/api-tokens/{id}/revoke")]
async fn revoke_token(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    let (user_id, token_id) = (signed_in.user.id, path.into_inner());
    let now = Utc::now().naive_utc();
    let revoked = page
        .data()
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(revoke(conn, user_id, token_id, now)?) })
        .await?;
    policy::ensure(revoked == 1)?;
    Ok(see_other("/settings/api-tokens"))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Me {
    id: i64,
    name: String,
    email: String,
    /// `consumer`, `provider_staff`, `mediator`, `secretariat` or `admin`.
    #[schema(value_type = String)]
    role: Role,
    provider_id: Option<i64>,
    /// `read` or `write`.
    #[schema(value_type = String)]
    scope: Scope,
}

/// `GET /api/v1/me`: who the token belongs to (a first call to check a token works).
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "accounts",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The token's user", body = Me),
        (status = 401, description = "No valid token", content_type = "application/problem+json")
    )
)]
#[get("/api/v1/me")]
pub async fn me(caller: ApiCaller) -> AppResult<HttpResponse> {
    Ok(HttpResponse::Ok().json(Me {
        id: caller.user.id,
        name: caller.user.display_name.clone(),
        email: caller.user.email.clone(),
        role: caller.actor.role,
        provider_id: caller.user.provider_id,
        scope: caller.scope,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_digest_of_a_token_is_kept_and_it_is_stable() {
        let token = "gp_abc";
        assert_eq!(digest(token), digest(token));
        assert_eq!(digest(token).len(), 64);
        assert!(!digest(token).contains("abc"));
    }
}
