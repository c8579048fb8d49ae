//! The administrator's list of users: filter by role, keyset pagination, deactivate
//! (access ends at once) and reactivate.

use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::json;

use super::identity::CurrentUser;
use super::{Role, User};
use crate::db::schema::users;
use crate::policy::{self, Actor};
use crate::web::error::{AppError, AppResult};
use crate::web::page::{CsrfForm, EmptyForm, PageContext, see_other};

pub const PAGE_SIZE: i64 = 50;

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(users_page).service(deactivate).service(reactivate);
}

#[derive(Deserialize)]
pub struct UsersQuery {
    role: Option<String>,
    /// Keyset cursor: the last id of the previous page.
    after: Option<i64>,
}

/// One page of users, by id, optionally of one role; one query (the index on (role, id) serves the filter).
pub fn list_users(
    conn: &mut crate::db::DbConnection,
    role: Option<Role>,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<User>> {
    let mut query = users::table
        .select(User::as_select())
        .order(users::id)
        .limit(limit)
        .into_boxed();
    if let Some(role) = role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    if let Some(after) = after {
        query = query.filter(users::id.gt(after));
    }
    query.load(conn)
}

#[get("/admin/users")]
async fn users_page(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    query: web::Query<UsersQuery>,
) -> AppResult<HttpResponse> {
    policy::ensure(policy::can_manage_users(&Actor::from(&signed_in)))?;
    let role = query.role.as_deref().and_then(|r| r.parse::<Role>().ok());
    let after = query.after;
    let mut rows = page
        .data()
        .db
        .run(move |conn| -> Result<_, AppError> { Ok(list_users(conn, role, after, PAGE_SIZE + 1)?) })
        .await?;
    let has_more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let next = has_more.then(|| {
        let last = rows.last().map(|u| u.id).unwrap_or_default();
        match role {
            Some(role) => format!("/admin/users?role={}&after={last}", role.as_str()),
            None => format!("/admin/users?after={last}"),
        }
    });
    let users: Vec<_> = rows
        .iter()
        .map(|u| {
            json!({
                "id": u.id,
                "name": u.display_name,
                "email": u.email,
                "role": u.role,
                "active": u.deactivated_at.is_none(),
                "confirmed": u.email_confirmed_at.is_some(),
                "is_self": u.id == signed_in.user.id,
            })
        })
        .collect();
    let roles: Vec<_> = Role::ALL
        .iter()
        .map(|r| json!({ "code": r.as_str(), "selected": Some(*r) == role }))
        .collect();
    page.render(
        "pages/admin_users",
        json!({ "users": users, "roles": roles, "next": next }),
    )
}

async fn set_active(
    signed_in: super::identity::SignedIn,
    page: PageContext,
    user_id: i64,
    active: bool,
) -> AppResult<HttpResponse> {
    policy::ensure(policy::can_manage_users(&Actor::from(&signed_in)))?;
    if user_id == signed_in.user.id {
        return Err(AppError::Conflict("you cannot deactivate yourself".into()));
    }
    let admin_id = signed_in.user.id;
    let now = Utc::now().naive_utc();
    let found = page
        .data()
        .db
        .run(move |conn| -> Result<bool, AppError> {
            crate::db::write_transaction(conn, |conn| -> Result<bool, AppError> {
                if super::find_by_id(conn, user_id)?.is_none() {
                    return Ok(false);
                }
                if active {
                    diesel::update(users::table.find(user_id))
                        .set((
                            users::deactivated_at.eq(None::<chrono::NaiveDateTime>),
                            users::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                } else {
                    super::deactivate(conn, user_id, now)?;
                }
                crate::audit::record(
                    conn,
                    Some(admin_id),
                    "user",
                    user_id,
                    if active { "reactivated" } else { "deactivated" },
                    json!({}),
                    now,
                )?;
                Ok(true)
            })
        })
        .await?;
    policy::ensure(found)?;
    Ok(see_other("/admin/users"))
}

#[post("/admin/users/{id}/deactivate")]
async fn deactivate(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    set_active(signed_in, page, path.into_inner(), false).await
}

#[post("/admin/users/{id}/reactivate")]
async fn reactivate(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    set_active(signed_in, page, path.into_inner(), true).await
}
