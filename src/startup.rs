//! Building the application: settings → database (migrated) → shared state → HTTP
//! server (+ the in-process worker). Tests call [`Application::build`] with port 0.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use handlebars::Handlebars;
use prometheus::{IntGauge, Registry};
use tracing_actix_web::TracingLogger;

use crate::accounts::{self, tokens::TokenKeys};
use crate::cases::moderation::{self, WordList};
use crate::db::Database;
use crate::demo;
use crate::jobs::worker::{self, Shutdown};
use crate::mail::Mailer;
use crate::mail::templates::EmailTemplates;
use crate::registry;
use crate::settings::Settings;
use crate::web::error::AppError;
use crate::web::{error_pages, health, home, security, templates as page_templates};

/// What every request handler and the worker share. Cheap to clone.
pub struct AppState {
    pub db: Database,
    pub settings: Arc<Settings>,
    pub templates: Arc<Handlebars<'static>>,
    pub keys: Arc<TokenKeys>,
    pub emails: Arc<EmailTemplates>,
    pub moderation: Arc<WordList>,
    pub metrics: Metrics,
    /// Statistics kept for the hour (`statistics::cache`).
    pub figures: Arc<crate::statistics::cache::FiguresCache>,
    /// Scheme rules by version (`cases::transition::RulesCache`).
    pub rules: Arc<crate::cases::transition::RulesCache>,
    /// The schemes' codes and names (`registry::scheme_list`).
    pub schemes: Arc<crate::registry::scheme_list::SchemeListCache>,
    /// The register's search answers by revision (`publication::cache`).
    pub register: Arc<crate::publication::cache::RegisterCache>,
    /// The membership check's reads, kept per node under the registry's revision.
    pub registry: Arc<crate::registry::cache::CheckCache>,
    /// Each address's allowance of public requests on this node (`web::public_limit`).
    pub public_limit: Arc<crate::web::public_limit::PublicLimit>,
}

impl AppState {
    /// An absolute link for e-mails.
    pub fn link(&self, path_and_query: &str) -> String {
        format!("{}{}", self.settings.base_url(), path_and_query)
    }
}

#[derive(Clone)]
pub struct Metrics {
    pub registry: Registry,
    pub job_queue_depth: IntGauge,
}

impl Metrics {
    fn new(db: &Database) -> Self {
        let registry = Registry::new();
        registry
            .register(Box::new(db.statements().clone()))
            .expect("metric registered once");
        let job_queue_depth =
            IntGauge::new("portal_job_queue_depth", "Jobs waiting in the durable job table").expect("valid metric");
        registry
            .register(Box::new(job_queue_depth.clone()))
            .expect("metric registered once");
        Self {
            registry,
            job_queue_depth,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    #[error(transparent)]
    Storage(#[from] crate::db::StorageError),
    #[error("templates: {0}")]
    Templates(#[from] Box<handlebars::TemplateError>),
    #[error("mail: {0}")]
    Mail(String),
    #[error("cannot listen on {address}: {source}")]
    Bind { address: String, source: std::io::Error },
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Everything the background worker needs; also what `worker` runs alone.
#[derive(Clone)]
pub struct WorkerContext {
    pub db: Database,
    pub mailer: Arc<Mailer>,
    pub emails: Arc<EmailTemplates>,
    pub settings: Arc<Settings>,
    pub metrics: Metrics,
}

impl WorkerContext {
    pub async fn build(settings: &Settings) -> Result<Self, StartupError> {
        let db = Database::new(&settings.database_url, 4)?;
        let migrate_db = db.clone();
        tokio::task::spawn_blocking(move || migrate_db.migrate())
            .await
            .expect("migration task")?;
        Ok(Self {
            metrics: Metrics::new(&db),
            db,
            mailer: Arc::new(Mailer::from_settings(settings).map_err(StartupError::Mail)?),
            emails: Arc::new(EmailTemplates::build().map_err(Box::new)?),
            settings: Arc::new(settings.clone()),
        })
    }
}

pub struct Application {
    port: u16,
    host: String,
    server: Server,
    worker: Option<(tokio::task::JoinHandle<()>, Shutdown)>,
    state: web::Data<AppState>,
}

impl Application {
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let settings = Arc::new(settings);
        let db = Database::new(&settings.database_url, settings.database_max_connections)?;
        let keys = Arc::new(TokenKeys::new(settings.jwt_secret()?));
        let templates = Arc::new(page_templates::build().map_err(Box::new)?);
        let emails = Arc::new(EmailTemplates::build().map_err(Box::new)?);
        let moderation = Arc::new(match &settings.moderation_words_file {
            Some(path) => WordList::parse(&std::fs::read_to_string(path)?),
            None => moderation::default_list(),
        });
        let metrics = Metrics::new(&db);

        let startup_db = db.clone();
        let load_demo = settings.demo;
        let demo_report = tokio::task::spawn_blocking(move || -> Result<_, StartupError> {
            let applied = startup_db.migrate()?;
            if !applied.is_empty() {
                tracing::info!(count = applied.len(), "applied migrations");
            }
            registry::queries::index_missing_search_terms(&mut *startup_db.get()?)
                .map_err(crate::db::StorageError::from)?;
            Ok(if load_demo {
                demo::load_if_empty(&startup_db)?
            } else {
                None
            })
        })
        .await
        .expect("startup task")?;
        demo::print_report(demo_report.as_ref());

        let listener = TcpListener::bind(&settings.bind).map_err(|source| StartupError::Bind {
            address: settings.bind.clone(),
            source,
        })?;
        let local = listener.local_addr()?;
        let state = web::Data::new(AppState {
            db: db.clone(),
            settings: settings.clone(),
            templates,
            keys,
            emails: emails.clone(),
            moderation,
            metrics: metrics.clone(),
            figures: Default::default(),
            rules: Default::default(),
            schemes: Default::default(),
            register: Arc::new(crate::publication::cache::RegisterCache::with_ranking_turns(
                settings.ranking_turns() as usize,
            )),
            registry: Default::default(),
            public_limit: Arc::new(crate::web::public_limit::PublicLimit::per_minute(
                settings.public_requests_per_minute,
            )),
        });

        let prometheus = PrometheusMetricsBuilder::new("portal")
            .registry(metrics.registry.clone())
            .endpoint("/metrics")
            .mask_unmatched_patterns("UNKNOWN")
            .build()
            .map_err(|e| StartupError::Mail(format!("metrics: {e}")))?;
        let server = build_server(listener, state.clone(), prometheus)?;

        let worker = if settings.worker_in_process {
            let context = WorkerContext {
                db,
                mailer: Arc::new(Mailer::from_settings(&settings).map_err(StartupError::Mail)?),
                emails: emails.clone(),
                settings: settings.clone(),
                metrics,
            };
            let shutdown = Shutdown::new();
            let handle = tokio::spawn(worker::run(context, shutdown.clone()));
            Some((handle, shutdown))
        } else {
            None
        };
        Ok(Self {
            port: local.port(),
            host: local.ip().to_string(),
            server,
            worker,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("http://{}:{}", self.host, self.port)
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGINT/SIGTERM, then lets requests in flight and the current job finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some((handle, shutdown)) = self.worker {
            shutdown.trigger();
            let _ = tokio::time::timeout(Duration::from_secs(30), handle).await;
        }
        result
    }
}

fn build_server(
    listener: TcpListener,
    state: web::Data<AppState>,
    prometheus: PrometheusMetrics,
) -> Result<Server, StartupError> {
    let https = state.settings.uses_https();
    let blocking_threads = state.settings.database_max_connections as usize + 2;
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::FormConfig::default().limit(256 * 1024))
            .app_data(
                web::JsonConfig::default()
                    .limit(256 * 1024)
                    .error_handler(|error, _| AppError::BadRequest(error.to_string()).into()),
            )
            .app_data(
                web::QueryConfig::default().error_handler(|error, _| AppError::BadRequest(error.to_string()).into()),
            )
            // A path segment that is no id (`/zaken/abc`, an id past i64) names nothing: the
            // same 404 as an unknown id, as a page or a problem document, not actix's plain text.
            .app_data(web::PathConfig::default().error_handler(|_, _| AppError::NotFound.into()))
            .wrap(from_fn(security::renew_session_cookie))
            .wrap(from_fn(security::origin_check))
            .wrap(error_pages::middleware())
            .wrap(security::headers(https))
            .wrap(Compress::default())
            .wrap(prometheus.clone())
            .wrap(TracingLogger::default())
            .service(health::healthz)
            .service(health::readyz)
            .service(home::home)
            .service(home::switch_language)
            .service(home::static_file)
            .configure(accounts::handlers::routes)
            .configure(crate::cases::handlers::routes)
            .configure(crate::cases::assignments::routes)
            .configure(crate::cases::extensions::routes)
            .configure(crate::cases::api::routes)
            .configure(crate::offers::handlers::routes)
            .configure(crate::hearings::handlers::routes)
            .configure(crate::rulings::handlers::routes)
            .configure(crate::compliance::handlers::routes)
            .configure(registry::handlers::routes)
            .configure(registry::admin::routes)
            .configure(crate::intake::handlers::routes)
            .configure(crate::intake::case_page::routes)
            .configure(crate::intake::api::routes)
            .configure(crate::publication::handlers::routes)
            .configure(crate::statistics::handlers::routes)
            .configure(crate::report::handlers::routes)
            .configure(crate::webhooks::handlers::routes)
            .configure(crate::privacy::handlers::routes)
            .configure(crate::openapi::routes)
            .default_service(web::to(home::not_found))
    })
    .shutdown_timeout(30)
    // A worker's blocking threads run database trips (at most one per connection, `Database::run`)
    // and argon2 (one at a time). tokio's default of 256 per worker let busy workers keep ~90
    // threads, each with its allocator's memory (docs/PERFORMANCE.md, item 14).
    .worker_max_blocking_threads(blocking_threads)
    .listen(listener)?
    .run();
    Ok(server)
}
