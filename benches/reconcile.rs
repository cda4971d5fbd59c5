//! Reconciliation at scale: the full report over N orders (default 1,000,000), beside a raw
//! SQL aggregate of the same figures measured in the same run.
//!
//! `cargo bench --bench reconcile` (SQLite in a temp dir), or with
//! `BENCH_DATABASE_URL=postgres://…/db` (the database is emptied first). `BENCH_ORDERS=N`
//! changes the size. The data is generated deterministically (seeded), never committed.

#![allow(clippy::print_stdout)]

use std::time::Instant;

use futures::TryStreamExt;
use refund_recon::{
    App,
    config::{Config, RawConfig},
    reconcile::{query::ReconFilter, report},
};
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, TransactionTrait};

const PROVIDERS: [&str; 5] = [
    "rebound",
    "rainforest",
    "baback",
    "alchemypay",
    "unipayment",
];
const REFUND_STATUSES: [&str; 10] = [
    "SUCCEEDED",
    "SUCCEEDED",
    "SUCCEEDED",
    "SUCCEEDED",
    "SUCCEEDED",
    "SUCCEEDED",
    "PENDING",
    "PROCESSING",
    "FAILED",
    "IN_REVIEW",
];
const RETURN_STATUSES: [&str; 4] = ["RECEIVED", "INSPECTED", "RESOLVED", "IN_TRANSIT"];
const CURRENCIES: [&str; 3] = ["USD", "EUR", "GBP"];
const TS: &str = "2026-11-01T00:00:00+00:00";

fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Inserts the generated rows in multi-row statements, one transaction per batch.
async fn seed(db: &DatabaseConnection, n: u64) {
    let mut rng = fastrand::Rng::with_seed(42);
    let batch = 2000;
    let mut refund_no = 0u64;
    let mut return_no = 0u64;
    let started = Instant::now();
    for start in (1..=n).step_by(batch as usize) {
        let end = (start + batch - 1).min(n);
        let (mut orders, mut refunds, mut returns) = (Vec::new(), Vec::new(), Vec::new());
        for id in start..=end {
            let cur = CURRENCIES[rng.usize(..CURRENCIES.len())];
            let total = rng.u64(1_000..50_000);
            orders.push(format!(
                "({id}, '#B{id}', '{}', '{cur}', 'import', '{TS}', '{TS}')",
                money(total)
            ));
            if rng.u8(..10) < 8 {
                refund_no += 1;
                let status = REFUND_STATUSES[rng.usize(..REFUND_STATUSES.len())];
                let provider = PROVIDERS[rng.usize(..PROVIDERS.len())];
                refunds.push(format!(
                    "('{provider}', 'bench-r{refund_no}', {id}, '{status}', '{status}', '{TS}', '{}', '{cur}', '{{}}', '{TS}', '{TS}')",
                    money(rng.u64(100..=total))
                ));
            }
            if rng.bool() {
                return_no += 1;
                let status = RETURN_STATUSES[rng.usize(..RETURN_STATUSES.len())];
                returns.push(format!(
                    "('baback', 'bench-t{return_no}', {id}, '{status}', '{status}', '{TS}', '{}', '{cur}', '{TS}', '{TS}')",
                    money(rng.u64(100..=total))
                ));
            }
        }
        let mut sql = vec![format!(
            "INSERT INTO orders (id, order_number, total_amount, currency, total_source, created_at, updated_at) VALUES {}",
            orders.join(",")
        )];
        if !refunds.is_empty() {
            sql.push(format!("INSERT INTO refunds (provider, provider_refund_id, order_id, status, provider_status, status_occurred_at, amount, currency, details, created_at, updated_at) VALUES {}", refunds.join(",")));
        }
        if !returns.is_empty() {
            sql.push(format!("INSERT INTO returns (provider, provider_return_id, order_id, status, provider_status, status_occurred_at, expected_refund, currency, created_at, updated_at) VALUES {}", returns.join(",")));
        }
        let txn = db.begin().await.unwrap();
        for s in sql {
            // NUMERIC and timestamptz columns take the quoted literals as they are.
            txn.execute_unprepared(&s).await.unwrap();
        }
        txn.commit().await.unwrap();
    }
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_unprepared("SELECT setval(pg_get_serial_sequence('orders', 'id'), (SELECT MAX(id) FROM orders)); ANALYZE")
            .await
            .unwrap();
    } else {
        db.execute_unprepared("ANALYZE").await.unwrap();
    }
    println!(
        "seeded {n} orders, {refund_no} refunds, {return_no} returns in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// The same figures written by hand with the database's native SUM, for comparison.
fn raw_sql(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => {
            "SELECT o.id, o.currency, o.total_amount, rf.refunded, rf.pending, rt.expected
             FROM orders o
             LEFT JOIN (SELECT order_id, currency,
                          SUM(CASE WHEN status = 'SUCCEEDED' THEN amount ELSE 0 END) AS refunded,
                          SUM(CASE WHEN status IN ('PENDING','APPROVED','PROCESSING','IN_REVIEW') THEN amount ELSE 0 END) AS pending
                        FROM refunds GROUP BY order_id, currency) rf ON rf.order_id = o.id
             LEFT JOIN (SELECT order_id, currency, SUM(expected_refund) AS expected FROM returns
                        WHERE status IN ('RECEIVED','INSPECTED','RESOLVED') GROUP BY order_id, currency) rt
                    ON rt.order_id = o.id
             ORDER BY o.id DESC"
        }
        _ => {
            "SELECT o.id, o.currency, o.total_amount, rf.refunded, rf.pending, rt.expected
             FROM orders o
             LEFT JOIN (SELECT order_id, currency,
                          SUM(CASE WHEN status = 'SUCCEEDED' THEN CAST(amount AS REAL) ELSE 0 END) AS refunded,
                          SUM(CASE WHEN status IN ('PENDING','APPROVED','PROCESSING','IN_REVIEW') THEN CAST(amount AS REAL) ELSE 0 END) AS pending
                        FROM refunds GROUP BY order_id, currency) rf ON rf.order_id = o.id
             LEFT JOIN (SELECT order_id, currency, SUM(CAST(expected_refund AS REAL)) AS expected FROM returns
                        WHERE status IN ('RECEIVED','INSPECTED','RESOLVED') GROUP BY order_id, currency) rt
                    ON rt.order_id = o.id
             ORDER BY o.id DESC"
        }
    }
}

#[tokio::main]
async fn main() {
    let n: u64 = std::env::var("BENCH_ORDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let url = match std::env::var("BENCH_DATABASE_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        ),
    };
    let config = Config::try_from(RawConfig {
        database_url: Some(url.clone()),
        log: Some("warn".into()),
        ..Default::default()
    })
    .unwrap();
    let app = App::build(config).await.unwrap();
    let db = app.state.db.clone();
    let backend = db.get_database_backend();
    for t in [
        "discrepancy_history",
        "discrepancies",
        "refund_status_history",
        "return_items",
        "returns",
        "refunds",
        "order_refs",
        "orders",
    ] {
        db.execute_unprepared(&format!("DELETE FROM {t}"))
            .await
            .unwrap();
    }
    println!(
        "database: {}",
        if backend == DatabaseBackend::Postgres {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    seed(&db, n).await;

    // Baseline: the hand-written aggregate, every row read.
    let t = Instant::now();
    let raw_rows = db
        .query_all_raw(Statement::from_string(backend, raw_sql(backend)))
        .await
        .unwrap()
        .len();
    let raw = t.elapsed().as_secs_f64();

    // Ours: the full report as finance downloads it (CSV, streamed window by window).
    let t = Instant::now();
    let mut bytes = 0usize;
    let mut lines = 0usize;
    let mut s = std::pin::pin!(report::stream(
        db.clone(),
        app.state.config.recon.tolerance,
        ReconFilter::default()
    ));
    while let Some(chunk) = s.try_next().await.unwrap() {
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    let ours = t.elapsed().as_secs_f64();

    println!("| scenario | rows | time | vs raw SQL |");
    println!("|---|---|---|---|");
    println!("| raw SQL aggregate (native SUM, rows read) | {raw_rows} | {raw:.2} s | 1.00x |");
    println!(
        "| reconciliation report, CSV streamed ({:.1} MB) | {} | {ours:.2} s | {:.2}x |",
        bytes as f64 / 1e6,
        lines.saturating_sub(1),
        ours / raw
    );
}
