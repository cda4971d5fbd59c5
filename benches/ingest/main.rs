//! Ingest throughput and latency: signed Rainforest and UniPayment webhooks (alternating) at
//! 1, 16 and 64 concurrent connections, then re-deliveries (duplicates), each beside baselines
//! measured in the same run: an axum handler that answers 200 without work (HTTP ceiling),
//! raw durable single-row inserts through sqlx with the same durability (DB ceiling), and the
//! same rows the service wrote, hand-written and grouped as the writer grouped them (`raw`).
//!
//! `cargo bench --bench ingest` (SQLite in a temp dir; `BENCH_DATABASE_URL` for PostgreSQL,
//! emptied first). `BENCH_EVENTS=N` events per scenario (default 4000); `BENCH_CONNS=1,16,64`
//! the concurrencies measured.

#![allow(clippy::print_stdout)]

#[path = "../common/mod.rs"]
mod common;
mod raw;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use refund_recon::{
    App,
    config::{Config, RawConfig},
    providers::{rainforest, unipayment},
};
use sea_orm::ConnectionTrait;

const SECRET: &str = "bench-unipayment-secret";
const RAINFOREST_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// One signed delivery: provider path, headers, body.
struct Delivery {
    slug: &'static str,
    headers: Vec<(&'static str, String)>,
    body: String,
}

/// Event `n`: even numbers are Rainforest refunds (Svix-signed), odd ones UniPayment refunds.
fn delivery(n: u64) -> Delivery {
    if n.is_multiple_of(2) {
        let body = serde_json::json!({
            "event_type": "refund.succeeded",
            "data": {
                "refund_id": format!("rfd_bench{n}"), "payin_id": format!("pyi_bench{}", n % 1000),
                "amount": format!("{}", 100 + n % 50_000), "currency_code": "usd",
                "status": "SUCCEEDED", "metadata": {"order_id": format!("BORD-{}", n % 1000)},
                "created_at": "2026-11-20T10:00:00Z", "updated_at": "2026-11-20T10:00:01Z"
            }
        })
        .to_string();
        let id = format!("msg_bench{n}");
        let ts = chrono::Utc::now().timestamp();
        let sig = rainforest::sign(RAINFOREST_SECRET, &id, ts, body.as_bytes());
        Delivery {
            slug: "rainforest",
            headers: vec![
                ("svix-id", id),
                ("svix-timestamp", ts.to_string()),
                ("svix-signature", sig),
            ],
            body,
        }
    } else {
        let body = body(n);
        let sig = unipayment::sign(SECRET, body.as_bytes());
        Delivery {
            slug: "unipayment",
            headers: vec![("hmac_signature", sig)],
            body,
        }
    }
}

fn body(n: u64) -> String {
    serde_json::json!({
        "ipn_type": "invoice_refund", "event": "refund_approved",
        "refund_id": format!("BR-{n}"), "invoice_id": format!("BINV-{}", n % 1000),
        "price_currency": "USD", "refund_price_amount": format!("{}.{:02}", n % 500, n % 100),
        "fee": 0, "status": "Approved", "create_time": "2026-11-20T10:00:00",
        "notify_id": format!("bench-{n}"), "notify_time": "2026-11-20T10:00:01Z"
    })
    .to_string()
}

/// The rows the service writes for event `n`, for the hand-written group commit.
fn event_rows(n: u64) -> raw::EventRows {
    let d = delivery(n);
    let mut headers: std::collections::BTreeMap<&str, &str> =
        d.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    headers.insert("content-type", "application/json");
    let headers = serde_json::to_string(&headers).unwrap();
    if d.slug == "rainforest" {
        raw::EventRows {
            provider: "rainforest",
            event_key: format!("msg_raw{n}"),
            event_type: "refund.succeeded",
            body: d.body,
            headers,
            refund_key: format!("rfd_raw{n}"),
            link_order_number: Some(format!("BORD-{}", n % 1000)),
            link_ref: ("rainforest_payin", format!("pyi_bench{}", n % 1000)),
            status: "SUCCEEDED",
            provider_status: "SUCCEEDED",
            amount: rust_decimal::Decimal::new(100 + (n % 50_000) as i64, 2),
            fee: None,
            details: serde_json::json!({
                "metadata": {"order_id": format!("BORD-{}", n % 1000)},
                "payin_id": format!("pyi_bench{}", n % 1000)
            })
            .to_string(),
            stuck: false,
        }
    } else {
        raw::EventRows {
            provider: "unipayment",
            event_key: format!("raw-{n}"),
            event_type: "refund_approved",
            body: d.body,
            headers,
            refund_key: format!("BR-raw{n}"),
            link_order_number: None,
            link_ref: ("unipayment_invoice", format!("BINV-{}", n % 1000)),
            status: "APPROVED",
            provider_status: "Approved",
            amount: format!("{}.{:02}", n % 500, n % 100).parse().unwrap(),
            fee: Some(rust_decimal::Decimal::ZERO),
            details: serde_json::json!({
                "event": "refund_approved", "invoice_id": format!("BINV-{}", n % 1000),
                "notify_id": format!("bench-{n}")
            })
            .to_string(),
            // The service opens a stuck-refund discrepancy for an APPROVED refund whose
            // status is older than `stuck_after` (7 days by default): this one's dates from
            // 2026-11-20, so it does from 2026-11-27 on.
            stuck: chrono::Utc::now() - chrono::Duration::days(7)
                > chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:01Z").unwrap(),
        }
    }
}

struct Run {
    per_sec: f64,
    p50: Duration,
    p99: Duration,
}

/// Sends `bodies` to `base/webhooks/…` from `conc` concurrent clients; every answer must
/// be 2xx.
async fn load(base: String, bodies: Arc<Vec<Delivery>>, conc: usize) -> Run {
    let next = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (base, bodies, next) = (base.clone(), bodies.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(d) = bodies.get(i) else { break };
                let t = Instant::now();
                let mut req = client
                    .post(format!("{base}/webhooks/{}", d.slug))
                    .header("content-type", "application/json")
                    .body(d.body.clone());
                for (k, v) in &d.headers {
                    req = req.header(*k, v);
                }
                let r = req.send().await.unwrap();
                assert!(r.status().is_success(), "{}", r.status());
                let _ = r.bytes().await;
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    Run {
        per_sec: all.len() as f64 / secs,
        p50: pct(0.50),
        p99: pct(0.99),
    }
}

async fn http_ceiling() -> String {
    let app = axum::Router::new().route(
        "/webhooks/{slug}",
        axum::routing::post(|_b: axum::body::Bytes| async { "{\"result\":\"success\"}" }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await });
    url
}

/// One line of the table: the run beside `base`.
fn row(name: &str, r: &Run, base: f64) {
    println!(
        "| {name} | {:.0}/s | {:.1} ms | {:.1} ms | {:.2}x |",
        r.per_sec,
        r.p50.as_secs_f64() * 1e3,
        r.p99.as_secs_f64() * 1e3,
        r.per_sec / base
    );
}

#[tokio::main]
async fn main() {
    let n: u64 = common::knob("BENCH_EVENTS", 4000);
    let dir = tempfile::tempdir().unwrap();
    let url = common::database_url(dir.path());
    let config = Config::try_from(RawConfig {
        database_url: Some(url),
        unipayment_secret: Some(SECRET.into()),
        rainforest_secret: Some(RAINFOREST_SECRET.into()),
        log: Some("error".into()),
        ..Default::default()
    })
    .unwrap();
    let app = App::build(config).await.unwrap();
    let db = app.state.db.clone();
    db.execute_unprepared("DROP TABLE IF EXISTS bench_raw")
        .await
        .unwrap();
    common::empty(&db).await;
    let inbox = app.state.inbox.clone();
    let statements = app.state.statements.clone();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let svc = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { app.serve(l).await });
    let ceiling_url = http_ceiling().await;
    common::print_database(&db);

    let signed =
        |from: u64| -> Arc<Vec<Delivery>> { Arc::new((from..from + n).map(delivery).collect()) };
    let http = load(ceiling_url, signed(0), 64).await;
    let mut raw = raw::db_ceiling(&db, 0, n, body).await;
    let round_trip = raw::statement_round_trip(&db).await;
    println!("| scenario | events/s | p50 | p99 | ratio |");
    println!("|---|---|---|---|---|");
    row(
        "HTTP ceiling: axum 200 without work, 64 conns",
        &http,
        http.per_sec,
    );
    println!(
        "| DB ceiling: raw durable single-row commits (sqlx) | {raw:.0}/s | | | 1.00x of DB |"
    );
    println!(
        "| one SQL statement inside a transaction (SELECT by key, SeaORM) | {:.0}/s | {:.0} µs | | |",
        1.0 / round_trip.as_secs_f64(),
        round_trip.as_secs_f64() * 1e6
    );
    let mut last = signed(0);
    // `BENCH_CONNS=64` (a comma list) runs only those concurrencies, e.g. to profile one.
    let conns: Vec<usize> = std::env::var("BENCH_CONNS")
        .ok()
        .map(|v| v.split(',').filter_map(|c| c.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 16, 64]);
    for (i, conc) in conns.into_iter().enumerate() {
        let bodies = signed(1_000_000 * (i as u64 + 1));
        let batches = inbox.batches();
        let sql = statements.load(Ordering::Relaxed);
        let r = load(svc.clone(), bodies.clone(), conc).await;
        let per_commit = n as f64 / (inbox.batches() - batches) as f64;
        let per_event = (statements.load(Ordering::Relaxed) - sql) as f64 / n as f64;
        // The machine's disk and CPUs change speed within minutes: the DB ceiling is measured
        // again right after each scenario and the ratio taken against the mean of the two.
        let after = raw::db_ceiling(&db, n * (i as u64 + 1), n, body).await;
        // What grouping itself allows: the same rows, hand-written, in transactions of the
        // size the writer formed, on the same database right after.
        let rows: Vec<_> = (0..n)
            .map(|k| event_rows(100_000_000 * (i as u64 + 1) + k))
            .collect();
        let grouped = raw::group_commit(&db, &rows, per_commit.round() as usize).await;
        row(
            &format!(
                "ingest, {conc} conns, {per_commit:.1} events per commit, {per_event:.1} SQL statements per event (vs DB ceiling {raw:.0}/s before, {after:.0}/s after; {:.2}x of the hand-written group commit)",
                r.per_sec / grouped
            ),
            &r,
            (raw + after) / 2.0,
        );
        println!(
            "| hand-written group commit of the same rows, {:.0} events per transaction, no HTTP | {grouped:.0}/s | | | {:.2}x |",
            per_commit.round(),
            grouped / after
        );
        raw = after;
        last = bodies;
    }
    let dup = load(svc.clone(), last, 64).await;
    row("duplicates, 64 conns (vs HTTP ceiling)", &dup, http.per_sec);
    // The most grouping can give on this schema and disk: transactions far larger than 64
    // connections can form, beside the DB ceiling measured right before.
    let before = raw::db_ceiling(&db, n * 10, n, body).await;
    let rows: Vec<_> = (0..n).map(|k| event_rows(900_000_000 + k)).collect();
    let grouped = raw::group_commit(&db, &rows, 512).await;
    println!(
        "| hand-written group commit of the same rows, 512 events per transaction, no HTTP (vs DB ceiling {before:.0}/s just before) | {grouped:.0}/s | | | {:.2}x |",
        grouped / before
    );
}
