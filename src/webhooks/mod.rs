//! Webhooks: a provider's organisation admin registers an HTTPS endpoint, and every case
//! event of that provider's cases is delivered to it as a signed JSON POST. A delivery is a
//! `webhook_deliveries` row plus a job in the durable job table, both written in the
//! transaction that writes the event ([`enqueue_for_event`], called by
//! `cases::transition::apply`); the worker posts it ([`deliver`]) and retries with the
//! job table's back-off until the receiver answers 2xx or [`MAX_ATTEMPTS`] is reached.
//!
//! Signature: `X-Portal-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`;
//! `X-Portal-Delivery` carries the delivery's id (the same on every retry, so a receiver can
//! drop a repeat). See docs/TRANSPARENCY.md.

pub mod handlers;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;

use crate::db::DbConnection;
use crate::db::schema::{case_events, cases, webhook_deliveries, webhook_endpoints};
use crate::policy::Actor;

pub const DELIVER_WEBHOOK: &str = "deliver_webhook";
/// With the job table's back-off (10 s doubling, capped at an hour) this keeps trying for
/// about a day and a half before a delivery is given up.
pub const MAX_ATTEMPTS: i32 = 40;
pub const SIGNATURE_HEADER: &str = "X-Portal-Signature";
pub const DELIVERY_HEADER: &str = "X-Portal-Delivery";
pub const EVENT_HEADER: &str = "X-Portal-Event";
const TIMEOUT: Duration = Duration::from_secs(10);

/// At most this many active endpoints per provider.
pub const MAX_ENDPOINTS: i64 = 5;

/// Only a provider's organisation admins manage its endpoints.
pub fn can_manage_webhooks(actor: &Actor) -> bool {
    actor.role == crate::accounts::Role::ProviderStaff && actor.is_org_admin && actor.provider_id.is_some()
}

/// The signature header's value for a body sent at `timestamp` (unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let digest = mac.finalize().into_bytes();
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("t={timestamp},v1={hex}")
}

/// What a receiver does: recompute and compare (in constant time) — here for tests and docs.
pub fn verify(secret: &str, header: &str, body: &str) -> bool {
    let Some(timestamp) = header
        .split(',')
        .find_map(|p| p.strip_prefix("t="))
        .and_then(|t| t.parse::<i64>().ok())
    else {
        return false;
    };
    let expected = signature(secret, timestamp, body);
    expected.len() == header.len()
        && expected
            .bytes()
            .zip(header.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Why an endpoint address is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UrlProblem {
    Invalid,
    NotHttps,
    PrivateAddress,
}

impl UrlProblem {
    pub fn message_key(self) -> &'static str {
        match self {
            UrlProblem::Invalid => "webhooks-url-invalid",
            UrlProblem::NotHttps => "webhooks-url-not-https",
            UrlProblem::PrivateAddress => "webhooks-url-private",
        }
    }
}

/// Checks an endpoint address: HTTPS to a public host. Plain HTTP is allowed only to the
/// loopback address, and only when `allow_http_loopback` is set (tests, development).
pub fn check_url(raw: &str, allow_http_loopback: bool) -> Result<String, UrlProblem> {
    let url = reqwest::Url::parse(raw.trim()).map_err(|_| UrlProblem::Invalid)?;
    if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() || raw.trim().len() > 500 {
        return Err(UrlProblem::Invalid);
    }
    let host = url
        .host_str()
        .ok_or(UrlProblem::Invalid)?
        .trim_matches(['[', ']'])
        .to_lowercase();
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    match url.scheme() {
        "https" => {}
        "http" if allow_http_loopback && loopback => return Ok(url.to_string()),
        "http" => return Err(UrlProblem::NotHttps),
        _ => return Err(UrlProblem::Invalid),
    }
    if loopback && !allow_http_loopback {
        return Err(UrlProblem::PrivateAddress);
    }
    if let Ok(ip) = host.parse::<IpAddr>()
        && !is_public(ip)
        && !(allow_http_loopback && ip.is_loopback())
    {
        return Err(UrlProblem::PrivateAddress);
    }
    Ok(url.to_string())
}

/// Addresses a delivery may go to: not loopback, private, link-local, or otherwise internal.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || a >= 224)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            !(v6.is_loopback() || v6.is_unspecified() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// The body of a delivery.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Payload {
    pub delivery_id: String,
    pub event: EventFacts,
    pub case: CaseFacts,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct EventFacts {
    pub id: i64,
    pub kind: String,
    pub from_state: Option<String>,
    pub to_state: Option<String>,
    pub at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CaseFacts {
    pub id: i64,
    pub reference: String,
    pub state: String,
}

#[derive(Serialize, Deserialize)]
struct JobPayload {
    delivery_id: i64,
}

/// An event as read for a delivery: case, kind, from, to, at, detail.
type EventRow = (i64, String, Option<String>, Option<String>, NaiveDateTime, String);

/// Whether the provider may learn that the event happened: not for a message it cannot
/// read (for the mediators only, or the consumer's) or one held for moderation.
pub fn provider_may_know(detail: &str) -> bool {
    let Ok(detail) = serde_json::from_str::<serde_json::Value>(detail) else {
        return true;
    };
    if detail.get("held").and_then(serde_json::Value::as_bool) == Some(true) {
        return false;
    }
    match detail.get("visibility").and_then(serde_json::Value::as_str) {
        None => true,
        Some(visibility) => matches!(
            visibility.parse::<crate::policy::Visibility>(),
            Ok(crate::policy::Visibility::Everyone | crate::policy::Visibility::ProviderAndMediator)
        ),
    }
}

/// Writes a delivery and its job for every active endpoint of the case's provider. Call it
/// in the transaction that writes the event; it writes nothing when the provider has none.
pub fn enqueue_for_event(conn: &mut DbConnection, event_id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    let (case_id, kind, from_state, to_state, at, detail): EventRow = case_events::table
        .find(event_id)
        .select((
            case_events::case_id,
            case_events::kind,
            case_events::from_state,
            case_events::to_state,
            case_events::at,
            case_events::detail,
        ))
        .first(conn)?;
    if !provider_may_know(&detail) {
        return Ok(0);
    }
    let (provider_id, reference, state): (i64, String, String) = cases::table
        .find(case_id)
        .select((cases::provider_id, cases::reference, cases::state))
        .first(conn)?;
    let endpoints: Vec<i64> = webhook_endpoints::table
        .filter(webhook_endpoints::provider_id.eq(provider_id))
        .filter(webhook_endpoints::active.eq(true))
        .select(webhook_endpoints::id)
        .load(conn)?;
    for endpoint_id in &endpoints {
        let key = crate::accounts::tokens::random_id();
        let payload = Payload {
            delivery_id: key.clone(),
            event: EventFacts {
                id: event_id,
                kind: kind.clone(),
                from_state: from_state.clone(),
                to_state: to_state.clone(),
                at,
            },
            case: CaseFacts {
                id: case_id,
                reference: reference.clone(),
                state: state.clone(),
            },
        };
        let body =
            serde_json::to_string(&payload).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
        let delivery_id: i64 = diesel::insert_into(webhook_deliveries::table)
            .values((
                webhook_deliveries::endpoint_id.eq(endpoint_id),
                webhook_deliveries::delivery_key.eq(&key),
                webhook_deliveries::case_event_id.eq(event_id),
                webhook_deliveries::event_kind.eq(&kind),
                webhook_deliveries::payload.eq(&body),
                webhook_deliveries::status.eq("pending"),
                webhook_deliveries::created_at.eq(now),
                webhook_deliveries::updated_at.eq(now),
            ))
            .returning(webhook_deliveries::id)
            .get_result(conn)?;
        crate::jobs::enqueue(conn, DELIVER_WEBHOOK, &JobPayload { delivery_id }, now, None, now)?;
    }
    Ok(endpoints.len())
}

/// A resolver that refuses names resolving to internal addresses, so a public name that
/// points at the portal's own network cannot be used to reach it.
struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if addresses.is_empty() {
                return Err("the name resolves to no public address".into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addrs)
        })
    }
}

/// One HTTP client per process (and per loopback setting): no redirects, short time-outs.
fn client(allow_http_loopback: bool) -> Result<&'static reqwest::Client, String> {
    static STRICT: OnceLock<reqwest::Client> = OnceLock::new();
    static LOOPBACK: OnceLock<reqwest::Client> = OnceLock::new();
    let cell = if allow_http_loopback { &LOOPBACK } else { &STRICT };
    if let Some(client) = cell.get() {
        return Ok(client);
    }
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT)
        .user_agent("Geschillenportaal-Webhooks/1");
    if !allow_http_loopback {
        builder = builder.https_only(true).dns_resolver(Arc::new(PublicOnlyResolver));
    }
    let built = builder.build().map_err(|e| format!("http client: {e}"))?;
    Ok(cell.get_or_init(|| built))
}

#[derive(Debug, Clone, Queryable)]
struct DeliveryToSend {
    payload: String,
    key: String,
    kind: String,
    url: String,
    secret: String,
    active: bool,
}

/// What became of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Delivered(u16),
    Failed { status: Option<u16>, error: String },
}

/// Runs one delivery job (the worker calls this). `Ok` ends the job: delivered, given up
/// after [`MAX_ATTEMPTS`], or the endpoint was switched off; `Err` asks for a retry.
pub async fn deliver(
    db: &crate::db::Database,
    payload: &str,
    attempt: i32,
    allow_http_loopback: bool,
) -> Result<(), String> {
    let JobPayload { delivery_id } = serde_json::from_str(payload).map_err(|e| format!("bad payload: {e}"))?;
    let found = db
        .run(move |conn| -> Result<_, crate::db::StorageError> {
            Ok(webhook_deliveries::table
                .inner_join(webhook_endpoints::table)
                .filter(webhook_deliveries::id.eq(delivery_id))
                .select((
                    webhook_deliveries::payload,
                    webhook_deliveries::delivery_key,
                    webhook_deliveries::event_kind,
                    webhook_endpoints::url,
                    webhook_endpoints::secret,
                    webhook_endpoints::active,
                ))
                .first::<DeliveryToSend>(conn)
                .optional()?)
        })
        .await
        .map_err(|e| e.to_string())?;
    let Some(delivery) = found else {
        return Ok(());
    };
    if !delivery.active {
        record(
            db,
            delivery_id,
            "cancelled",
            attempt,
            None,
            "the endpoint was switched off",
        )
        .await?;
        return Ok(());
    }
    let outcome = post(&delivery, allow_http_loopback).await;
    match outcome {
        Attempt::Delivered(status) => {
            record(db, delivery_id, "delivered", attempt, Some(status), "").await?;
            Ok(())
        }
        Attempt::Failed { status, error } => {
            let given_up = attempt >= MAX_ATTEMPTS;
            let state = if given_up { "failed" } else { "retrying" };
            record(db, delivery_id, state, attempt, status, &error).await?;
            if given_up { Ok(()) } else { Err(error) }
        }
    }
}

async fn post(delivery: &DeliveryToSend, allow_http_loopback: bool) -> Attempt {
    // A URL stored earlier is checked again: the setting may have changed since.
    if check_url(&delivery.url, allow_http_loopback).is_err() {
        return Attempt::Failed {
            status: None,
            error: "the endpoint address is not allowed".into(),
        };
    }
    let client = match client(allow_http_loopback) {
        Ok(client) => client,
        Err(error) => return Attempt::Failed { status: None, error },
    };
    let timestamp = chrono::Utc::now().timestamp();
    let response = client
        .post(&delivery.url)
        .header("content-type", "application/json")
        .header(DELIVERY_HEADER, &delivery.key)
        .header(EVENT_HEADER, &delivery.kind)
        .header(
            SIGNATURE_HEADER,
            signature(&delivery.secret, timestamp, &delivery.payload),
        )
        .body(delivery.payload.clone())
        .send()
        .await;
    match response {
        Ok(response) if response.status().is_success() => Attempt::Delivered(response.status().as_u16()),
        Ok(response) => Attempt::Failed {
            status: Some(response.status().as_u16()),
            error: format!("the receiver answered {}", response.status()),
        },
        Err(error) => Attempt::Failed {
            status: None,
            error: if error.is_timeout() {
                "no answer within 10 seconds".into()
            } else if error.is_connect() {
                "cannot connect".into()
            } else {
                "the request failed".into()
            },
        },
    }
}

async fn record(
    db: &crate::db::Database,
    delivery_id: i64,
    status: &'static str,
    attempts: i32,
    code: Option<u16>,
    error: &str,
) -> Result<(), String> {
    let error = error.to_owned();
    let now = chrono::Utc::now().naive_utc();
    db.run(move |conn| -> Result<(), crate::db::StorageError> {
        diesel::update(webhook_deliveries::table.find(delivery_id))
            .set((
                webhook_deliveries::status.eq(status),
                webhook_deliveries::attempts.eq(attempts),
                webhook_deliveries::last_status_code.eq(code.map(i32::from)),
                webhook_deliveries::last_error.eq(&error),
                webhook_deliveries::updated_at.eq(now),
                webhook_deliveries::delivered_at.eq((status == "delivered").then_some(now)),
            ))
            .execute(conn)?;
        Ok(())
    })
    .await
    .map_err(|e| e.to_string())
}

/// A new endpoint with a fresh secret; returns its id.
pub fn create_endpoint(
    conn: &mut DbConnection,
    provider_id: i64,
    url: &str,
    created_by: i64,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    crate::db::write_transaction(conn, |conn| {
        let id = diesel::insert_into(webhook_endpoints::table)
            .values((
                webhook_endpoints::provider_id.eq(provider_id),
                webhook_endpoints::url.eq(url),
                webhook_endpoints::secret.eq(format!("whsec_{}", crate::accounts::tokens::random_id())),
                webhook_endpoints::active.eq(true),
                webhook_endpoints::created_by.eq(created_by),
                webhook_endpoints::created_at.eq(now),
                webhook_endpoints::updated_at.eq(now),
            ))
            .returning(webhook_endpoints::id)
            .get_result(conn)?;
        crate::audit::record(
            conn,
            Some(created_by),
            "webhook_endpoint",
            id,
            "created",
            json!({ "url": url, "provider_id": provider_id }),
            now,
        )?;
        Ok(id)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_only_for_the_same_secret_and_body() {
        let header = signature("whsec_abc", 1_700_000_000, "{\"a\":1}");
        assert!(header.starts_with("t=1700000000,v1="));
        assert_eq!(header.len(), "t=1700000000,v1=".len() + 64);
        assert!(verify("whsec_abc", &header, "{\"a\":1}"));
        assert!(!verify("whsec_abd", &header, "{\"a\":1}"));
        assert!(!verify("whsec_abc", &header, "{\"a\":2}"));
        assert!(!verify("whsec_abc", "garbage", "{\"a\":1}"));
    }

    #[test]
    fn the_signature_matches_a_known_hmac_sha256_vector() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?" — here as "<t>.<body>".
        let header = signature("Jefe", 0, "what do ya want for nothing?");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"0.what do ya want for nothing?");
        let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(header, format!("t=0,v1={hex}"));
    }

    #[test]
    fn the_provider_hears_only_of_events_it_may_see() {
        assert!(provider_may_know("{}"));
        assert!(provider_may_know(r#"{"note":"x","due_on":"2026-12-01"}"#));
        assert!(provider_may_know(
            r#"{"message_id":1,"visibility":"everyone","held":false}"#
        ));
        assert!(provider_may_know(
            r#"{"message_id":1,"visibility":"provider_and_mediator","held":false}"#
        ));
        assert!(!provider_may_know(
            r#"{"message_id":1,"visibility":"mediator_only","held":false}"#
        ));
        assert!(!provider_may_know(
            r#"{"message_id":1,"visibility":"consumer_and_mediator","held":false}"#
        ));
        assert!(!provider_may_know(
            r#"{"message_id":1,"visibility":"everyone","held":true}"#
        ));
        assert!(!provider_may_know(r#"{"visibility":"unknown"}"#));
    }

    #[test]
    fn endpoints_must_be_https_to_a_public_host() {
        assert_eq!(
            check_url("https://hooks.example.nl/portal", false).as_deref(),
            Ok("https://hooks.example.nl/portal")
        );
        assert_eq!(check_url("http://hooks.example.nl/", false), Err(UrlProblem::NotHttps));
        assert_eq!(check_url("ftp://hooks.example.nl/", false), Err(UrlProblem::Invalid));
        assert_eq!(check_url("not a url", false), Err(UrlProblem::Invalid));
        assert_eq!(
            check_url("https://user:pw@hooks.example.nl/", false),
            Err(UrlProblem::Invalid)
        );
        for internal in [
            "https://127.0.0.1/",
            "https://localhost/",
            "https://10.1.2.3/",
            "https://192.168.1.1/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "https://[fd00::1]/",
        ] {
            assert_eq!(
                check_url(internal, false),
                Err(UrlProblem::PrivateAddress),
                "{internal}"
            );
        }
    }

    #[test]
    fn plain_http_to_loopback_only_when_the_setting_allows_it() {
        assert!(check_url("http://127.0.0.1:9999/hook", true).is_ok());
        assert!(check_url("http://localhost:9999/hook", true).is_ok());
        assert_eq!(
            check_url("http://127.0.0.1:9999/hook", false),
            Err(UrlProblem::NotHttps)
        );
        assert_eq!(check_url("http://10.0.0.1/hook", true), Err(UrlProblem::NotHttps));
    }

    #[test]
    fn only_organisation_admins_of_a_provider_manage_webhooks() {
        use crate::accounts::Role;
        let actor = |role, admin, provider| Actor {
            user_id: 1,
            role,
            provider_id: provider,
            is_org_admin: admin,
            email_confirmed: true,
        };
        assert!(can_manage_webhooks(&actor(Role::ProviderStaff, true, Some(3))));
        assert!(!can_manage_webhooks(&actor(Role::ProviderStaff, false, Some(3))));
        assert!(!can_manage_webhooks(&actor(Role::ProviderStaff, true, None)));
        assert!(!can_manage_webhooks(&actor(Role::Secretariat, true, None)));
        assert!(!can_manage_webhooks(&actor(Role::Consumer, true, None)));
    }
}
