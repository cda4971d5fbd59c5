//! Webhook-to-subscriber latency: `BENCH_SUBSCRIBERS` GraphQL WebSocket subscribers (default
//! 5,000; most unfiltered, a tenth filtered to UniPayment, a tenth to Rainforest, which must
//! receive nothing) while signed UniPayment webhooks arrive at a steady `BENCH_RATE` per second
//! (default 20) for `BENCH_SECONDS` (default 15). Beside it, measured in the same run: the
//! same load with one subscriber. Every subscriber must receive every matching event once.
//!
//! `cargo bench --bench subscriptions` (SQLite in a temp dir; `BENCH_DATABASE_URL` for
//! PostgreSQL, emptied first). The server runs on its own multi-threaded runtime; all
//! subscribers and the webhook sender share one thread, whose CPU use is reported.

#![allow(clippy::print_stdout)]

mod client;
mod machine;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU32, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use client::{Delivery, Progress};
use futures::StreamExt;
use refund_recon::{
    App,
    config::{Config, RawConfig},
    providers::unipayment,
};
use serde_json::{Value, json};
use tokio::sync::watch;

const SECRET: &str = "bench-unipayment-secret";
/// The warm-up scenario: events sent until every subscriber has shown it is live.
const WARM_UP: u32 = 0;

fn env<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn body(phase: u32, n: u32) -> String {
    json!({
        "ipn_type": "invoice_refund", "event": "refund_approved",
        "refund_id": format!("S{phase}-{n}"), "invoice_id": format!("SINV-{phase}-{n}"),
        "price_currency": "USD", "refund_price_amount": format!("{}.{:02}", n % 500, n % 100),
        "fee": 0, "status": "Approved", "create_time": "2026-11-20T10:00:00",
        "notify_id": format!("sub-{phase}-{n}"), "notify_time": "2026-11-20T10:00:01Z"
    })
    .to_string()
}

/// Builds the app on its own runtime and thread; returns its address and its count of SQL
/// statements run.
fn start_server() -> (std::net::SocketAddr, Arc<AtomicU64>) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let dir = tempfile::tempdir().unwrap();
            let url = match std::env::var("BENCH_DATABASE_URL") {
                Ok(u) if !u.is_empty() => u,
                _ => format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("bench.db").display()
                ),
            };
            let config = Config::try_from(RawConfig {
                database_url: Some(url),
                unipayment_secret: Some(SECRET.into()),
                log: Some("error".into()),
                ..Default::default()
            })
            .unwrap();
            let app = App::build(config).await.unwrap();
            machine::empty_tables(&app.state.db).await;
            let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send((l.local_addr().unwrap(), app.state.statements.clone()))
                .unwrap();
            app.serve(l).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

struct Bench {
    http: reqwest::Client,
    webhook_url: String,
    ws_url: String,
    epoch: Instant,
    rate: f64,
    events: u32,
    warm_up_sent: AtomicU32,
    statements: Arc<AtomicU64>,
}

struct Outcome {
    subscribers: usize,
    expected: u64,
    delivered: u64,
    /// Subscribers that missed an event, got one twice, or got one not matching.
    wrong: usize,
    latencies: Vec<Duration>,
    /// CPU seconds of the subscribers' thread and of the server, and the wall time they
    /// were measured over (from the first event sent to the last delivery).
    client_cpu: f64,
    server_cpu: f64,
    wall: f64,
    /// SQL statements the server ran per event sent (ingest included).
    statements_per_event: f64,
}

impl Bench {
    async fn post(&self, phase: u32, n: u32) -> tokio::task::JoinHandle<()> {
        let b = body(phase, n);
        let sig = unipayment::sign(SECRET, b.as_bytes());
        let req = self
            .http
            .post(&self.webhook_url)
            .header("hmac_signature", sig)
            .header("content-type", "application/json")
            .body(b);
        tokio::spawn(async move {
            let r = req.send().await.unwrap();
            assert!(r.status().is_success(), "webhook answered {}", r.status());
        })
    }

    /// Subscribes with `filters` (`matching[i]`: whether subscriber i sees this load), warms
    /// up, sends the load at the steady rate and collects every delivery.
    async fn run(&self, phase: u32, filters: &[Value], matching: &[bool]) -> Outcome {
        let progress = Arc::new(Progress::default());
        let (stop, stopped) = watch::channel(false);
        let sockets: Vec<_> = futures::stream::iter(filters)
            .map(|f| client::subscribe(&self.ws_url, f.clone()))
            .buffered(32)
            .collect()
            .await;
        let readers: Vec<_> = sockets
            .into_iter()
            .map(|s| {
                tokio::spawn(client::read(
                    s,
                    self.epoch,
                    progress.clone(),
                    stopped.clone(),
                ))
            })
            .collect();
        let live = matching.iter().filter(|m| **m).count() as u64;
        let warm_deadline = Instant::now() + Duration::from_secs(120);
        while progress.warmed.load(Ordering::Relaxed) < live {
            assert!(
                Instant::now() < warm_deadline,
                "subscribers never went live"
            );
            let n = self.warm_up_sent.fetch_add(1, Ordering::Relaxed);
            self.post(WARM_UP, n).await.await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        let statements0 = self.statements.load(Ordering::Relaxed);
        let (client0, process0, wall0) = (
            machine::thread_cpu(),
            machine::process_cpu(),
            Instant::now(),
        );
        let sent: Arc<Vec<AtomicU64>> =
            Arc::new((0..self.events).map(|_| AtomicU64::new(0)).collect());
        let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / self.rate));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut posts = Vec::new();
        for n in 0..self.events {
            tick.tick().await;
            // Sent = just before the request leaves.
            sent[n as usize].store(self.epoch.elapsed().as_micros() as u64, Ordering::Relaxed);
            posts.push(self.post(phase, n).await);
        }
        for p in posts {
            p.await.unwrap();
        }
        let expected = live * u64::from(self.events);
        let deadline = Instant::now() + Duration::from_secs(60);
        while progress.delivered[phase as usize].load(Ordering::Relaxed) < expected
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let wall = wall0.elapsed().as_secs_f64();
        let client_cpu = machine::thread_cpu() - client0;
        let server_cpu = machine::process_cpu() - process0 - client_cpu;
        let statements = self.statements.load(Ordering::Relaxed) - statements0;
        // Events of this phase still in flight would arrive now: give them a moment.
        tokio::time::sleep(Duration::from_millis(500)).await;
        stop.send(true).unwrap();
        let mut outcome = Outcome {
            subscribers: filters.len(),
            expected,
            delivered: 0,
            wrong: 0,
            latencies: Vec::with_capacity(expected as usize),
            client_cpu,
            server_cpu,
            wall,
            statements_per_event: statements as f64 / f64::from(self.events),
        };
        for (reader, matches) in readers.into_iter().zip(matching) {
            let got: Vec<Delivery> = reader
                .await
                .unwrap()
                .into_iter()
                .filter(|d| d.phase == phase)
                .collect();
            let mut ns: Vec<u32> = got.iter().map(|d| d.n).collect();
            ns.sort_unstable();
            let want: Vec<u32> = if *matches {
                (0..self.events).collect()
            } else {
                vec![]
            };
            outcome.wrong += usize::from(ns != want);
            outcome.delivered += got.len() as u64;
            for d in got {
                let sent = Duration::from_micros(sent[d.n as usize].load(Ordering::Relaxed));
                outcome.latencies.push(d.at.saturating_sub(sent));
            }
        }
        outcome.latencies.sort_unstable();
        outcome
    }
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
            "{name}: {} subscribers missed, repeated or wrongly got events ({}/{} delivered)",
            o.wrong,
            o.delivered,
            o.expected
        );
    }
}
