//! Crash safety: the service is killed with SIGKILL at random moments while several clients
//! deliver signed webhooks, then restarted on the same database, many times. Every event
//! that was answered 2xx must be present exactly once, with its effects, and the database
//! must pass its integrity checks. `CRASH_CYCLES` sets the number of cycles (default 50;
//! the long run in BENCHMARKS.md used 1,000). Runs on SQLite, or PostgreSQL with
//! `TEST_DATABASE_URL`.

// The test reports its cycle and event counts: CI shows them.
#![allow(clippy::print_stdout)]

#[path = "../api/helpers.rs"]
mod helpers;

use std::{
    process::{Child, Command, Stdio},
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use refund_recon::providers::unipayment;
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, Statement};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(url: &str, port: u16, log: &std::path::Path) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    Command::new(env!("CARGO_BIN_EXE_refund-recon"))
        .arg("serve")
        .env("DATABASE_URL", url)
        .env("REFUND_RECON_LISTEN", format!("127.0.0.1:{port}"))
        .env("REFUND_RECON_UNIPAYMENT_SECRET", helpers::UNIPAYMENT_SECRET)
        .env("REFUND_RECON_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap()
}

async fn wait_ready(client: &reqwest::Client, port: u16) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the service did not become ready");
}

/// Events and writer batches so far, from the service's own metrics.
async fn batch_stats(client: &reqwest::Client, port: u16) -> Option<(u64, u64)> {
    let text = client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let value = |name: &str| -> Option<u64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.trim().parse::<f64>().ok())
            .map(|v| v as u64)
    };
    Some((
        value("refund_recon_ingest_batch_size_sum")?,
        value("refund_recon_ingest_batch_size_count")?,
    ))
}

fn body(n: u64) -> String {
    serde_json::json!({
        "ipn_type": "invoice_refund", "event": "refund_approved",
        "refund_id": format!("R-{n}"), "invoice_id": format!("INV-{}", n % 97),
        "price_currency": "USD", "refund_price_amount": format!("{}.{:02}", n % 500, n % 100),
        "fee": 0, "status": "Approved", "create_time": "2026-11-20T10:00:00",
        "notify_id": format!("crash-{n}"), "notify_time": "2026-11-20T10:00:01Z"
    })
    .to_string()
}

async fn scalar(db: &sea_orm::DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_acknowledged_is_lost_when_the_process_is_killed() {
    let cycles: u64 = std::env::var("CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let (url, _dir) = helpers::fresh_database().await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let next = Arc::new(AtomicU64::new(1));
    let acked: Arc<Mutex<Vec<u64>>> = Arc::default();
    // A 503 is a refusal to acknowledge (the provider retries): allowed, counted.
    let refused = Arc::new(AtomicU64::new(0));
    let logdir = tempfile::tempdir().unwrap();
    let log = logdir.path().join("service.log");
    let mut rng = fastrand::Rng::with_seed(7);
    let (mut batched_events, mut batches_seen) = (0u64, 0u64);
    for _ in 0..cycles {
        let port = free_port();
        let mut child = start(&url, port, &log);
        wait_ready(&client, port).await;
        let mut clients = Vec::new();
        // Enough clients that webhooks arrive together and share commits (group commit).
        for _ in 0..16 {
            let (client, next, acked) = (client.clone(), next.clone(), acked.clone());
            let refused = refused.clone();
            clients.push(tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    let b = body(n);
                    let sig = unipayment::sign(helpers::UNIPAYMENT_SECRET, b.as_bytes());
                    let r = client
                        .post(format!("http://127.0.0.1:{port}/webhooks/unipayment"))
                        .header("hmac_signature", sig)
                        .header("content-type", "application/json")
                        .body(b)
                        .send()
                        .await;
                    match r {
                        Ok(r) if r.status().is_success() => acked.lock().unwrap().push(n),
                        Ok(r) if r.status() == 503 => {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(r) => panic!("unexpected answer {}", r.status()),
                        Err(_) => break, // the process is gone
                    }
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(rng.u64(30..300))).await;
        if let Some((events, batches)) = batch_stats(&client, port).await {
            batched_events += events;
            batches_seen += batches;
        }
        child.kill().unwrap(); // SIGKILL: no shutdown, no flush
        child.wait().unwrap();
        for c in clients {
            c.await.unwrap();
        }
    }
    // Restart once more so the database is opened (and recovered) by the service itself.
    let port = free_port();
    let mut child = start(&url, port, &log);
    wait_ready(&client, port).await;
    child.kill().unwrap();
    child.wait().unwrap();

    let acked = acked.lock().unwrap().clone();
    let db = Database::connect(&url).await.unwrap();
    let mut lost = 0;
    for chunk in acked.chunks(500) {
        let keys: Vec<String> = chunk.iter().map(|n| format!("'crash-{n}'")).collect();
        let refunds: Vec<String> = chunk.iter().map(|n| format!("'R-{n}'")).collect();
        let events = scalar(&db, &format!(
            "SELECT COUNT(*) FROM webhook_events WHERE outcome = 'accepted' AND idempotency_key IN ({})", keys.join(","))).await;
        let rows = scalar(
            &db,
            &format!(
                "SELECT COUNT(*) FROM refunds WHERE provider_refund_id IN ({})",
                refunds.join(",")
            ),
        )
        .await;
        let history = scalar(&db, &format!(
            "SELECT COUNT(*) FROM refund_status_history h JOIN refunds r ON r.id = h.refund_id WHERE r.provider_refund_id IN ({})", refunds.join(","))).await;
        assert_eq!(
            rows, history,
            "each refund has exactly its one status event"
        );
        lost += chunk.len() as i64 - events.min(rows);
    }
    // Exactly once: no key twice (unique index) and no refund twice.
    let dup_refunds = scalar(&db, "SELECT COUNT(*) FROM (SELECT provider_refund_id FROM refunds GROUP BY provider, provider_refund_id HAVING COUNT(*) > 1) d").await;
    assert_eq!(dup_refunds, 0);
    match db.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let row = db
                .query_one_raw(Statement::from_string(
                    DatabaseBackend::Sqlite,
                    "PRAGMA integrity_check",
                ))
                .await
                .unwrap()
                .unwrap();
            assert_eq!(row.try_get_by_index::<String>(0).unwrap(), "ok");
            let fk = db
                .query_all_raw(Statement::from_string(
                    DatabaseBackend::Sqlite,
                    "PRAGMA foreign_key_check",
                ))
                .await
                .unwrap();
            assert!(fk.is_empty(), "foreign key violations: {}", fk.len());
        }
        _ => {
            // Constraints are enforced by PostgreSQL; check that every effect has its event.
            let orphans = scalar(&db, "SELECT COUNT(*) FROM refund_status_history h LEFT JOIN webhook_events e ON e.id = h.webhook_event_id WHERE e.id IS NULL").await;
            assert_eq!(orphans, 0);
        }
    }
    let total = scalar(&db, "SELECT COUNT(*) FROM webhook_events").await;
    let refused = refused.load(Ordering::Relaxed);
    if refused > 0 {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let errors: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("ERROR"))
            .take(3)
            .collect();
        println!(
            "{refused} deliveries refused with 503 (not acknowledged); first errors: {errors:#?}"
        );
    }
    println!(
        "crash test: {cycles} SIGKILL cycles, {} events acknowledged, {total} stored, lost: {lost}; \
         {batched_events} events in {batches_seen} commits seen before the kills",
        acked.len()
    );
    assert!(
        batched_events > batches_seen,
        "no commit carried more than one event: group commit was not exercised"
    );
    assert_eq!(lost, 0, "acknowledged events were lost");
    assert!(
        acked.len() as u64 >= cycles,
        "too few events to mean anything"
    );
}
