//! Configuration: one typed struct. Defaults, then an optional `portal.toml`, then
//! `PORTAL_*` environment variables (e.g. `PORTAL_DATABASE_URL`). Every setting is
//! described in `docs/CONFIGURATION.md`.

use std::path::{Path, PathBuf};

use base64::Engine;
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Address and port the HTTP server listens on.
    pub bind: String,
    /// The address users reach the portal at; used in e-mail links, cookies' `Secure` flag and the Origin check.
    pub base_url: String,
    /// Folder for the SQLite file, generated secrets, uploads and mail files (by default).
    pub data_dir: PathBuf,
    pub database_url: String,
    /// Connections in the pool, which is also how many database trips run at once; 8 by default on
    /// both backends. SQLite's statements run on the node's own cores (one writer at a time), so more
    /// connections than a few per core only add memory (each its own page cache and full-text
    /// buffers) and queueing: on two cores, 8 served every benchmarked page as fast or faster than 16
    /// and ended the run at 120 MB instead of 152 (docs/PERFORMANCE.md, item 20). On PostgreSQL, 16
    /// connections kept 16 server processes busy beside the node: cached pages' p99 went from 14–18 ms
    /// with 8 to 49–238 ms with 16, none faster (item 23). A smaller pool per node also leaves
    /// PostgreSQL's `max_connections` room for more nodes.
    pub database_max_connections: u32,
    /// Signing key of session and e-mail tokens. Generated into the data folder when unset.
    pub jwt_secret: Option<SecretString>,
    /// Lifetime of a session token; renewed while the user is active.
    pub session_token_minutes: i64,
    /// A session ends after this long even when active.
    pub session_max_hours: i64,
    /// `text` or `json`.
    pub log_format: LogFormat,
    /// tracing filter, e.g. `info,geschillenportaal=debug`.
    pub log_filter: String,
    pub smtp_host: Option<String>,
    pub smtp_port: u16,
    pub smtp_tls: SmtpTls,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<SecretString>,
    pub mail_from: String,
    /// Where e-mails are written when no SMTP host is set. Defaults to `<data_dir>/mail`.
    pub mail_dir: Option<PathBuf>,
    /// Where uploaded documents are stored; must be shared by all nodes. Defaults to `<data_dir>/uploads`.
    pub storage_dir: Option<PathBuf>,
    pub upload_max_bytes: usize,
    /// Run the background worker inside `serve` (the embedded default). Turn off on nodes
    /// that only serve pages when separate `worker` processes run.
    pub worker_in_process: bool,
    pub worker_poll_millis: u64,
    /// Proxies whose `X-Forwarded-For` is believed when rate limiting.
    pub trusted_proxies: Vec<String>,
    /// Requests to the public pages and API (register, membership check, statistics) one node
    /// allows an address a minute, as a burst refilled at that rate; 0 switches the limit off.
    pub public_requests_per_minute: u32,
    /// Searches of the register one node ranks afresh at once (the others wait for a turn); unset:
    /// half of `database_max_connections` ([`Settings::ranking_turns`], docs/SECURITY.md).
    pub register_ranking_turns: Option<u32>,
    /// Load demo data on start when the database is empty.
    pub demo: bool,
    /// A word list (one per line) that holds case messages for moderation; the built-in
    /// Dutch, English and Polish list when unset.
    pub moderation_words_file: Option<PathBuf>,
    /// Allow webhook endpoints over plain HTTP to the loopback address (tests and development only).
    pub webhooks_allow_http_loopback: bool,
    /// Closed cases are anonymised by the worker this many days after closing (0 switches it off).
    pub retention_days_after_closing: i64,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (port 587).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a server on the same machine or in tests.
    None,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            base_url: "http://127.0.0.1:8080".into(),
            data_dir: PathBuf::from("data"),
            database_url: "sqlite://data/portal.db".into(),
            database_max_connections: 8,
            jwt_secret: None,
            session_token_minutes: 20,
            session_max_hours: 12,
            log_format: LogFormat::Text,
            log_filter: "info".into(),
            smtp_host: None,
            smtp_port: 587,
            smtp_tls: SmtpTls::Starttls,
            smtp_username: None,
            smtp_password: None,
            mail_from: "Geschillenportaal <noreply@geschillenportaal.localhost>".into(),
            mail_dir: None,
            storage_dir: None,
            upload_max_bytes: 10 * 1024 * 1024,
            worker_in_process: true,
            worker_poll_millis: 1000,
            trusted_proxies: Vec::new(),
            public_requests_per_minute: 300,
            register_ranking_turns: None,
            demo: false,
            moderation_words_file: None,
            webhooks_allow_http_loopback: false,
            retention_days_after_closing: 730,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("invalid configuration: {0}")]
    Invalid(#[from] Box<figment::Error>),
    #[error("cannot read or write the generated secret at {path}: {source}")]
    Secret { path: PathBuf, source: std::io::Error },
    #[error("invalid configuration: {0}")]
    Value(String),
}

impl Settings {
    /// Defaults, then the TOML file (if it exists), then `PORTAL_*` variables.
    pub fn load(config_file: &Path) -> Result<Self, SettingsError> {
        let settings: Settings = Figment::new()
            .merge(Toml::file(config_file))
            // PORTAL_CONFIG names the file itself (read by the command line), it is not a setting.
            .merge(Env::prefixed("PORTAL_").ignore(&["config"]))
            .extract()
            .map_err(Box::new)?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), SettingsError> {
        if !(self.base_url.starts_with("http://") || self.base_url.starts_with("https://")) {
            return Err(SettingsError::Value(
                "base_url must start with http:// or https://".into(),
            ));
        }
        if self.retention_days_after_closing < 0 {
            return Err(SettingsError::Value(
                "retention_days_after_closing must be 0 (off) or more".into(),
            ));
        }
        if self.database_max_connections < 1 {
            return Err(SettingsError::Value(
                "database_max_connections must be 1 or more".into(),
            ));
        }
        if self.register_ranking_turns == Some(0) {
            return Err(SettingsError::Value(
                "register_ranking_turns must be 1 or more (unset: half of database_max_connections)".into(),
            ));
        }
        if self.session_token_minutes < 1 || self.session_max_hours < 1 {
            return Err(SettingsError::Value("session lifetimes must be positive".into()));
        }
        Ok(())
    }

    /// Searches of the register one node ranks afresh at once: as set, or half of the pool's
    /// connections (at least one), so that such searches never hold more than half of them. With
    /// fewer turns a storm of them left more to the other pages, but searches never asked before
    /// ran 20–30% slower on their own (docs/PERFORMANCE.md item 34).
    pub fn ranking_turns(&self) -> u32 {
        self.register_ranking_turns
            .unwrap_or((self.database_max_connections / 2).max(1))
    }

    pub fn base_url(&self) -> &str {
        self.base_url.trim_end_matches('/')
    }

    pub fn uses_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    pub fn mail_dir(&self) -> PathBuf {
        self.mail_dir.clone().unwrap_or_else(|| self.data_dir.join("mail"))
    }

    pub fn storage_dir(&self) -> PathBuf {
        self.storage_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("uploads"))
    }

    /// The configured signing key, or one generated on first start and kept in the data
    /// folder (mode 0600), so that restarts keep sessions valid.
    pub fn jwt_secret(&self) -> Result<SecretString, SettingsError> {
        if let Some(secret) = &self.jwt_secret {
            if secret.expose_secret().len() < 32 {
                return Err(SettingsError::Value("jwt_secret must be at least 32 characters".into()));
            }
            return Ok(secret.clone());
        }
        let path = self.data_dir.join("jwt-secret");
        let io_error = |source| SettingsError::Secret {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(existing) if existing.trim().len() >= 32 => return Ok(SecretString::from(existing.trim().to_owned())),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error(e)),
        }
        std::fs::create_dir_all(&self.data_dir).map_err(io_error)?;
        let mut bytes = [0u8; 48];
        rand::rng().fill_bytes(&mut bytes);
        let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        write_private_file(&path, &secret).map_err(io_error)?;
        tracing::info!(path = %path.display(), "generated a new signing key");
        Ok(SecretString::from(secret))
    }
}

fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
#[expect(clippy::result_large_err, reason = "figment's Jail API returns figment::Error")]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let settings = Settings {
            jwt_secret: Some(SecretString::from(
                "a-very-secret-signing-key-of-forty-chars".to_owned(),
            )),
            smtp_password: Some(SecretString::from("smtp-password-123".to_owned())),
            ..Settings::default()
        };
        let printed = format!("{settings:?}");
        assert!(!printed.contains("a-very-secret"));
        assert!(!printed.contains("smtp-password-123"));
    }

    #[test]
    fn environment_overrides_file_and_defaults() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("portal.toml", "bind = \"0.0.0.0:9000\"\ndatabase_max_connections = 4\n")?;
            jail.set_env("PORTAL_DATABASE_MAX_CONNECTIONS", "7");
            let settings = Settings::load(Path::new("portal.toml")).expect("loads");
            assert_eq!(settings.bind, "0.0.0.0:9000");
            assert_eq!(settings.database_max_connections, 7);
            assert_eq!(settings.database_url, "sqlite://data/portal.db");
            Ok(())
        });
    }

    #[test]
    fn the_pool_has_eight_connections_unless_set_and_never_none() {
        assert_eq!(Settings::default().database_max_connections, 8);
        let none = Settings {
            database_max_connections: 0,
            ..Settings::default()
        };
        assert!(matches!(none.validate(), Err(SettingsError::Value(m)) if m.contains("database_max_connections")));
    }

    #[test]
    fn the_register_ranks_in_turns_for_half_the_pool_unless_set_and_never_in_none() {
        figment::Jail::expect_with(|jail| {
            let defaults = Settings::load(Path::new("none.toml")).expect("defaults");
            assert_eq!((defaults.register_ranking_turns, defaults.ranking_turns()), (None, 4));
            jail.set_env("PORTAL_DATABASE_MAX_CONNECTIONS", "1");
            assert_eq!(Settings::load(Path::new("none.toml")).expect("one").ranking_turns(), 1);
            jail.set_env("PORTAL_REGISTER_RANKING_TURNS", "3");
            assert_eq!(Settings::load(Path::new("none.toml")).expect("set").ranking_turns(), 3);
            jail.set_env("PORTAL_REGISTER_RANKING_TURNS", "0");
            assert!(
                matches!(Settings::load(Path::new("none.toml")), Err(SettingsError::Value(m)) if m.contains("register_ranking_turns"))
            );
            Ok(())
        });
    }

    #[test]
    fn the_variable_naming_the_config_file_is_not_taken_for_a_setting() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("other.toml", "database_max_connections = 5\n")?;
            jail.set_env("PORTAL_CONFIG", "other.toml");
            let settings = Settings::load(Path::new("other.toml")).expect("loads");
            assert_eq!(settings.database_max_connections, 5);
            Ok(())
        });
    }

    #[test]
    fn unknown_settings_are_refused_so_typos_do_not_pass_silently() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("portal.toml", "databse_url = \"postgres://x\"\n")?;
            assert!(Settings::load(Path::new("portal.toml")).is_err());
            Ok(())
        });
    }

    #[test]
    fn a_generated_secret_is_kept_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let settings = Settings {
            data_dir: dir.path().to_owned(),
            ..Settings::default()
        };
        let first = settings.jwt_secret().unwrap();
        let second = settings.jwt_secret().unwrap();
        assert_eq!(first.expose_secret(), second.expose_secret());
        assert!(first.expose_secret().len() >= 32);
    }
}
