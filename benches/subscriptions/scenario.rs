//! One scenario: subscribers connected and live, a steady load of webhooks, every delivery
//! recorded and checked.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU32, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures::StreamExt;
use refund_recon::providers::unipayment;
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::{
    client::{self, Delivery, Progress},
    machine,
};

pub const SECRET: &str = "bench-unipayment-secret";
/// The warm-up scenario: events sent until every subscriber has shown it is live.
const WARM_UP: u32 = 0;

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

pub struct Bench {
    pub http: reqwest::Client,
    pub webhook_url: String,
    pub ws_url: String,
    pub epoch: Instant,
    pub rate: f64,
    pub events: u32,
    pub warm_up_sent: AtomicU32,
    pub statements: Arc<AtomicU64>,
}

pub struct Outcome {
    pub subscribers: usize,
    pub expected: u64,
    pub delivered: u64,
    /// Subscribers that missed an event, got one twice or out of order, or got one not
    /// matching.
    pub wrong: usize,
    pub latencies: Vec<Duration>,
    /// CPU seconds of the subscribers' thread and of the server, and the wall time they
    /// were measured over (from the first event sent to the last delivery).
    pub client_cpu: f64,
    pub server_cpu: f64,
    pub wall: f64,
    /// SQL statements the server ran per event sent (ingest included).
    pub statements_per_event: f64,
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
    pub async fn run(&self, phase: u32, filters: &[Value], matching: &[bool]) -> Outcome {
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
        // Every subscriber sees the feed in the same (commit) order: the first one's.
        let mut feed_order: Option<Vec<u32>> = None;
        for (reader, matches) in readers.into_iter().zip(matching) {
            let got: Vec<Delivery> = reader
                .await
                .unwrap()
                .into_iter()
                .filter(|d| d.phase == phase)
                .collect();
            let order: Vec<u32> = got.iter().map(|d| d.n).collect();
            let mut ns = order.clone();
            ns.sort_unstable();
            let want: Vec<u32> = if *matches {
                (0..self.events).collect()
            } else {
                vec![]
            };
            let in_order = !*matches || feed_order.get_or_insert_with(|| order.clone()) == &order;
            outcome.wrong += usize::from(ns != want || !in_order);
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
