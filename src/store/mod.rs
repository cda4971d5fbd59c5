//! Database access: connecting (with the SQLite durability settings), migrations, and the
//! queries used by ingestion, reconciliation and the GraphQL API. No SQL lives in resolvers.

pub mod feed;
pub mod money_sql;
pub mod orders;
pub mod pagination;
pub mod refund_filter;
pub mod refunds;
pub mod returns;
pub mod summary;
pub mod webhook_events;

use std::time::Duration;

use std::sync::{
    Arc,
    atomic::{AtomicU64, Ordering},
};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, DbErr,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// `(a, b)` is one of `pairs`. Empty (check `is_empty`) for no pairs.
///
/// SQLite: one `a = ? AND b IN (…)` per distinct `a`, a flat list however many pairs, where
/// one OR per pair would nest as deep as the list is long (SQLite refuses expressions deeper
/// than 1,000, and takes row values in `IN` only from a subquery).
///
/// PostgreSQL: `(a, b) IN ((?, ?), …)`, which it plans as one probe of the `(a, b)` index
/// per pair. Given `a = ? AND b IN (…)` on a table with no statistics yet (a new database's
/// first minutes, before autovacuum's first ANALYZE), its planner guessed that few rows match
/// `a` and chose another index starting with `a`: each lookup then read every row of that
/// provider (BENCHMARKS.md §1).
pub fn pairs_condition<'a, C: sea_orm::ColumnTrait>(
    backend: DatabaseBackend,
    a: C,
    b: C,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> sea_orm::Condition {
    use sea_orm::sea_query::{Expr, ExprTrait};
    let pairs: Vec<(&str, &str)> = pairs.into_iter().collect();
    if pairs.is_empty() {
        return sea_orm::Condition::any();
    }
    if backend == DatabaseBackend::Postgres {
        let tuples = pairs
            .iter()
            .map(|(x, y)| ((*x).to_owned(), (*y).to_owned()));
        return sea_orm::Condition::all()
            .add(Expr::tuple([a.into_expr(), b.into_expr()]).in_tuples(tuples));
    }
    let mut by_a: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for (x, y) in pairs {
        by_a.entry(x).or_default().push(y);
    }
    by_a.into_iter()
        .fold(sea_orm::Condition::any(), |c, (x, ys)| {
            c.add(sea_orm::Condition::all().add(a.eq(x)).add(b.is_in(ys)))
        })
}

/// Connects to `url`. For SQLite: creates the file and its folder, WAL, `synchronous=FULL`,
/// foreign keys on and a busy timeout, so an acknowledged webhook survives a crash.
#[tracing::instrument(skip_all)]
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    let max = if is_sqlite_url(url) { 8 } else { 16 };
    Database::connect(options(url, max)?).await
}

/// The inbox writer's own connection (`ingest::batch`): as `connect`, but one SQLite
/// connection kept for the life of the process — SQLite has one writer at a time anyway,
/// and the thread that serves it is then started once, by the writer's thread.
pub async fn connect_writer(url: &str) -> Result<DatabaseConnection, DbErr> {
    if !is_sqlite_url(url) {
        // The writer's statements are few and simple, and run from the first minute of a
        // new deployment, when the tables are empty: a generic plan chosen then (a scan)
        // stays in the statement cache while the table grows. Planning each execution costs
        // microseconds; the scan cost milliseconds per event at 20,000 rows (BENCHMARKS.md).
        let mut opts = options(url, 16)?;
        opts.map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", "force_custom_plan")]));
        return Database::connect(opts).await;
    }
    let mut opts = options(url, 1)?;
    opts.max_lifetime(None)
        .idle_timeout(None)
        .map_sqlx_sqlite_opts(|o| o.statement_cache_capacity(1024));
    Database::connect(opts).await
}

fn is_sqlite_url(url: &str) -> bool {
    url.starts_with("sqlite:")
}

fn options(url: &str, max_connections: u32) -> Result<ConnectOptions, DbErr> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.sqlx_logging(false)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(10));
    if is_sqlite_url(url) {
        if let Some(dir) = sqlite_path(url).and_then(|p| p.parent().map(|d| d.to_owned()))
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(&dir)
                .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
        }
        opts.map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(30))
        });
    }
    opts.max_connections(max_connections);
    Ok(opts)
}

/// Counts the statements run on `db` (also a Prometheus counter).
pub fn count_statements(db: &mut DatabaseConnection, counter: Arc<AtomicU64>) {
    db.set_metric_callback(move |info| {
        counter.fetch_add(1, Ordering::Relaxed);
        // `REFUND_RECON_LOG=refund_recon::sql=trace` lists every statement with its time.
        tracing::trace!(target: "refund_recon::sql", elapsed = ?info.elapsed, sql = %info.statement.sql);
        metrics::counter!("refund_recon_db_statements_total").increment(1);
    });
}

/// The file path of a `sqlite://path?params` URL (None for in-memory databases).
pub fn sqlite_path(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        None
    } else {
        Some(path.into())
    }
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// `/readyz`: the database answers and no migration is pending.
pub async fn ready(db: &DatabaseConnection) -> Result<(), String> {
    db.execute_unprepared("SELECT 1")
        .await
        .map_err(|e| format!("database unreachable: {e}"))?;
    let pending = Migrator::get_pending_migrations(db)
        .await
        .map_err(|e| format!("cannot read migrations: {e}"))?;
    if pending.is_empty() {
        Ok(())
    } else {
        Err(format!("{} migrations pending", pending.len()))
    }
}

pub fn is_postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DatabaseBackend::Postgres
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so a transaction that reads before it writes waits its turn (busy
/// timeout) instead of failing when another writer committed in between.
pub async fn begin_write(db: &DatabaseConnection) -> Result<sea_orm::DatabaseTransaction, DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    if is_postgres(db) {
        db.begin().await
    } else {
        db.begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..Default::default()
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use entity::refund::Column;
    use sea_orm::{DatabaseBackend, EntityTrait, QueryFilter, QueryTrait};

    fn sql(backend: DatabaseBackend, pairs: &[(&str, &str)]) -> String {
        let cond = super::pairs_condition(
            backend,
            Column::Provider,
            Column::ProviderRefundId,
            pairs.iter().copied(),
        );
        entity::refund::Entity::find()
            .filter(cond)
            .build(backend)
            .to_string()
    }

    #[test]
    fn no_pairs_is_an_empty_condition_on_both_backends() {
        for backend in [DatabaseBackend::Sqlite, DatabaseBackend::Postgres] {
            let none: [(&str, &str); 0] = [];
            assert!(
                super::pairs_condition(backend, Column::Provider, Column::ProviderRefundId, none)
                    .is_empty()
            );
        }
    }

    #[test]
    fn postgres_gets_row_values_and_sqlite_one_in_list_per_first_column() {
        let pairs = [
            ("rainforest", "r1"),
            ("unipayment", "u1"),
            ("rainforest", "r2"),
        ];
        let pg = sql(DatabaseBackend::Postgres, &pairs);
        assert!(
            pg.contains(
                r#"("refunds"."provider", "refunds"."provider_refund_id") IN (('rainforest', 'r1'), ('unipayment', 'u1'), ('rainforest', 'r2'))"#
            ),
            "{pg}"
        );
        let lite = sql(DatabaseBackend::Sqlite, &pairs);
        assert!(
            lite.contains(r#""refunds"."provider" = 'rainforest' AND "refunds"."provider_refund_id" IN ('r1', 'r2')"#),
            "{lite}"
        );
        assert!(
            lite.contains(r#""refunds"."provider" = 'unipayment' AND "refunds"."provider_refund_id" IN ('u1')"#),
            "{lite}"
        );
    }
}
