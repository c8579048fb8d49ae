//! The command line: `serve` (the default), `migrate`, `worker`, `demo` and
//! `admin create-user`. Each subcommand loads the settings and calls into the library.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::accounts::{self, NewUser, Role};
use crate::db::Database;
use crate::settings::Settings;
use crate::{demo, jobs, startup, telemetry};

#[derive(Debug, Parser)]
#[command(name = "geschillenportaal", version, about = "Consumer dispute-resolution portal")]
pub struct Cli {
    /// Configuration file (optional; PORTAL_* environment variables override it).
    #[arg(long, global = true, default_value = "portal.toml", env = "PORTAL_CONFIG")]
    pub config: PathBuf,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the portal (and, by default, run the background worker in-process).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Run only the background worker (e-mail outbox, reminders), for scale-out.
    Worker,
    /// Load the demo data into an empty database and print the demo accounts.
    Demo,
    /// Administrative tasks.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Fill an empty database with a large generated dataset for the load benchmark
    /// (docs/PERFORMANCE.md); every account's password is printed at the end.
    BenchData(BenchDataArgs),
}

#[derive(Debug, Args)]
pub struct BenchDataArgs {
    #[arg(long, default_value_t = 2_000)]
    pub providers: usize,
    #[arg(long, default_value_t = 20_000)]
    pub consumers: usize,
    #[arg(long, default_value_t = 100_000)]
    pub cases: usize,
    #[arg(long, default_value_t = 1_000_000)]
    pub messages: usize,
    /// Words of each published ruling's text; 0 writes the two sentences of the register before
    /// session 15 (docs/PERFORMANCE.md).
    #[arg(long, default_value_t = 1_500)]
    pub ruling_words: usize,
}

#[derive(Debug, Default, Args)]
pub struct ServeArgs {
    /// Load demo data first when the database is empty.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a user, e.g. the first administrator.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_role, default_value = "admin")]
        role: Role,
        /// Read from the environment so it stays out of the shell history.
        #[arg(long, env = "PORTAL_NEW_USER_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "nl")]
        language: String,
    },
}

fn parse_role(value: &str) -> Result<Role, String> {
    value
        .parse()
        .map_err(|_| "one of: consumer, provider_staff, mediator, secretariat, admin".to_owned())
}

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Settings(#[from] crate::settings::SettingsError),
    #[error(transparent)]
    Storage(#[from] crate::db::StorageError),
    #[error(transparent)]
    Startup(#[from] startup::StartupError),
    #[error(transparent)]
    Account(#[from] accounts::AccountError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Bench(#[from] crate::bench::BenchError),
}

pub async fn run(cli: Cli) -> Result<(), CliError> {
    let mut settings = Settings::load(&cli.config)?;
    telemetry::init(&settings);
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => {
            settings.demo |= args.demo;
            let app = startup::Application::build(settings).await?;
            tracing::info!(url = %app.url(), "serving the portal");
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            let db = Database::new(&settings.database_url, 2)?;
            let applied = tokio::task::spawn_blocking(move || db.migrate())
                .await
                .expect("migration task")?;
            println!("applied {} migration(s)", applied.len());
        }
        Command::Worker => {
            let context = startup::WorkerContext::build(&settings).await?;
            jobs::worker::run_until_signal(context).await;
        }
        Command::Demo => {
            let db = Database::new(&settings.database_url, 2)?;
            let report = tokio::task::spawn_blocking(move || -> Result<_, CliError> {
                db.migrate()?;
                Ok(demo::load_if_empty(&db)?)
            })
            .await
            .expect("demo task")?;
            demo::print_report(report.as_ref());
        }
        Command::BenchData(args) => {
            let db = Database::new(&settings.database_url, 2)?;
            let size = crate::bench::BenchSize {
                providers: args.providers.max(1),
                consumers: args.consumers.max(1),
                cases: args.cases.max(1),
                messages: args.messages,
                ruling_words: args.ruling_words,
            };
            let started = std::time::Instant::now();
            let report = tokio::task::spawn_blocking(move || -> Result<_, CliError> {
                db.migrate()?;
                Ok(crate::bench::generate(&db, size, |step| {
                    println!("[{:>6.1} s] {step}", started.elapsed().as_secs_f64())
                })?)
            })
            .await
            .expect("bench-data task")?;
            println!("done in {:.1} s", started.elapsed().as_secs_f64());
            println!("password of every account: {}", crate::bench::BENCH_PASSWORD);
            println!("BENCH_CONSUMER={}", report.consumer_email);
            println!("BENCH_CASE_ID={}", report.consumer_case_id);
            println!("BENCH_STAFF={}", report.staff_email);
            println!("BENCH_PROVIDER_KVK={}", report.provider_kvk);
            println!("BENCH_PROVIDER_ID={}", report.provider_id);
            println!("BENCH_CONSUMERS={}", report.consumers);
            println!("BENCH_RULING_WORDS={}", args.ruling_words);
            // Datasets from before session 15 have their SQLite word index in a dozen pieces.
            println!("BENCH_INDEX_MERGED=1");
        }
        Command::Admin(AdminCommand::CreateUser {
            email,
            name,
            role,
            password,
            language,
        }) => {
            let db = Database::new(&settings.database_url, 2)?;
            let user = NewUser {
                email,
                display_name: name,
                role,
                password,
                language,
                provider_id: None,
            };
            let id = tokio::task::spawn_blocking(move || -> Result<i64, CliError> {
                db.migrate()?;
                let mut conn = db.get()?;
                Ok(accounts::create_user(
                    &mut conn,
                    user,
                    chrono::Utc::now().naive_utc(),
                    true,
                )?)
            })
            .await
            .expect("create-user task")?;
            println!("created user {id}");
        }
    }
    Ok(())
}
