//! Accounts: users and their roles, passwords, sessions and sign-in.
//! Pure rules live in `password` and `tokens`; this file holds the queries;
//! `identity` turns a request into a signed-in user; `handlers` serves the pages.

pub mod admin;
pub mod api_tokens;
pub mod common_passwords;
pub mod conflicts;
pub mod handlers;
pub mod identity;
pub mod invites;
pub mod password;
pub mod rate_limit;
pub mod recovery;
pub mod registration;
pub mod settings_pages;
pub mod tokens;

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{sessions, users};
use crate::db::{DbConnection, StorageError};

/// What a user is in the procedure. Provider staff also belong to one provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Consumer,
    ProviderStaff,
    Mediator,
    Secretariat,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Consumer,
        Role::ProviderStaff,
        Role::Mediator,
        Role::Secretariat,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Consumer => "consumer",
            Role::ProviderStaff => "provider_staff",
            Role::Mediator => "mediator",
            Role::Secretariat => "secretariat",
            Role::Admin => "admin",
        }
    }
}

impl std::str::FromStr for Role {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or(())
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: String,
    pub provider_id: Option<i64>,
    pub is_org_admin: bool,
    pub language: String,
    pub notify_by_email: bool,
    pub email_confirmed_at: Option<NaiveDateTime>,
    pub deactivated_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl User {
    /// An unknown role string in the database is treated as no access at all.
    pub fn role(&self) -> Option<Role> {
        self.role.parse().ok()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("that e-mail address is not valid")]
    InvalidEmail,
    #[error("the password is not acceptable: {0:?}")]
    WeakPassword(password::PasswordProblem),
    #[error("an account with that e-mail address exists")]
    EmailTaken,
    #[error("unknown language")]
    InvalidLanguage,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<diesel::result::Error> for AccountError {
    fn from(e: diesel::result::Error) -> Self {
        match e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                Self::EmailTaken
            }
            other => Self::Storage(other.into()),
        }
    }
}

/// E-mail addresses are compared lower-cased and trimmed.
pub fn normalise_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let valid = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>' || c == ',');
    valid.then_some(email)
}

pub struct NewUser {
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub password: String,
    pub language: String,
    pub provider_id: Option<i64>,
}

/// Creates a user after checking the address and the password policy. The password
/// is hashed here, so call this off the async executor.
pub fn create_user(
    conn: &mut DbConnection,
    new: NewUser,
    now: NaiveDateTime,
    email_confirmed: bool,
) -> Result<i64, AccountError> {
    let email = normalise_email(&new.email).ok_or(AccountError::InvalidEmail)?;
    password::check_new_password(&new.password, &email).map_err(AccountError::WeakPassword)?;
    crate::i18n::Language::from_code(&new.language).ok_or(AccountError::InvalidLanguage)?;
    let hash = password::hash_password(&new.password);
    insert_user(
        conn,
        &email,
        new.display_name.trim(),
        &hash,
        new.role,
        new.provider_id,
        &new.language,
        email_confirmed.then_some(now),
        now,
    )
}

#[expect(clippy::too_many_arguments, reason = "a plain row insert")]
pub fn insert_user(
    conn: &mut DbConnection,
    email: &str,
    display_name: &str,
    password_hash: &str,
    role: Role,
    provider_id: Option<i64>,
    language: &str,
    email_confirmed_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Result<i64, AccountError> {
    Ok(diesel::insert_into(users::table)
        .values((
            users::email.eq(email),
            users::display_name.eq(display_name),
            users::password_hash.eq(password_hash),
            users::role.eq(role.as_str()),
            users::provider_id.eq(provider_id),
            users::language.eq(language),
            users::email_confirmed_at.eq(email_confirmed_at),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(users::id)
        .get_result(conn)?)
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn update_password_hash(conn: &mut DbConnection, user_id: i64, hash: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// The account an e-mail address names, if any, for a sign-in: its password is checked next with
/// `password::verify` (always, also without an account, so timing does not tell), outside the
/// database connection.
pub fn find_for_sign_in(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
    match normalise_email(email) {
        Some(email) => find_by_email(conn, &email),
        None => Ok(None),
    }
}

pub struct NewSession<'a> {
    pub user_id: i64,
    pub user_agent: &'a str,
    pub client_ip: &'a str,
}

/// Stores a session and returns its id, which the session token carries.
pub fn start_session(
    conn: &mut DbConnection,
    new: NewSession<'_>,
    now: NaiveDateTime,
    max_lifetime: TimeDelta,
) -> QueryResult<String> {
    let id = tokens::random_id();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(&id),
            sessions::user_id.eq(new.user_id),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now + max_lifetime),
            sessions::user_agent.eq(truncate(new.user_agent, 300)),
            sessions::client_ip.eq(truncate(new.client_ip, 64)),
        ))
        .execute(conn)?;
    Ok(id)
}

fn truncate(value: &str, max_chars: usize) -> String {
    value.chars().take(max_chars).collect()
}

/// The user of a live session: not revoked, not past its maximum lifetime, user active.
pub fn load_session_user(conn: &mut DbConnection, session_id: &str, now: NaiveDateTime) -> QueryResult<Option<User>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(session_id))
        .filter(sessions::revoked_at.is_null())
        .filter(sessions::expires_at.gt(now))
        .filter(users::deactivated_at.is_null())
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn touch_session(conn: &mut DbConnection, session_id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(sessions::table.find(session_id))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)?;
    Ok(())
}

pub fn revoke_session(conn: &mut DbConnection, session_id: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(sessions::table.find(session_id).filter(sessions::revoked_at.is_null()))
        .set(sessions::revoked_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// Ends every session of a user (sign-out everywhere, password change, deactivation).
pub fn revoke_all_sessions(conn: &mut DbConnection, user_id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)
}

pub fn find_by_id(conn: &mut DbConnection, user_id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(user_id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Records that a single-use token was used. `false` when it had been used before.
pub fn use_token_once(conn: &mut DbConnection, jti: &str, now: NaiveDateTime) -> QueryResult<bool> {
    use crate::db::schema::used_tokens;
    match diesel::insert_into(used_tokens::table)
        .values((used_tokens::jti.eq(jti), used_tokens::used_at.eq(now)))
        .execute(conn)
    {
        Ok(_) => Ok(true),
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Confirms `email` for the user: their address becomes it (an e-mail change takes effect here).
pub fn confirm_email(conn: &mut DbConnection, user_id: i64, email: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(user_id))
        .set((
            users::email.eq(email),
            users::email_confirmed_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn set_preferences(
    conn: &mut DbConnection,
    user_id: i64,
    language: &str,
    notify_by_email: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set((
            users::language.eq(language),
            users::notify_by_email.eq(notify_by_email),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Ends every session of the user except `keep` (after a password change in that session).
pub fn revoke_other_sessions(
    conn: &mut DbConnection,
    user_id: i64,
    keep: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::id.ne(keep))
            .filter(sessions::revoked_at.is_null()),
    )
    .set(sessions::revoked_at.eq(now))
    .execute(conn)
}

/// Deactivates a user; their sessions end at once.
pub fn deactivate(conn: &mut DbConnection, user_id: i64, now: NaiveDateTime) -> QueryResult<()> {
    crate::db::write_transaction(conn, |conn| {
        diesel::update(users::table.find(user_id))
            .set((users::deactivated_at.eq(now), users::updated_at.eq(now)))
            .execute(conn)?;
        revoke_all_sessions(conn, user_id, now)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses_are_normalised_and_checked() {
        assert_eq!(
            normalise_email("  Jan.Jansen@Example.NL "),
            Some("jan.jansen@example.nl".into())
        );
        assert_eq!(normalise_email("no-at-sign"), None);
        assert_eq!(normalise_email("a@localhost"), None);
        assert_eq!(normalise_email("a b@example.nl"), None);
        assert_eq!(normalise_email("@example.nl"), None);
        assert_eq!(normalise_email("a@b.nl, c@d.nl"), None);
    }

    #[test]
    fn roles_round_trip_through_their_stored_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("superuser".parse::<Role>().is_err());
    }
}
