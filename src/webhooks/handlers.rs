//! The provider's webhook settings (`/settings/webhooks`): register an endpoint (its
//! secret is shown to the organisation admins), switch it off, and see the latest
//! deliveries with their status.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, get, post, web};
use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::accounts::identity::CurrentUser;
use crate::db::schema::{webhook_deliveries, webhook_endpoints};
use crate::policy::{self, Actor};
use crate::web::error::{AppError, AppResult};
use crate::web::form::FieldErrors;
use crate::web::page::{CsrfForm, PageContext, see_other};

pub fn routes(config: &mut web::ServiceConfig) {
    config.service(webhooks_page).service(add_endpoint).service(switch_off);
}

#[derive(Queryable)]
struct EndpointRow {
    id: i64,
    url: String,
    secret: String,
    active: bool,
    created_at: chrono::NaiveDateTime,
}

#[derive(Queryable)]
struct DeliveryRow {
    endpoint_url: String,
    delivery_key: String,
    event_kind: String,
    status: String,
    attempts: i32,
    last_status_code: Option<i32>,
    last_error: String,
    created_at: chrono::NaiveDateTime,
    delivered_at: Option<chrono::NaiveDateTime>,
}

fn when(at: chrono::NaiveDateTime) -> String {
    at.format("%d-%m-%Y %H:%M:%S").to_string()
}

async fn render(
    page: &PageContext,
    provider_id: i64,
    errors: &FieldErrors,
    url: &str,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (endpoints, deliveries) = page
        .data()
        .db
        .run(move |conn| -> AppResult<_> {
            let endpoints: Vec<EndpointRow> = webhook_endpoints::table
                .filter(webhook_endpoints::provider_id.eq(provider_id))
                .order(webhook_endpoints::id.desc())
                .select((
                    webhook_endpoints::id,
                    webhook_endpoints::url,
                    webhook_endpoints::secret,
                    webhook_endpoints::active,
                    webhook_endpoints::created_at,
                ))
                .load(conn)?;
            let deliveries: Vec<DeliveryRow> = webhook_deliveries::table
                .inner_join(webhook_endpoints::table)
                .filter(webhook_endpoints::provider_id.eq(provider_id))
                .order(webhook_deliveries::id.desc())
                .limit(50)
                .select((
                    webhook_endpoints::url,
                    webhook_deliveries::delivery_key,
                    webhook_deliveries::event_kind,
                    webhook_deliveries::status,
                    webhook_deliveries::attempts,
                    webhook_deliveries::last_status_code,
                    webhook_deliveries::last_error,
                    webhook_deliveries::created_at,
                    webhook_deliveries::delivered_at,
                ))
                .load(conn)?;
            Ok((endpoints, deliveries))
        })
        .await?;
    let endpoints: Vec<Value> = endpoints
        .iter()
        .map(|e| json!({ "id": e.id, "url": e.url, "secret": e.secret, "active": e.active, "created": when(e.created_at) }))
        .collect();
    let deliveries: Vec<Value> = deliveries
        .iter()
        .map(|d| {
            json!({
                "url": d.endpoint_url,
                "key": d.delivery_key,
                "event": d.event_kind,
                "status": d.status,
                "attempts": d.attempts,
                "code": d.last_status_code,
                "error": d.last_error,
                "created": when(d.created_at),
                "delivered": d.delivered_at.map(when),
            })
        })
        .collect();
    page.render_with_status(
        status,
        "pages/webhooks",
        json!({
            "endpoints": endpoints,
            "deliveries": deliveries,
            "errors": errors.to_json(),
            "values": { "url": url },
            "header_signature": super::SIGNATURE_HEADER,
            "header_delivery": super::DELIVERY_HEADER,
        }),
    )
}

fn provider_of(actor: &Actor) -> AppResult<i64> {
    policy::ensure(super::can_manage_webhooks(actor))?;
    actor.provider_id.ok_or(AppError::NotFound)
}

#[get("/settings/webhooks")]
async fn webhooks_page(CurrentUser(signed_in): CurrentUser, page: PageContext) -> AppResult<HttpResponse> {
    let provider_id = provider_of(&Actor::from(&signed_in))?;
    render(&page, provider_id, &FieldErrors::new(), "", StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct EndpointForm {
    #[serde(default)]
    url: String,
}

#[post("/settings/webhooks")]
async fn add_endpoint(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    CsrfForm(form): CsrfForm<EndpointForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let provider_id = provider_of(&actor)?;
    let allow_loopback = page.state().settings.webhooks_allow_http_loopback;
    let mut errors = FieldErrors::new();
    let url = match super::check_url(&form.url, allow_loopback) {
        Ok(url) => Some(url),
        Err(problem) => {
            errors.add("url", problem.message_key());
            None
        }
    };
    if let Some(url) = url {
        let now = Utc::now().naive_utc();
        let created = page
            .data()
            .db
            .run(move |conn| -> AppResult<bool> {
                let active: i64 = webhook_endpoints::table
                    .filter(webhook_endpoints::provider_id.eq(provider_id))
                    .filter(webhook_endpoints::active.eq(true))
                    .count()
                    .get_result(conn)?;
                if active >= super::MAX_ENDPOINTS {
                    return Ok(false);
                }
                super::create_endpoint(conn, provider_id, &url, actor.user_id, now)?;
                Ok(true)
            })
            .await?;
        if created {
            return Ok(see_other("/settings/webhooks"));
        }
        errors.add("url", "webhooks-too-many");
    }
    render(&page, provider_id, &errors, &form.url, StatusCode::UNPROCESSABLE_ENTITY).await
}

#[derive(Deserialize)]
pub struct EmptyForm {}

#[post("/settings/webhooks/{id}/uitzetten")]
async fn switch_off(
    CurrentUser(signed_in): CurrentUser,
    page: PageContext,
    path: web::Path<i64>,
    CsrfForm(_): CsrfForm<EmptyForm>,
) -> AppResult<HttpResponse> {
    let actor = Actor::from(&signed_in);
    let provider_id = provider_of(&actor)?;
    let id = path.into_inner();
    let now = Utc::now().naive_utc();
    page.data()
        .db
        .run(move |conn| -> AppResult<()> {
            crate::db::write_transaction(conn, |conn| -> AppResult<()> {
                let changed = diesel::update(
                    webhook_endpoints::table
                        .find(id)
                        .filter(webhook_endpoints::provider_id.eq(provider_id)),
                )
                .set((
                    webhook_endpoints::active.eq(false),
                    webhook_endpoints::updated_at.eq(now),
                ))
                .execute(conn)?;
                if changed == 0 {
                    return Err(AppError::NotFound);
                }
                crate::audit::record(
                    conn,
                    Some(actor.user_id),
                    "webhook_endpoint",
                    id,
                    "switched_off",
                    json!({}),
                    now,
                )?;
                Ok(())
            })
        })
        .await?;
    Ok(see_other("/settings/webhooks"))
}
