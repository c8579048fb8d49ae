//! The background worker: claims due jobs one at a time and runs them. `serve` runs one
//! in-process; `worker` runs one alone. Several may run against one PostgreSQL database.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use super::{ClaimedJob, OutgoingEmail, SEND_EMAIL};
use crate::db::{DatabaseTarget, StorageError};
use crate::publication::index_upkeep::{IndexUpkeep, MergeProgress, merge_index};
use crate::startup::WorkerContext;

/// Asks a worker to stop after its current job.
#[derive(Clone)]
pub struct Shutdown {
    sender: Arc<watch::Sender<bool>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    pub fn new() -> Self {
        Self {
            sender: Arc::new(watch::channel(false).0),
        }
    }

    pub fn trigger(&self) {
        self.sender.send_replace(true);
    }

    fn is_triggered(&self) -> bool {
        *self.sender.borrow()
    }

    /// Sleeps for `duration` or until shutdown, whichever comes first.
    async fn sleep(&self, duration: Duration) {
        let mut receiver = self.sender.subscribe();
        let _ = tokio::time::timeout(duration, receiver.wait_for(|stop| *stop)).await;
    }
}

/// How often a worker looks at deadlines and purges old rate-limit windows.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(60);

/// How long a round of housekeeping may spend deriving the statistics of changed cases: a usual
/// minute's changes take milliseconds; a backlog (all cases, after the migration that added the
/// aggregates) is worked off over several rounds, so e-mail does not wait long behind it.
const FIGURES_CATCH_UP_BUDGET: Duration = Duration::from_secs(10);

/// How long a round of housekeeping may spend merging the register's word index (SQLite): the whole
/// merge of a 100,000-case register takes ~1.5 s; a larger one is finished over several rounds.
const INDEX_MERGE_BUDGET: Duration = Duration::from_secs(5);

pub async fn run(context: WorkerContext, shutdown: Shutdown) {
    let worker_id = format!("{}-{}", std::process::id(), &crate::accounts::tokens::random_id()[..8]);
    let poll = Duration::from_millis(context.settings.worker_poll_millis);
    tracing::info!(worker_id, "background worker started");
    let mut last_housekeeping: Option<std::time::Instant> = None;
    let mut index_upkeep = IndexUpkeep::default();
    while !shutdown.is_triggered() {
        if last_housekeeping.is_none_or(|at| at.elapsed() >= HOUSEKEEPING_EVERY) {
            last_housekeeping = Some(std::time::Instant::now());
            if let Err(error) = housekeeping(&context, Utc::now().naive_utc()).await {
                tracing::warn!(%error, "deadline check failed; will retry");
            }
            if let Err(error) = register_index_upkeep(&context, &mut index_upkeep, Utc::now().naive_utc()).await {
                tracing::warn!(%error, "merging the register's word index failed; will retry");
            }
        }
        match run_one(&context, &worker_id).await {
            Ok(true) => continue,
            Ok(false) => {
                update_queue_depth(&context).await;
                shutdown.sleep(poll).await;
            }
            Err(error) => {
                tracing::warn!(%error, "worker cannot reach the database; retrying");
                shutdown.sleep(poll * 5).await;
            }
        }
    }
    tracing::info!(worker_id, "background worker stopped");
}

/// Runs the worker until SIGINT or SIGTERM (the `worker` subcommand).
pub async fn run_until_signal(context: WorkerContext) {
    let shutdown = Shutdown::new();
    let handle = tokio::spawn(run(context, shutdown.clone()));
    wait_for_signal().await;
    shutdown.trigger();
    let _ = handle.await;
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Claims and runs one job. `Ok(false)` when none was due.
pub async fn run_one(context: &WorkerContext, worker_id: &str) -> Result<bool, StorageError> {
    let owner = worker_id.to_owned();
    let claimed = context
        .db
        .run(move |conn| Ok::<_, StorageError>(super::claim_next(conn, &owner, Utc::now().naive_utc())?))
        .await?;
    let Some(job) = claimed else {
        return Ok(false);
    };
    let outcome = execute(context, &job).await;
    let owner = worker_id.to_owned();
    let (id, attempts, kind) = (job.id, job.attempts, job.kind.clone());
    match outcome {
        Ok(()) => {
            context
                .db
                .run(move |conn| Ok::<_, StorageError>(super::finish(conn, id, &owner)?))
                .await?;
            tracing::info!(job_id = id, kind, attempts, "job done");
        }
        Err(error) => {
            tracing::warn!(job_id = id, kind, attempts, %error, "job failed; will retry");
            let now = Utc::now().naive_utc();
            context
                .db
                .run(move |conn| Ok::<_, StorageError>(super::retry_later(conn, id, &owner, attempts, &error, now)?))
                .await?;
        }
    }
    Ok(true)
}

async fn execute(context: &WorkerContext, job: &ClaimedJob) -> Result<(), String> {
    match job.kind.as_str() {
        SEND_EMAIL => {
            let email: OutgoingEmail = serde_json::from_str(&job.payload).map_err(|e| format!("bad payload: {e}"))?;
            context.mailer.send(&email, job.id).await
        }
        crate::intake::drafts::WAITING_OVER_JOB => crate::intake::drafts::run_waiting_over(context, &job.payload).await,
        crate::webhooks::DELIVER_WEBHOOK => {
            crate::webhooks::deliver(
                &context.db,
                &job.payload,
                job.attempts,
                context.settings.webhooks_allow_http_loopback,
            )
            .await
        }
        other => Err(format!("unknown job kind {other}")),
    }
}

/// Deadlines (reminders and expiry steps), old rate-limit windows, and the statistics of changed cases.
pub async fn housekeeping(
    context: &WorkerContext,
    now: chrono::NaiveDateTime,
) -> Result<crate::cases::deadlines::Report, crate::cases::transition::TransitionFailure> {
    let emails = context.emails.clone();
    let base_url = context.settings.base_url().to_owned();
    let retention_days = context.settings.retention_days_after_closing;
    let storage_dir = context.settings.storage_dir();
    context
        .db
        .run(move |conn| -> Result<_, crate::cases::transition::TransitionFailure> {
            let report = crate::cases::deadlines::run(conn, &emails, &base_url, now)?;
            crate::offers::store::expire_due(conn, &emails, &base_url, now)?;
            crate::rulings::store::remind_ruling_terms(conn, &emails, &base_url, now)?;
            crate::accounts::rate_limit::purge(conn, now)?;
            crate::jobs::purge_keys(conn, now)?;
            let anonymised =
                crate::privacy::retention::run_with_storage(conn, retention_days, now, Some(&storage_dir))?;
            if anonymised > 0 {
                tracing::info!(cases = anonymised, "closed cases anonymised after the retention period");
            }
            let derived = crate::statistics::aggregates::catch_up(conn, FIGURES_CATCH_UP_BUDGET, now)?;
            if derived > 0 {
                tracing::info!(cases = derived, "statistics figures derived again for changed cases");
            }
            if report != crate::cases::deadlines::Report::default() {
                tracing::info!(
                    expired = report.expired,
                    reminders = report.reminders,
                    "deadlines handled"
                );
            }
            Ok(report)
        })
        .await
}

/// Merges the register's word index once the register has been quiet (SQLite only; see
/// `publication::index_upkeep`). `None` when it was not due (or the backend is PostgreSQL).
pub async fn register_index_upkeep(
    context: &WorkerContext,
    upkeep: &mut IndexUpkeep,
    now: chrono::NaiveDateTime,
) -> Result<Option<MergeProgress>, StorageError> {
    if !matches!(context.db.target(), DatabaseTarget::Sqlite(_)) {
        return Ok(None);
    }
    let revision = context
        .db
        .run(|conn| Ok::<_, StorageError>(crate::publication::cache::revision(conn)?))
        .await?;
    if !upkeep.due(revision, now) {
        return Ok(None);
    }
    let progress = context
        .db
        .run(|conn| Ok::<_, StorageError>(merge_index(conn, INDEX_MERGE_BUDGET)?))
        .await?;
    if progress.finished {
        upkeep.finished(revision);
    }
    if progress.slices > 0 {
        tracing::info!(
            slices = progress.slices,
            finished = progress.finished,
            "register's word index merged"
        );
    }
    Ok(Some(progress))
}

async fn update_queue_depth(context: &WorkerContext) {
    if let Ok(depth) = context
        .db
        .run(|conn| Ok::<_, StorageError>(super::queue_depth(conn)?))
        .await
    {
        context.metrics.job_queue_depth.set(depth);
    }
}
