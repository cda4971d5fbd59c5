//! Group commit. One writer task per instance takes every webhook waiting for it and stores
//! them in one transaction, then answers each after that commit: the commit (an fsync on
//! SQLite, the feed lock and a round trip on PostgreSQL) is paid once per batch instead of
//! once per event. Batches form by themselves: whatever arrived while the previous commit
//! was running. A batch that cannot be committed whole — an event that turns out
//! unprocessable, a conflict with another instance, any database error — is rolled back and
//! its events are stored one by one, each with the single-event rules and retries, so one
//! bad event never costs the others anything but time.

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr};
use tokio::sync::{mpsc, oneshot};

use super::{Outcome, Stored, ingest, store_in};
use crate::{
    domain::{NormalizedEvent, Provider},
    providers::{self, Authenticated, Unprocessable},
    reconcile::ReconSettings,
};

pub(super) struct Job {
    pub(super) provider: Provider,
    pub(super) auth: Authenticated,
    pub(super) received_at: DateTime<Utc>,
    pub(super) parsed: Result<NormalizedEvent, Unprocessable>,
    reply: oneshot::Sender<Result<Outcome, DbErr>>,
}

/// Events known applied, by (provider, idempotency key). `accepted` is final — nothing
/// ever changes it, on any instance — so a redelivery found here is answered without the
/// database. Bounded: an older key goes to the writer like a new event, and the inbox insert
/// finds it there (`bulk::applied_before`, or `store_in` for the per-event path). A read
/// before submitting would cost every new event a statement to find nothing; on PostgreSQL
/// that read, planned on a young table, was the slowest statement of the benchmark.
type Applied = quick_cache::sync::Cache<(&'static str, String), i64>;

/// Accepted events remembered for redeliveries (about 8 MB at most).
const REMEMBERED: usize = 65_536;

/// Submits webhooks to the instance's writer.
#[derive(Clone)]
pub struct Inbox {
    tx: mpsc::Sender<Job>,
    batches: Arc<AtomicU64>,
    set_based: Arc<AtomicU64>,
    applied: Arc<Applied>,
}

impl Inbox {
    /// Starts the writer; it stops when the last `Inbox` handle is dropped.
    pub fn start(
        db: DatabaseConnection,
        url: &str,
        statements: Arc<AtomicU64>,
        settings: ReconSettings,
        max_batch: usize,
    ) -> Inbox {
        let (tx, rx) = mpsc::channel(max_batch.max(1) * 4);
        let batches = Arc::new(AtomicU64::new(0));
        let set_based = Arc::new(AtomicU64::new(0));
        let url = url.to_owned();
        let counters = (batches.clone(), set_based.clone());
        // Its own thread: on the shared runtime the writer would wait behind every request
        // task after each of its statements, and it is the one thing that must not wait.
        let job = async move {
            let db = writer_connection(db, &url, statements).await;
            writer(db, settings, rx, max_batch.max(1), counters).await
        };
        let spawned = std::thread::Builder::new()
            .name("inbox-writer".into())
            .spawn(move || {
                match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt.block_on(job),
                    Err(e) => tracing::error!(error = %e, "cannot start the inbox writer"),
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the inbox writer");
        }
        Inbox {
            tx,
            batches,
            set_based,
            applied: Arc::new(Applied::new(REMEMBERED)),
        }
    }

    /// Webhooks waiting for the writer.
    pub fn waiting(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// Batches the writer has taken so far.
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    /// Batches committed set-based (`bulk.rs`) so far.
    pub fn set_based_batches(&self) -> u64 {
        self.set_based.load(Ordering::Relaxed)
    }

    /// Stores and applies one authenticated webhook; returns once the outcome is committed.
    #[tracing::instrument(skip_all, fields(provider = %provider, key = %auth.idempotency_key))]
    pub async fn submit(
        &self,
        provider: Provider,
        auth: Authenticated,
        received_at: DateTime<Utc>,
    ) -> Result<Outcome, DbErr> {
        let key = (provider.slug(), auth.idempotency_key.clone());
        if let Some(event_id) = self.applied.get(&key) {
            return Ok(Outcome::Duplicate { event_id });
        }
        // Parsed here, on the request's task, so the writer only writes.
        let parsed = providers::parse(provider, &auth.stored_body, received_at);
        let (reply, answer) = oneshot::channel();
        let job = Job {
            provider,
            auth,
            received_at,
            parsed,
            reply,
        };
        let stopped = || DbErr::Custom("the inbox writer is not running".into());
        self.tx.send(job).await.map_err(|_| stopped())?;
        let outcome = answer.await.map_err(|_| stopped())??;
        if let Outcome::Accepted { event_id, .. } = outcome {
            self.applied.insert(key, event_id);
        }
        Ok(outcome)
    }
}

/// The writer's own connection, so it does not wait for the request pool: PostgreSQL sockets
/// belong to the runtime that opened them, so its round trips are served by its own thread;
/// a SQLite file gets one connection of its own, whose thread shares the writer's CPU
/// (`cpu.rs`). (With the shared pool, 64 requests reading at once held its connections and
/// a batch's BEGIN waited 0.5–1 ms.) An in-memory database exists only in the shared pool.
async fn writer_connection(
    shared: DatabaseConnection,
    url: &str,
    statements: Arc<AtomicU64>,
) -> DatabaseConnection {
    let postgres = crate::store::is_postgres(&shared);
    if !postgres && crate::store::sqlite_path(url).is_none() {
        return shared;
    }
    let pinned = if postgres {
        None
    } else {
        super::cpu::pin_current_thread()
    };
    match crate::store::connect_writer(url).await {
        Ok(mut db) => {
            crate::store::count_statements(&mut db, statements);
            db
        }
        Err(e) => {
            tracing::warn!(error = %e, "the inbox writer shares the request pool");
            if let Some(p) = pinned {
                p.undo();
            }
            shared
        }
    }
}

async fn writer(
    db: DatabaseConnection,
    settings: ReconSettings,
    mut rx: mpsc::Receiver<Job>,
    max_batch: usize,
    (batches, set_based): (Arc<AtomicU64>, Arc<AtomicU64>),
) {
    let mut jobs = Vec::with_capacity(max_batch);
    while rx.recv_many(&mut jobs, max_batch).await > 0 {
        let batch = std::mem::take(&mut jobs);
        batches.fetch_add(1, Ordering::Relaxed);
        metrics::histogram!("refund_recon_ingest_batch_size").record(batch.len() as f64);
        // Its own task: a panic in one batch drops that batch's answers (each request then
        // answers 503 and the provider retries), and the writer goes on.
        let (db, settings, set_based) = (db.clone(), settings.clone(), set_based.clone());
        if let Err(e) =
            tokio::spawn(async move { store_batch(&db, &settings, batch, &set_based).await }).await
        {
            tracing::error!(error = %e, "an ingest batch failed");
        }
    }
}

async fn store_batch(
    db: &DatabaseConnection,
    settings: &ReconSettings,
    jobs: Vec<Job>,
    set_based: &AtomicU64,
) {
    // A single event goes the per-event way: nothing to share, and that path retries.
    if jobs.len() > 1 && super::bulk::eligible(&jobs) {
        match store_bulk(db, settings, &jobs).await {
            Ok(Some(outcomes)) => {
                set_based.fetch_add(1, Ordering::Relaxed);
                metrics::counter!("refund_recon_ingest_set_based_batches_total").increment(1);
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
                return;
            }
            Ok(None) => {}
            Err(e) => {
                tracing::debug!(error = %e, "set-based batch rolled back; storing it event by event")
            }
        }
    }
    if jobs.len() > 1 {
        match store_together(db, settings, &jobs).await {
            Ok(outcomes) => {
                for (job, outcome) in jobs.into_iter().zip(outcomes) {
                    let _ = job.reply.send(Ok(outcome));
                }
                return;
            }
            Err(e) => {
                tracing::debug!(error = %e, "batch rolled back; storing its events one by one")
            }
        }
    }
    for job in jobs {
        let outcome = ingest(db, job.provider, &job.auth, job.received_at, settings).await;
        let _ = job.reply.send(outcome);
    }
}

/// The batch set-based (`bulk.rs`), committed; `None` (rolled back) when it needs the
/// per-event path.
async fn store_bulk(
    db: &DatabaseConnection,
    settings: &ReconSettings,
    jobs: &[Job],
) -> Result<Option<Vec<Outcome>>, DbErr> {
    let txn = crate::store::begin_write(db).await?;
    match super::bulk::store(&txn, jobs, settings).await {
        Ok(Some(outcomes)) => {
            txn.commit().await?;
            Ok(Some(outcomes))
        }
        Ok(None) => {
            txn.rollback().await?;
            Ok(None)
        }
        Err(e) => {
            txn.rollback().await?;
            Err(e)
        }
    }
}

/// All events in one transaction, or none of them.
async fn store_together(
    db: &DatabaseConnection,
    settings: &ReconSettings,
    jobs: &[Job],
) -> Result<Vec<Outcome>, DbErr> {
    let txn = crate::store::begin_write(db).await?;
    let mut outcomes = Vec::with_capacity(jobs.len());
    for j in jobs {
        match store_in(
            &txn,
            j.provider,
            &j.auth,
            &j.parsed,
            j.received_at,
            settings,
        )
        .await?
        {
            Stored::Done(o) => outcomes.push(o),
            Stored::Unprocessable(reason) => {
                txn.rollback().await?;
                return Err(DbErr::Custom(format!(
                    "unprocessable event in batch: {reason}"
                )));
            }
        }
    }
    txn.commit().await?;
    Ok(outcomes)
}
