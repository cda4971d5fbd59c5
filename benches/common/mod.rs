//! The deterministic data generator shared by the benchmarks (seed 42): orders with refunds
//! across the five providers and returns, inserted with multi-row SQL, one transaction per
//! batch. The data is never committed to the repository.

#![allow(dead_code)]

use std::time::Instant;

use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, TransactionTrait};

pub const PROVIDERS: [&str; 5] = [
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

/// Weighted picks (one entry per 5 %) for `Shape::spread`.
const PROVIDERS_W: [&str; 20] = [
    "rebound",
    "rebound",
    "rebound",
    "rebound",
    "rebound",
    "rebound",
    "rainforest",
    "rainforest",
    "rainforest",
    "rainforest",
    "rainforest",
    "baback",
    "baback",
    "baback",
    "baback",
    "alchemypay",
    "alchemypay",
    "alchemypay",
    "unipayment",
    "unipayment",
];
const REFUND_STATUSES_W: [&str; 20] = [
    "SUCCEEDED",
    "SUCCEEDED",
    "SUCCEEDED",
    "SUCCEEDED",
    "SUCCEEDED",
    "SUCCEEDED",
    "SUCCEEDED",
    "SUCCEEDED",
    "SUCCEEDED",
    "SUCCEEDED",
    "SUCCEEDED",
    "SUCCEEDED",
    "PENDING",
    "PENDING",
    "PROCESSING",
    "PROCESSING",
    "APPROVED",
    "IN_REVIEW",
    "FAILED",
    "REJECTED",
];
const CURRENCIES_W: [&str; 20] = [
    "USD", "USD", "USD", "USD", "USD", "USD", "USD", "USD", "USD", "USD", "USD", "USD", "EUR",
    "EUR", "EUR", "EUR", "EUR", "GBP", "GBP", "GBP",
];

/// What to generate per order.
#[derive(Clone, Copy)]
pub struct Shape {
    /// Chance, in tenths, that an order has a refund.
    pub refund_tenths: u8,
    /// One order in this many with a refund has a second one (0: never).
    pub second_refund_one_in: u32,
    /// Half of the orders get a return.
    pub returns: bool,
    /// Weighted providers/statuses/currencies and timestamps spread over ten months
    /// (otherwise uniform picks and one fixed timestamp).
    pub spread: bool,
}

impl Shape {
    /// The reconciliation benchmark's data (unchanged since its first figures).
    pub const RECONCILE: Shape = Shape {
        refund_tenths: 8,
        second_refund_one_in: 0,
        returns: true,
        spread: false,
    };
    /// Every order refunded, a quarter of them twice: 1.25 refunds per order.
    pub const QUERY: Shape = Shape {
        refund_tenths: 10,
        second_refund_one_in: 4,
        returns: false,
        spread: true,
    };
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Seeded {
    pub orders: u64,
    pub refunds: u64,
    pub returns: u64,
}

pub fn money(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// A timestamp as sqlx writes `DateTime<Utc>` to SQLite (RFC 3339, `+00:00`), so that text
/// comparisons against bound values hold; PostgreSQL parses the same literal.
fn ts(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .expect("in range")
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// `BENCH_DATABASE_URL`, or a SQLite file in `dir` (a temp dir the caller keeps alive).
pub fn database_url(dir: &std::path::Path) -> String {
    match std::env::var("BENCH_DATABASE_URL") {
        Ok(u) if !u.is_empty() => u,
        _ => format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
    }
}

/// Settings that keep the time-based sweep quiet: it would otherwise flag generated refunds
/// as stuck at start-up and write while we measure.
pub fn quiet_sweep() -> refund_recon::config::RawConfig {
    refund_recon::config::RawConfig {
        stuck_after: Some("3650d".into()),
        stuck_in_review_after: Some("3650d".into()),
        sweep_interval: Some("24h".into()),
        ..Default::default()
    }
}

/// Prints which database the benchmark runs on.
pub fn print_database(db: &DatabaseConnection) {
    let name = match db.get_database_backend() {
        DatabaseBackend::Postgres => "PostgreSQL",
        _ => "SQLite",
    };
    println!("database: {name}");
}

/// A numeric knob from the environment, or its default.
pub fn knob<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Empties the tables benchmarks fill (and those referring to them).
pub async fn empty(db: &DatabaseConnection) {
    let tables = [
        "webhook_events",
        "discrepancy_history",
        "discrepancies",
        "refund_status_history",
        "return_items",
        "returns",
        "refunds",
        "order_refs",
        "orders",
    ];
    if db.get_database_backend() == DatabaseBackend::Postgres {
        db.execute_unprepared(&format!(
            "TRUNCATE {} RESTART IDENTITY CASCADE",
            tables.join(", ")
        ))
        .await
        .unwrap();
    } else {
        for t in tables {
            db.execute_unprepared(&format!("DELETE FROM {t}"))
                .await
                .unwrap();
        }
    }
}

/// Inserts orders 1, 2, … of `shape` until `max_orders` orders or `max_refunds` refunds
/// exist, whichever comes first, then refreshes the planner's statistics.
pub async fn seed(
    db: &DatabaseConnection,
    max_orders: u64,
    max_refunds: u64,
    shape: Shape,
) -> Seeded {
    let mut rng = fastrand::Rng::with_seed(42);
    let batch = 2000;
    let mut n = Seeded::default();
    let started = Instant::now();
    // 2026-01-01T00:00:00Z; with `spread`, one order every ~30 s from there.
    let base_ms: i64 = 1_767_225_600_000;
    let mut id = 0u64;
    while id < max_orders && n.refunds < max_refunds {
        let (mut orders, mut refunds, mut returns) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..batch {
            if id >= max_orders || n.refunds >= max_refunds {
                break;
            }
            id += 1;
            let cur = if shape.spread {
                CURRENCIES_W[rng.usize(..CURRENCIES_W.len())]
            } else {
                CURRENCIES[rng.usize(..CURRENCIES.len())]
            };
            let total = rng.u64(1_000..50_000);
            let order_ms = if shape.spread {
                base_ms + id as i64 * 30_000 + rng.i64(0..30_000)
            } else {
                0
            };
            let order_ts = if shape.spread {
                ts(order_ms)
            } else {
                TS.to_owned()
            };
            orders.push(format!(
                "({id}, '#B{id}', '{}', '{cur}', 'import', '{order_ts}', '{order_ts}')",
                money(total)
            ));
            if rng.u8(..10) < shape.refund_tenths {
                let count = if shape.second_refund_one_in > 0
                    && rng.u32(..shape.second_refund_one_in) == 0
                {
                    2
                } else {
                    1
                };
                for _ in 0..count {
                    if n.refunds >= max_refunds {
                        break;
                    }
                    n.refunds += 1;
                    let (status, provider, created, updated) = if shape.spread {
                        // Refunded an hour to 30 days after the order, last changed within 3 days.
                        let created = order_ms + rng.i64(3_600_000..30 * 86_400_000);
                        let updated = created + rng.i64(0..3 * 86_400_000);
                        (
                            REFUND_STATUSES_W[rng.usize(..REFUND_STATUSES_W.len())],
                            PROVIDERS_W[rng.usize(..PROVIDERS_W.len())],
                            ts(created),
                            ts(updated),
                        )
                    } else {
                        (
                            REFUND_STATUSES[rng.usize(..REFUND_STATUSES.len())],
                            PROVIDERS[rng.usize(..PROVIDERS.len())],
                            TS.to_owned(),
                            TS.to_owned(),
                        )
                    };
                    refunds.push(format!(
                        "('{provider}', 'bench-r{}', {id}, '{status}', '{status}', '{updated}', '{}', '{cur}', '{{}}', '{created}', '{updated}')",
                        n.refunds,
                        money(rng.u64(100..=total))
                    ));
                }
            }
            if shape.returns && rng.bool() {
                n.returns += 1;
                let status = RETURN_STATUSES[rng.usize(..RETURN_STATUSES.len())];
                returns.push(format!(
                    "('baback', 'bench-t{}', {id}, '{status}', '{status}', '{order_ts}', '{}', '{cur}', '{order_ts}', '{order_ts}')",
                    n.returns,
                    money(rng.u64(100..=total))
                ));
            }
        }
        n.orders = id;
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
        "seeded {} orders, {} refunds, {} returns in {:.1} s",
        n.orders,
        n.refunds,
        n.returns,
        started.elapsed().as_secs_f64()
    );
    n
}
