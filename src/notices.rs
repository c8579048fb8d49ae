//! Case events and e-mail notices for steps that do not change a case's state (an offer
//! made, a hearing moved, a compliance report): the same case history and the same
//! follower list as `cases::transition`, written in the caller's transaction.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use fluent_templates::fluent_bundle::FluentValue;
use serde_json::{Value, json};

use crate::cases::queries::{self, CaseRow};
use crate::db::DbConnection;
use crate::db::schema::case_events;
use crate::i18n::{self, Language};
use crate::jobs::{self, Attachment};
use crate::mail::templates::EmailTemplates;
use crate::policy::CaseParties;

/// Appends an event to the case's history without changing its state.
pub fn record_event(
    conn: &mut DbConnection,
    case: &CaseRow,
    actor_id: Option<i64>,
    actor_role: &str,
    kind: &str,
    detail: Value,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(case_events::table)
        .values((
            case_events::case_id.eq(case.id),
            case_events::at.eq(now),
            case_events::actor_id.eq(actor_id),
            case_events::actor_role.eq(actor_role),
            case_events::kind.eq(kind),
            case_events::detail.eq(detail.to_string()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Who hears of a notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Both parties and the panel.
    Everyone,
    /// Only the panel (e.g. a ruling term that runs out).
    Panel,
}

/// A notice: one translated sentence (with its arguments) and a link to the case.
pub struct Notice<'a> {
    pub key: &'a str,
    pub args: Vec<(&'static str, String)>,
    pub audience: Audience,
    /// Not sent to this user (the one who acted).
    pub except: Option<i64>,
    pub attachment: Option<Attachment>,
}

/// Queues the notice for every follower of the case in their own language.
pub fn send(
    conn: &mut DbConnection,
    emails: &EmailTemplates,
    base_url: &str,
    case: &CaseRow,
    parties: &CaseParties,
    notice: Notice<'_>,
    now: NaiveDateTime,
) -> Result<(), NoticeError> {
    for follower in queries::followers(conn, parties)? {
        if Some(follower.user_id) == notice.except {
            continue;
        }
        if notice.audience == Audience::Panel && !parties.mediator_ids.contains(&follower.user_id) {
            continue;
        }
        let language = Language::from_code(&follower.language).unwrap_or_default();
        let mut mail = render(
            emails,
            base_url,
            case,
            &notice,
            language,
            &follower.email,
            &follower.name,
        )?;
        mail.attachments.extend(notice.attachment.clone());
        jobs::enqueue_email(conn, &mail, now)?;
    }
    Ok(())
}

/// The notice as one e-mail (also for people outside the case, such as a guarantor).
pub fn render(
    emails: &EmailTemplates,
    base_url: &str,
    case: &CaseRow,
    notice: &Notice<'_>,
    language: Language,
    to: &str,
    name: &str,
) -> Result<jobs::OutgoingEmail, NoticeError> {
    let mut args: HashMap<Cow<'static, str>, FluentValue<'_>> = HashMap::new();
    args.insert("reference".into(), case.reference.clone().into());
    for (key, value) in &notice.args {
        args.insert((*key).into(), value.clone().into());
    }
    let text = i18n::translate_with(language, notice.key, &args);
    Ok(emails.render(
        "case_notice",
        language,
        to,
        json!({
            "name": name,
            "reference": case.reference,
            "text": text,
            "link": format!("{base_url}/zaken/{}", case.id),
        }),
    )?)
}

#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("e-mail: {0}")]
    Render(#[from] handlebars::RenderError),
}

impl From<NoticeError> for crate::web::error::AppError {
    fn from(e: NoticeError) -> Self {
        match e {
            NoticeError::Query(e) => e.into(),
            NoticeError::Render(e) => e.into(),
        }
    }
}

impl From<NoticeError> for crate::cases::transition::TransitionFailure {
    fn from(e: NoticeError) -> Self {
        match e {
            NoticeError::Query(e) => e.into(),
            NoticeError::Render(e) => e.into(),
        }
    }
}
