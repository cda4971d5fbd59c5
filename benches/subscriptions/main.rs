//! Webhook-to-subscriber latency: `BENCH_SUBSCRIBERS` GraphQL WebSocket subscribers (default
//! 5,000; most unfiltered, a tenth filtered to UniPayment, a tenth to Rainforest, which must
//! receive nothing) while signed UniPayment webhooks arrive at a steady `BENCH_RATE` per second
//! (default 20) for `BENCH_SECONDS` (default 15). Beside it, measured in the same run: the
//! same load with one subscriber. Every subscriber must receive every matching event once.
//!
//! `cargo bench --bench subscriptions` (SQLite in a temp dir; `BENCH_DATABASE_URL` for
//! PostgreSQL, emptied first). The server runs on its own multi-threaded runtime (one worker
//! per core, or `BENCH_SERVER_THREADS`); all subscribers and the webhook sender share one
//! thread, whose CPU use is reported.

#![allow(clippy::print_stdout)]

mod client;
#[path = "../common/mod.rs"]
mod common;
mod machine;
mod scenario;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU32, AtomicU64},
    },
    time::Instant,
};

use refund_recon::{
    App,
    config::{Config, RawConfig},
};
use scenario::{Bench, Outcome, SECRET};
use serde_json::{Value, json};

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Builds the app on its own runtime and thread; returns its address and its count of SQL
/// statements run.
fn start_server() -> (std::net::SocketAddr, Arc<AtomicU64>) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut rt = tokio::runtime::Builder::new_multi_thread();
        // As the service runs (one worker per core) unless `BENCH_SERVER_THREADS` says.
        if let Some(n) = std::env::var("BENCH_SERVER_THREADS")
            .ok()
            .and_then(|v| v.parse().ok())
        {
            rt.worker_threads(n);
        }
        let rt = rt.enable_all().build().unwrap();
        rt.block_on(async move {
            let dir = tempfile::tempdir().unwrap();
            let url = common::database_url(dir.path());
            let config = Config::try_from(RawConfig {
                database_url: Some(url),
                unipayment_secret: Some(SECRET.into()),
                log: Some("error".into()),
                ..Default::default()
            })
            .unwrap();
            let app = App::build(config).await.unwrap();
            common::empty(&app.state.db).await;
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send((l.local_addr().unwrap(), app.state.statements.clone()))
                .unwrap();
            app.serve(l).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

fn row(name: &str, o: &Outcome, events: u32, rate: f64) {
    let pct = |p: f64| {
        let l = &o.latencies;
        l.get(((l.len() as f64 * p) as usize).min(l.len().saturating_sub(1)))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    };
    // CPU as a share of one core over the measured time, and per delivery.
    let cpu = |secs: f64| {
        format!(
            "{:.0} % ({:.1} µs)",
            secs / o.wall * 100.0,
            secs / o.delivered.max(1) as f64 * 1e6
        )
    };
    println!(
        "| {name} | {} | {events} at {rate}/s | {}/{} | {:.1} ms | {:.1} ms | {:.1} ms | {} | {} | {:.1} |",
        o.subscribers,
        o.delivered,
        o.expected,
        pct(0.50),
        pct(0.99),
        pct(1.0),
        cpu(o.server_cpu),
        cpu(o.client_cpu),
        o.statements_per_event,
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let subscribers: usize = env("BENCH_SUBSCRIBERS", 5000);
    let rate: f64 = env("BENCH_RATE", 20.0);
    let seconds: f64 = env("BENCH_SECONDS", 15.0);
    machine::check_open_files(2 * subscribers + 256);
    let builds_before = machine::other_builds();
    let (addr, statements) = start_server();
    let bench = Bench {
        http: reqwest::Client::new(),
        webhook_url: format!("http://{addr}/webhooks/unipayment"),
        ws_url: format!("ws://{addr}/graphql/ws"),
        epoch: Instant::now(),
        rate,
        events: (rate * seconds).round() as u32,
        warm_up_sent: AtomicU32::new(0),
        statements,
    };
    let database = if std::env::var("BENCH_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let baseline = bench.run(1, &[Value::Null], &[true]).await;
    let (filters, matching): (Vec<Value>, Vec<bool>) = (0..subscribers)
        .map(|i| match i % 10 {
            8 => (json!({"provider": ["UNIPAYMENT"]}), true),
            9 => (json!({"provider": ["RAINFOREST"]}), false),
            _ => (Value::Null, true),
        })
        .unzip();
    let fanout = bench.run(2, &filters, &matching).await;
    let builds_after = machine::other_builds();
    println!(
        "database: {database}; other cargo/rustc processes: {builds_before} at start, {builds_after} at end"
    );
    println!(
        "| scenario | subscribers | events | deliveries | p50 | p99 | max | server CPU (per delivery) | client CPU (per delivery) | SQL per event |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    row("baseline: 1 subscriber", &baseline, bench.events, rate);
    row(
        "fan-out (8/10 unfiltered, 1/10 UNIPAYMENT, 1/10 RAINFOREST: none)",
        &fanout,
        bench.events,
        rate,
    );
    for (name, o) in [("baseline", &baseline), ("fan-out", &fanout)] {
        assert!(
            o.wrong == 0 && o.delivered == o.expected,
            "{name}: {} subscribers missed, repeated, reordered or wrongly got events ({}/{} delivered)",
            o.wrong,
            o.delivered,
            o.expected
        );
    }
}
