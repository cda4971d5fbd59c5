//! Reconciliation at scale: the full report over N orders (default 1,000,000), beside a raw
//! SQL aggregate of the same figures measured in the same run.
//!
//! `cargo bench --bench reconcile` (SQLite in a temp dir), or with
//! `BENCH_DATABASE_URL=postgres://…/db` (the database is emptied first). `BENCH_ORDERS=N`
//! changes the size; `BENCH_REUSE=1` with a `BENCH_DATABASE_URL` that already holds that many
//! orders skips the seeding; `BENCH_RUNS` (default 2) timed runs of each, alternating, the
//! best of each reported. The data is generated deterministically (seeded), never committed.

#![allow(clippy::print_stdout)]

mod common;

use std::time::Instant;

use futures::TryStreamExt;
use refund_recon::{
    App,
    config::{Config, RawConfig},
    reconcile::{query::ReconFilter, report},
};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

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
    let n: u64 = common::knob("BENCH_ORDERS", 1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let url = common::database_url(dir.path());
    let config = Config::try_from(RawConfig {
        database_url: Some(url.clone()),
        log: Some("warn".into()),
        ..common::quiet_sweep()
    })
    .unwrap();
    let app = App::build(config).await.unwrap();
    let db = app.state.db.clone();
    let backend = db.get_database_backend();
    common::print_database(&db);
    let reuse = std::env::var("BENCH_REUSE").is_ok_and(|v| v == "1");
    let orders = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) FROM orders",
        ))
        .await
        .unwrap()
        .map(|r| r.try_get_by_index::<i64>(0).unwrap() as u64);
    if reuse && orders == Some(n) {
        println!("reusing the {n} orders already in the database");
    } else {
        common::empty(&db).await;
        common::seed(&db, n, u64::MAX, common::Shape::RECONCILE).await;
    }
    let runs: usize = common::knob("BENCH_RUNS", 2);
    let (mut raw, mut ours) = (f64::MAX, f64::MAX);
    let (mut raw_rows, mut bytes, mut lines) = (0, 0, 0);
    for _ in 0..runs.max(1) {
        // Baseline: the hand-written aggregate, every row read.
        let t = Instant::now();
        raw_rows = db
            .query_all_raw(Statement::from_string(backend, raw_sql(backend)))
            .await
            .unwrap()
            .len();
        raw = raw.min(t.elapsed().as_secs_f64());

        // Ours: the full report as finance downloads it (CSV, streamed).
        let t = Instant::now();
        (bytes, lines) = (0, 0);
        let mut s = std::pin::pin!(report::stream(
            db.clone(),
            app.state.config.recon.tolerance,
            ReconFilter::default()
        ));
        while let Some(chunk) = s.try_next().await.unwrap() {
            bytes += chunk.len();
            lines += chunk.iter().filter(|b| **b == b'\n').count();
        }
        ours = ours.min(t.elapsed().as_secs_f64());
    }

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
