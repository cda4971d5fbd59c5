//! The raw baselines of the ingest bench: hand-written SQL through the same driver, no HTTP,
//! no signature, no normalising — what the database alone allows.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement, TransactionTrait, Value,
    sea_query::{Alias, InsertStatement, Query, ReturningClause},
};

/// Raw durable single-row commits (the DB ceiling): one row of a webhook's size into a
/// table with one unique key, one transaction each, keys from `from` on.
pub async fn db_ceiling(
    db: &DatabaseConnection,
    from: u64,
    n: u64,
    body: fn(u64) -> String,
) -> f64 {
    let backend = db.get_database_backend();
    db.execute_unprepared(
        "CREATE TABLE IF NOT EXISTS bench_raw (id INTEGER PRIMARY KEY, k TEXT UNIQUE, body TEXT)",
    )
    .await
    .unwrap();
    let sql = match backend {
        DatabaseBackend::Postgres => "INSERT INTO bench_raw (id, k, body) VALUES ($1, $2, $3)",
        _ => "INSERT INTO bench_raw (id, k, body) VALUES (?, ?, ?)",
    };
    let started = Instant::now();
    for i in from..from + n {
        db.execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [(i as i64).into(), format!("raw-{i}").into(), body(i).into()],
        ))
        .await
        .unwrap();
    }
    n as f64 / started.elapsed().as_secs_f64()
}

/// The floor under any multi-statement transaction: one round trip to the database for a
/// trivial statement, averaged over many inside one transaction.
pub async fn statement_round_trip(db: &DatabaseConnection) -> Duration {
    let backend = db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => "SELECT k FROM bench_raw WHERE id = $1",
        _ => "SELECT k FROM bench_raw WHERE id = ?",
    };
    let txn = db.begin().await.unwrap();
    let n = 5_000;
    let started = Instant::now();
    for i in 0..n {
        txn.query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [(i % 100).into()],
        ))
        .await
        .unwrap();
    }
    let took = started.elapsed() / n as u32;
    txn.commit().await.unwrap();
    took
}

/// The rows one refund webhook leaves in the model, as the service writes them for the
/// bench's deliveries: its inbox row, its refund, the refund's first history row, and for
/// an APPROVED refund dated long ago, its stuck-refund discrepancy and that one's first
/// history row.
pub struct EventRows {
    pub provider: &'static str,
    pub event_key: String,
    pub event_type: &'static str,
    pub body: String,
    pub headers: String,
    pub refund_key: String,
    pub link_order_number: Option<String>,
    pub link_ref: (&'static str, String),
    pub status: &'static str,
    pub provider_status: &'static str,
    pub amount: rust_decimal::Decimal,
    pub fee: Option<rust_decimal::Decimal>,
    pub details: String,
    pub stuck: bool,
}

/// Group commit by hand: the same rows the service writes for `rows`, `batch` events per
/// transaction, one multi-row INSERT per table (ids from RETURNING, paired with the events by
/// position: SQLite does not promise that order, which changes which refund a history row
/// names but not the work), the way the inbox
/// writer groups them but without anything else it does. The best any grouping can do on
/// this schema and disk.
pub async fn group_commit(db: &DatabaseConnection, rows: &[EventRows], batch: usize) -> f64 {
    let started = Instant::now();
    for chunk in rows.chunks(batch.max(1)) {
        let txn = db.begin().await.unwrap();
        let now = Utc::now();
        let events = ids(&txn, inbox(chunk, now)).await;
        let refunds = ids(&txn, refunds(chunk, now)).await;
        txn.execute(&history(chunk, &events, &refunds, now))
            .await
            .unwrap();
        if let Some(stuck) = discrepancies(chunk, &refunds, now) {
            let opened = ids(&txn, stuck).await;
            txn.execute(&opened_history(&opened, now)).await.unwrap();
        }
        txn.commit().await.unwrap();
    }
    rows.len() as f64 / started.elapsed().as_secs_f64()
}

async fn ids(db: &impl ConnectionTrait, mut insert: InsertStatement) -> Vec<i64> {
    insert.returning(ReturningClause::Columns(vec![Alias::new("id").into()]));
    db.query_all(&insert)
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<i64>("", "id").unwrap())
        .collect()
}

fn insert(table: &str, columns: &[&str]) -> InsertStatement {
    Query::insert()
        .into_table(Alias::new(table))
        .columns(columns.iter().map(|c| Alias::new(*c)))
        .to_owned()
}

fn inbox(chunk: &[EventRows], now: DateTime<Utc>) -> InsertStatement {
    let mut q = insert(
        "webhook_events",
        &[
            "provider",
            "idempotency_key",
            "event_type",
            "received_at",
            "raw_body",
            "headers",
            "outcome",
            "processed_at",
        ],
    );
    for e in chunk {
        q.values_panic([
            e.provider.into(),
            e.event_key.clone().into(),
            e.event_type.into(),
            now.into(),
            e.body.clone().into(),
            e.headers.clone().into(),
            "accepted".into(),
            now.into(),
        ]);
    }
    q
}

fn refunds(chunk: &[EventRows], now: DateTime<Utc>) -> InsertStatement {
    let mut q = insert(
        "refunds",
        &[
            "provider",
            "provider_refund_id",
            "link_order_number",
            "link_ref_kind",
            "link_ref_value",
            "status",
            "provider_status",
            "status_occurred_at",
            "amount",
            "currency",
            "fee",
            "fee_currency",
            "details",
            "created_at",
            "updated_at",
        ],
    );
    for e in chunk {
        let fee_currency = e.fee.map(|_| "USD");
        q.values_panic([
            e.provider.into(),
            e.refund_key.clone().into(),
            e.link_order_number.clone().into(),
            e.link_ref.0.into(),
            e.link_ref.1.clone().into(),
            e.status.into(),
            e.provider_status.into(),
            now.into(),
            Value::Decimal(Some(e.amount)).into(),
            "USD".into(),
            Value::Decimal(e.fee).into(),
            fee_currency.into(),
            e.details.clone().into(),
            now.into(),
            now.into(),
        ]);
    }
    q
}

fn history(
    chunk: &[EventRows],
    events: &[i64],
    refunds: &[i64],
    now: DateTime<Utc>,
) -> InsertStatement {
    let mut q = insert(
        "refund_status_history",
        &[
            "refund_id",
            "webhook_event_id",
            "status",
            "provider_status",
            "occurred_at",
            "received_at",
            "applied",
        ],
    );
    for ((e, event), refund) in chunk.iter().zip(events).zip(refunds) {
        q.values_panic([
            (*refund).into(),
            (*event).into(),
            e.status.into(),
            e.provider_status.into(),
            now.into(),
            now.into(),
            true.into(),
        ]);
    }
    q
}

fn discrepancies(
    chunk: &[EventRows],
    refunds: &[i64],
    now: DateTime<Utc>,
) -> Option<InsertStatement> {
    let mut q = insert(
        "discrepancies",
        &[
            "kind",
            "status",
            "dedupe_key",
            "refund_id",
            "amount",
            "currency",
            "detail",
            "detected_at",
            "updated_at",
        ],
    );
    let mut any = false;
    for (e, refund) in chunk.iter().zip(refunds).filter(|(e, _)| e.stuck) {
        any = true;
        q.values_panic([
            "STUCK_REFUND".into(),
            "OPEN".into(),
            format!("STUCK_REFUND:refund:{refund}").into(),
            (*refund).into(),
            Value::Decimal(Some(e.amount)).into(),
            "USD".into(),
            format!(
                "{} refund {} is {} since {}",
                e.provider, e.refund_key, e.status, now
            )
            .into(),
            now.into(),
            now.into(),
        ]);
    }
    any.then_some(q)
}

fn opened_history(discrepancies: &[i64], now: DateTime<Utc>) -> InsertStatement {
    let mut q = insert(
        "discrepancy_history",
        &["discrepancy_id", "status", "note", "actor", "at"],
    );
    for d in discrepancies {
        q.values_panic([
            (*d).into(),
            "OPEN".into(),
            "stuck since the refund's last status".into(),
            "system".into(),
            now.into(),
        ]);
    }
    q
}
