//! The case thread: messages between the parties and the mediator, each with a
//! visibility; abusive messages are held for moderation; a new visible message e-mails
//! the others in their own language.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::queries::{CaseRow, Follower};
use crate::accounts::Role;
use crate::db::schema::{messages, users};
use crate::db::{DbConnection, on_backend};
use crate::i18n::Language;
use crate::jobs;
use crate::mail::templates::EmailTemplates;
use crate::policy::{self, Actor, CaseParties, CaseResource, Relation, Visibility};

pub const MAX_MESSAGE_CHARS: usize = 10_000;

#[derive(Debug, Clone, Queryable, Serialize)]
pub struct MessageView {
    pub id: i64,
    pub author_id: i64,
    pub body: String,
    pub visibility: String,
    pub moderation: String,
    pub reply_due_on: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub author_name: String,
    pub author_role: String,
}

/// The visibilities a party may choose for a message.
pub fn choosable_visibilities(relation: Relation) -> &'static [Visibility] {
    match relation {
        Relation::Consumer => &[Visibility::Everyone, Visibility::ConsumerAndMediator],
        Relation::Provider => &[Visibility::Everyone, Visibility::ProviderAndMediator],
        Relation::Mediator | Relation::Secretariat => &[
            Visibility::Everyone,
            Visibility::MediatorOnly,
            Visibility::ConsumerAndMediator,
            Visibility::ProviderAndMediator,
        ],
        Relation::None => &[],
    }
}

/// The messages `actor` may read, oldest first, in one query. Held messages show only to
/// their author and the secretariat; removed ones to the secretariat.
pub fn visible_messages(
    conn: &mut DbConnection,
    case_id: i64,
    actor: &Actor,
    parties: &CaseParties,
) -> QueryResult<Vec<MessageView>> {
    // Read on every view of the case page: on the backend's own connection (`db::on_backend`).
    let rows: Vec<MessageView> = on_backend!(conn, |c| messages::table
        .inner_join(users::table.on(users::id.eq(messages::author_id)))
        .filter(messages::case_id.eq(case_id))
        .order(messages::id)
        .select((
            messages::id,
            messages::author_id,
            messages::body,
            messages::visibility,
            messages::moderation,
            messages::reply_due_on,
            messages::created_at,
            users::display_name,
            users::role,
        ))
        .load(c))?;
    Ok(visible(rows, actor, parties))
}

/// The messages of a case that `actor` may read, of all of them (oldest first).
pub fn visible(rows: Vec<MessageView>, actor: &Actor, parties: &CaseParties) -> Vec<MessageView> {
    let secretariat = policy::relation(actor, parties) == Relation::Secretariat;
    rows.into_iter()
        .filter(|m| {
            let visibility = m.visibility.parse().unwrap_or(Visibility::MediatorOnly);
            policy::can_view(actor, parties, CaseResource::Message(visibility))
                && match m.moderation.as_str() {
                    "visible" => true,
                    "held" => secretariat || m.author_id == actor.user_id,
                    _ => secretariat,
                }
        })
        .collect()
}

pub struct NewMessage<'a> {
    pub case: &'a CaseRow,
    pub parties: &'a CaseParties,
    pub author: &'a Actor,
    pub body: &'a str,
    pub visibility: Visibility,
    pub held: bool,
    pub reply_due_on: Option<NaiveDate>,
}

/// Stores a message with its case event, and e-mails the others who may read it
/// (unless it is held for moderation).
pub fn post(
    conn: &mut DbConnection,
    emails: &EmailTemplates,
    base_url: &str,
    new: NewMessage<'_>,
    now: NaiveDateTime,
) -> Result<i64, PostError> {
    crate::db::write_transaction(conn, |conn| {
        let id: i64 = diesel::insert_into(messages::table)
            .values((
                messages::case_id.eq(new.case.id),
                messages::author_id.eq(new.author.user_id),
                messages::body.eq(new.body),
                messages::visibility.eq(new.visibility.as_str()),
                messages::moderation.eq(if new.held { "held" } else { "visible" }),
                messages::reply_due_on.eq(new.reply_due_on),
                messages::created_at.eq(now),
            ))
            .returning(messages::id)
            .get_result(conn)?;
        let detail = json!({ "message_id": id, "visibility": new.visibility.as_str(), "held": new.held });
        super::queries::record_event(conn, new.case.id, new.author, "message_posted", detail, now)?;
        if !new.held {
            notify_readers(
                conn,
                emails,
                base_url,
                new.case,
                new.parties,
                new.author.user_id,
                new.visibility,
                new.reply_due_on,
                now,
            )?;
        }
        Ok(id)
    })
}

#[derive(Debug, thiserror::Error)]
pub enum PostError {
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("e-mail: {0}")]
    Render(#[from] handlebars::RenderError),
}

impl From<PostError> for crate::web::error::AppError {
    fn from(e: PostError) -> Self {
        match e {
            PostError::Query(q) => q.into(),
            PostError::Render(r) => r.into(),
        }
    }
}

/// E-mails everyone who may read a message, except its author.
#[expect(clippy::too_many_arguments, reason = "the facts of one notification")]
pub fn notify_readers(
    conn: &mut DbConnection,
    emails: &EmailTemplates,
    base_url: &str,
    case: &CaseRow,
    parties: &CaseParties,
    author_id: i64,
    visibility: Visibility,
    reply_due_on: Option<NaiveDate>,
    now: NaiveDateTime,
) -> Result<(), PostError> {
    for Follower {
        user_id,
        email,
        name,
        language,
        role,
        provider_id,
        is_org_admin,
    } in super::queries::followers(conn, parties)?
    {
        let Ok(role) = role.parse::<Role>() else { continue };
        let reader = Actor {
            user_id,
            role,
            provider_id,
            is_org_admin,
            email_confirmed: true,
        };
        if user_id == author_id || !policy::can_view(&reader, parties, CaseResource::Message(visibility)) {
            continue;
        }
        let language = Language::from_code(&language).unwrap_or_default();
        let mail = emails.render(
            "new_message",
            language,
            &email,
            json!({
                "name": name,
                "reference": case.reference,
                "reply_due_on": reply_due_on.map(|d| d.format("%d-%m-%Y").to_string()),
                "link": format!("{base_url}/zaken/{}#berichten", case.id),
            }),
        )?;
        jobs::enqueue_email(conn, &mail, now)?;
    }
    Ok(())
}

/// The secretariat releases or removes a held message.
pub fn moderate(conn: &mut DbConnection, message_id: i64, release: bool) -> QueryResult<Option<(i64, String)>> {
    let found: Option<(i64, String)> = messages::table
        .find(message_id)
        .select((messages::case_id, messages::visibility))
        .first(conn)
        .optional()?;
    if found.is_some() {
        diesel::update(messages::table.find(message_id).filter(messages::moderation.eq("held")))
            .set(messages::moderation.eq(if release { "visible" } else { "removed" }))
            .execute(conn)?;
    }
    Ok(found)
}

#[derive(Debug, Queryable)]
pub struct HeldMessage {
    pub id: i64,
    pub case_id: i64,
    pub body: String,
    pub created_at: NaiveDateTime,
    pub author: String,
}

/// Held messages waiting for the secretariat, oldest first.
pub fn held_messages(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<HeldMessage>> {
    messages::table
        .inner_join(users::table.on(users::id.eq(messages::author_id)))
        .filter(messages::moderation.eq("held"))
        .order(messages::id)
        .limit(limit)
        .select((
            messages::id,
            messages::case_id,
            messages::body,
            messages::created_at,
            users::display_name,
        ))
        .load(conn)
}
