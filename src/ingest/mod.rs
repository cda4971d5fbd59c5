//! The inbox. One authenticated webhook becomes one `webhook_events` row and its effects,
//! committed before it is answered: acknowledged means durable. Webhooks arriving together
//! share one transaction (group commit, `batch.rs`). The unique (provider, idempotency key)
//! makes a second delivery, even a concurrent one, a no-op answered as `duplicate`.

mod apply;
mod batch;
mod bulk;
mod cpu;
mod refund;
pub mod replay;
mod returns;

use chrono::{DateTime, Utc};
use entity::webhook_event;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, DatabaseTransaction, DbErr, EntityTrait,
    QueryFilter, QuerySelect, Set, TryInsertResult,
};

pub use apply::{ApplySummary, RefundChange};
pub use batch::Inbox;

use crate::{
    domain::{NormalizedEvent, Provider},
    providers::{self, Authenticated},
    reconcile::ReconSettings,
};

/// What became of one delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Accepted {
        event_id: i64,
        summary: ApplySummary,
    },
    Duplicate {
        event_id: i64,
    },
    Rejected {
        event_id: i64,
        reason: String,
    },
}

impl Outcome {
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Accepted { .. } => "accepted",
            Outcome::Duplicate { .. } => "duplicate",
            Outcome::Rejected { .. } => "rejected",
        }
    }
}

fn headers_json(h: &[(String, String)]) -> String {
    let map: serde_json::Map<String, serde_json::Value> = h
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    serde_json::Value::Object(map).to_string()
}

/// Errors worth one more try: two different events creating the same order or refund at
/// the same moment (a unique violation), or a PostgreSQL deadlock / serialization failure.
/// The transaction was rolled back, so a retry starts clean.
fn is_transient(e: &DbErr) -> bool {
    if matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    ) {
        return true;
    }
    let msg = e.to_string();
    [
        "40001",
        "40P01",
        "deadlock detected",
        "could not serialize",
        "database is locked",
    ]
    .iter()
    .any(|m| msg.contains(m))
}

/// Stores and applies one authenticated webhook, retrying transient conflicts.
#[tracing::instrument(skip_all, fields(provider = %provider, key = %auth.idempotency_key))]
pub async fn ingest(
    db: &DatabaseConnection,
    provider: Provider,
    auth: &Authenticated,
    received_at: DateTime<Utc>,
    settings: &ReconSettings,
) -> Result<Outcome, DbErr> {
    use backon::{ExponentialBuilder, Retryable};
    let policy = ExponentialBuilder::default()
        .with_min_delay(std::time::Duration::from_millis(5))
        .with_max_delay(std::time::Duration::from_millis(200))
        .with_max_times(5)
        .with_jitter();
    (|| ingest_once(db, provider, auth, received_at, settings))
        .retry(policy)
        .when(is_transient)
        .notify(|e, after| tracing::debug!(error = %e, ?after, "retrying a conflicting event"))
        .await
}

async fn ingest_once(
    db: &DatabaseConnection,
    provider: Provider,
    auth: &Authenticated,
    received_at: DateTime<Utc>,
    settings: &ReconSettings,
) -> Result<Outcome, DbErr> {
    if let Some(done) = already_applied(db, provider, auth).await? {
        return Ok(done);
    }
    let parsed = providers::parse(provider, &auth.stored_body, received_at);
    let txn = crate::store::begin_write(db).await?;
    match store_in(&txn, provider, auth, &parsed, received_at, settings).await? {
        Stored::Done(outcome) => {
            txn.commit().await?;
            Ok(outcome)
        }
        Stored::Unprocessable(reason) => {
            // Nothing of the effects may stay: start over with only the inbox row.
            txn.rollback().await?;
            store_rejected(db, provider, auth, received_at, reason).await
        }
    }
}

/// An event already applied is final: the per-event path answers its redelivery from a
/// plain read, before taking the write lock.
async fn already_applied(
    db: &DatabaseConnection,
    provider: Provider,
    auth: &Authenticated,
) -> Result<Option<Outcome>, DbErr> {
    Ok(webhook_event::Entity::find()
        .select_only()
        .column(webhook_event::Column::Id)
        .filter(webhook_event::Column::Provider.eq(provider.slug()))
        .filter(webhook_event::Column::IdempotencyKey.eq(&auth.idempotency_key))
        .filter(webhook_event::Column::Outcome.eq("accepted"))
        .into_tuple::<i64>()
        .one(db)
        .await?
        .map(|event_id| Outcome::Duplicate { event_id }))
}

/// What one event did inside a write transaction that is still open.
pub(crate) enum Stored {
    /// Commit to make it so (a duplicate wrote nothing).
    Done(Outcome),
    /// Authentic but impossible to apply: the transaction holds partial effects and must
    /// be rolled back; the event is then stored alone as rejected.
    Unprocessable(String),
}

/// Stores one event in `txn`: the inbox row, then its effects.
pub(crate) async fn store_in(
    txn: &DatabaseTransaction,
    provider: Provider,
    auth: &Authenticated,
    parsed: &Result<NormalizedEvent, providers::Unprocessable>,
    received_at: DateTime<Utc>,
    settings: &ReconSettings,
) -> Result<Stored, DbErr> {
    let row = webhook_event::ActiveModel {
        provider: Set(provider.slug().to_owned()),
        idempotency_key: Set(auth.idempotency_key.clone()),
        event_type: Set(parsed.as_ref().ok().map(|e| e.event_type.clone())),
        received_at: Set(received_at),
        raw_body: Set(auth.stored_body.clone()),
        headers: Set(headers_json(&auth.stored_headers)),
        // The outcome this transaction commits with: were the effects to fail, it rolls
        // back with them (saves an update per event).
        outcome: Set(if parsed.is_ok() {
            "accepted"
        } else {
            "rejected"
        }
        .into()),
        error: Set(parsed.as_ref().err().map(|e| e.0.clone())),
        processed_at: Set(Utc::now()),
        ..Default::default()
    };
    // Insert first: the unique index decides, inside the database, who is first.
    let inserted = webhook_event::Entity::insert(row)
        .on_conflict_do_nothing_on([
            webhook_event::Column::Provider,
            webhook_event::Column::IdempotencyKey,
        ])
        .exec(txn)
        .await?;
    let (event_id, claimed) = match inserted {
        TryInsertResult::Inserted(r) => (r.last_insert_id, false),
        _ => {
            let existing = webhook_event::Entity::find()
                .filter(webhook_event::Column::Provider.eq(provider.slug()))
                .filter(webhook_event::Column::IdempotencyKey.eq(&auth.idempotency_key))
                .one(txn)
                .await?
                .ok_or_else(|| DbErr::Custom("inbox row vanished".into()))?;
            // A redelivery of an event we rejected: try again with today's parser, with
            // the body of this delivery. Claiming the row (a conditional update, which
            // locks it) makes a concurrent redelivery or replay wait and then see it taken.
            // Otherwise nothing was written.
            if existing.outcome != "rejected" || !claim(txn, existing.id, Some(auth)).await? {
                return Ok(Stored::Done(Outcome::Duplicate {
                    event_id: existing.id,
                }));
            }
            (existing.id, true)
        }
    };
    let outcome = match parsed {
        Ok(event) => match apply::apply(txn, event, event_id, received_at, settings).await {
            Ok(summary) => {
                if claimed {
                    mark(txn, event_id, Some(event), None).await?;
                }
                Outcome::Accepted { event_id, summary }
            }
            Err(apply::ApplyError::Db(e)) => return Err(e),
            Err(apply::ApplyError::Unprocessable(reason)) => {
                return Ok(Stored::Unprocessable(reason));
            }
        },
        Err(e) => {
            if claimed {
                mark(txn, event_id, None, Some(&e.0)).await?;
            }
            Outcome::Rejected {
                event_id,
                reason: e.0.clone(),
            }
        }
    };
    Ok(Stored::Done(outcome))
}

/// Takes a rejected inbox row for reprocessing: true when this transaction got it.
pub(crate) async fn claim(
    txn: &impl sea_orm::ConnectionTrait,
    event_id: i64,
    redelivery: Option<&Authenticated>,
) -> Result<bool, DbErr> {
    let mut update = webhook_event::Entity::update_many().col_expr(
        webhook_event::Column::Outcome,
        sea_orm::sea_query::Expr::value("processing"),
    );
    if let Some(auth) = redelivery {
        update = update
            .col_expr(
                webhook_event::Column::RawBody,
                sea_orm::sea_query::Expr::value(auth.stored_body.clone()),
            )
            .col_expr(
                webhook_event::Column::Headers,
                sea_orm::sea_query::Expr::value(headers_json(&auth.stored_headers)),
            );
    }
    let res = update
        .filter(webhook_event::Column::Id.eq(event_id))
        .filter(webhook_event::Column::Outcome.eq("rejected"))
        .exec(txn)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Records the outcome of an inbox row. Marking it rejected never overwrites an
/// `accepted` row (a concurrent delivery or replay may have applied it meanwhile): returns
/// false then.
pub(crate) async fn mark(
    txn: &impl sea_orm::ConnectionTrait,
    event_id: i64,
    event: Option<&NormalizedEvent>,
    error: Option<&str>,
) -> Result<bool, DbErr> {
    use sea_orm::sea_query::Expr;
    let mut update = webhook_event::Entity::update_many()
        .col_expr(
            webhook_event::Column::Outcome,
            Expr::value(if error.is_some() {
                "rejected"
            } else {
                "accepted"
            }),
        )
        .col_expr(
            webhook_event::Column::Error,
            Expr::value(error.map(str::to_owned)),
        )
        .col_expr(webhook_event::Column::ProcessedAt, Expr::value(Utc::now()))
        .filter(webhook_event::Column::Id.eq(event_id));
    if let Some(e) = event {
        update = update.col_expr(
            webhook_event::Column::EventType,
            Expr::value(Some(e.event_type.clone())),
        );
    }
    if error.is_some() {
        update = update.filter(webhook_event::Column::Outcome.ne("accepted"));
    }
    Ok(update.exec(txn).await?.rows_affected == 1)
}

/// Stores only the inbox row, as `rejected` with its reason, for a later replay.
async fn store_rejected(
    db: &DatabaseConnection,
    provider: Provider,
    auth: &Authenticated,
    received_at: DateTime<Utc>,
    reason: String,
) -> Result<Outcome, DbErr> {
    let txn = crate::store::begin_write(db).await?;
    let existing = webhook_event::Entity::find()
        .filter(webhook_event::Column::Provider.eq(provider.slug()))
        .filter(webhook_event::Column::IdempotencyKey.eq(&auth.idempotency_key))
        .one(&txn)
        .await?;
    let event_id = match existing {
        // Applied meanwhile by a concurrent delivery or replay: that stands.
        Some(e) if e.outcome == "accepted" => {
            txn.rollback().await?;
            return Ok(Outcome::Duplicate { event_id: e.id });
        }
        Some(e) => e.id,
        None => {
            webhook_event::ActiveModel {
                provider: Set(provider.slug().to_owned()),
                idempotency_key: Set(auth.idempotency_key.clone()),
                event_type: Set(None),
                received_at: Set(received_at),
                raw_body: Set(auth.stored_body.clone()),
                headers: Set(headers_json(&auth.stored_headers)),
                outcome: Set("rejected".into()),
                error: Set(Some(reason.clone())),
                processed_at: Set(Utc::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?
            .id
        }
    };
    if !mark(&txn, event_id, None, Some(&reason)).await? {
        txn.rollback().await?;
        return Ok(Outcome::Duplicate { event_id });
    }
    txn.commit().await?;
    Ok(Outcome::Rejected { event_id, reason })
}
