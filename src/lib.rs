//! refund-recon: refund webhooks from five providers, one normalized ledger of orders,
//! returns and refunds, and a GraphQL API for status, reconciliation and subscriptions.

pub mod commands;
pub mod config;
pub mod domain;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod ingest;
pub mod orderbook;
pub mod providers;
pub mod reconcile;
pub mod store;
pub mod telemetry;

use std::sync::{Arc, atomic::AtomicU64};

use anyhow::Context;
use metrics_exporter_prometheus::PrometheusHandle;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::config::Config;

/// Declared by the library, so tests and benchmarks measure the allocator the service runs.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Everything a request handler needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub providers: providers::Registry,
    pub metrics: PrometheusHandle,
    pub schema: graphql::AppSchema,
    /// Wakes subscribers after commits.
    pub notifier: events::Notifier,
    /// Stores webhooks, several per commit.
    pub inbox: ingest::Inbox,
    /// Fans refund status changes out to this instance's subscribers.
    pub refund_hub: events::hub::FeedHub<store::feed::RefundChange>,
    pub discrepancy_hub: events::hub::FeedHub<store::feed::DiscrepancyChange>,
    /// SQL statements run by this app (also exported as a Prometheus counter).
    pub statements: Arc<AtomicU64>,
}

/// A built application: connected, migrated, ready to serve.
pub struct App {
    pub state: AppState,
}

impl App {
    /// Connects to the database and applies migrations.
    pub async fn build(config: Config) -> anyhow::Result<App> {
        let mut db = store::connect(&config.database_url)
            .await
            .with_context(|| {
                format!(
                    "cannot open database {}",
                    config::redact_url(&config.database_url)
                )
            })?;
        store::migrate(&db)
            .await
            .context("cannot apply database migrations")?;
        let statements = Arc::new(AtomicU64::new(0));
        store::count_statements(&mut db, statements.clone());
        let config = Arc::new(config);
        let notifier = events::Notifier::default();
        let refund_hub = events::hub::FeedHub::new(config.feed_buffer);
        let discrepancy_hub = events::hub::FeedHub::new(config.feed_buffer);
        let schema = graphql::build_schema(&config.graphql)
            .data(db.clone())
            .data(config.clone())
            .data(notifier.clone())
            .data(refund_hub.clone())
            .data(discrepancy_hub.clone())
            .finish();
        let inbox = ingest::Inbox::start(
            db.clone(),
            &config.database_url,
            statements.clone(),
            config.recon.clone(),
            config.ingest_batch,
        );
        Ok(App {
            state: AppState {
                inbox,
                providers: providers::Registry::from_secrets(&config.providers),
                metrics: telemetry::metrics_handle(),
                db,
                config,
                schema,
                notifier,
                refund_hub,
                discrepancy_hub,
                statements,
            },
        })
    }

    /// Serves on an already bound listener (tests pass port 0) until Ctrl-C / SIGTERM.
    pub async fn serve(self, listener: TcpListener) -> anyhow::Result<()> {
        if self.state.config.api_keys.is_empty() {
            tracing::warn!(
                "no REFUND_RECON_API_KEYS configured: the GraphQL API is open to this machine"
            );
        }
        for p in domain::Provider::ALL {
            if !self.state.providers.is_enabled(p) {
                tracing::info!(provider = %p, variable = p.secret_variable(), "provider disabled");
            }
        }
        let sweeper = reconcile::sweep::spawn(
            self.state.db.clone(),
            self.state.config.recon.clone(),
            self.state.notifier.clone(),
        );
        let listener_task = self
            .state
            .notifier
            .listen_postgres(&self.state.config.database_url);
        let hub_tasks = self.start_hubs().await?;
        tracing::info!(address = %listener.local_addr()?, "listening");
        let router = http::router(self.state);
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("server error");
        sweeper.abort();
        for t in hub_tasks {
            t.abort();
        }
        if let Some(t) = listener_task {
            t.abort();
        }
        served
    }
}

impl App {
    /// Starts the subscription hubs' readers at the current end of the feeds.
    async fn start_hubs(&self) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
        let (db, notifier) = (&self.state.db, &self.state.notifier);
        let refunds = start_hub(
            &self.state.refund_hub,
            notifier,
            db,
            |db, after, limit| async move {
                let all = store::refunds::RefundQuery::default();
                store::feed::refund_changes(&db, &all, after, limit).await
            },
            |db| async move { store::feed::last_refund_change(&db).await },
        )
        .await?;
        let discrepancies = start_hub(
            &self.state.discrepancy_hub,
            notifier,
            db,
            |db, after, limit| async move {
                let all = sea_orm::Condition::all();
                store::feed::discrepancy_changes(&db, all, &[], after, limit).await
            },
            |db| async move { store::feed::last_discrepancy_change(&db).await },
        )
        .await?;
        Ok(vec![refunds, discrepancies])
    }
}

/// Starts `hub`'s reader at the current end of its feed: `read(db, after, limit)` reads a
/// page of every change, `end(db)` says where the feed ends.
async fn start_hub<T, R, RFut, E, EFut>(
    hub: &events::hub::FeedHub<T>,
    notifier: &events::Notifier,
    db: &DatabaseConnection,
    read: R,
    end: E,
) -> anyhow::Result<tokio::task::JoinHandle<()>>
where
    T: events::hub::FeedRow,
    R: Fn(DatabaseConnection, i64, u64) -> RFut + Send + Sync + 'static,
    RFut: std::future::Future<Output = Result<store::feed::FeedPage<T>, sea_orm::DbErr>> + Send,
    E: Fn(DatabaseConnection) -> EFut + Send + 'static,
    EFut: std::future::Future<Output = Result<i64, sea_orm::DbErr>> + Send,
{
    let start = end(db.clone())
        .await
        .context("cannot read the change feed")?;
    let (read_db, end_db) = (db.clone(), db.clone());
    Ok(hub.start(
        start,
        notifier,
        move |after, limit| read(read_db.clone(), after, limit),
        move || end(end_db.clone()),
    ))
}

/// Builds and serves: what `refund-recon serve` runs.
pub async fn run(config: Config, listener: TcpListener) -> anyhow::Result<()> {
    App::build(config).await?.serve(listener).await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
