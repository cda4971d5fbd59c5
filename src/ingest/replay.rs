//! Replay: run stored events through today's parsers. This is how an operator recovers
//! events rejected before a parser fix. An event already applied is left alone (its
//! effects are in the database once already); `dry_run` applies inside a transaction that is
//! rolled back, and reports what would change.

use chrono::{DateTime, Utc};
use entity::webhook_event;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    Statement,
};

use super::apply::{self, ApplyError};
use crate::{domain::Provider, providers, reconcile::ReconSettings};

/// Tables an event can change, in the order reports list them.
pub const TABLES: [&str; 9] = [
    "orders",
    "order_refs",
    "returns",
    "return_items",
    "return_status_history",
    "refunds",
    "refund_status_history",
    "discrepancies",
    "discrepancy_history",
];

/// What replaying one event did, or would do.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayReport {
    pub event_id: i64,
    pub provider: String,
    pub before: String,
    /// `accepted`, `rejected` or `unchanged`.
    pub after: String,
    /// Rows added per table (tables with no change are left out).
    pub rows_added: Vec<(String, i64)>,
    /// `refund X: PENDING → SUCCEEDED`.
    pub status_moves: Vec<String>,
    pub error: Option<String>,
}

impl std::fmt::Display for ReplayReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "event {} ({}): {} → {}",
            self.event_id, self.provider, self.before, self.after
        )?;
        for (t, n) in &self.rows_added {
            write!(f, "; {t} +{n}")?;
        }
        for m in &self.status_moves {
            write!(f, "; {m}")?;
        }
        if let Some(e) = &self.error {
            write!(f, "; {e}")?;
        }
        Ok(())
    }
}

async fn counts(db: &impl ConnectionTrait) -> Result<Vec<i64>, DbErr> {
    let mut out = Vec::with_capacity(TABLES.len());
    for t in TABLES {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {t}"),
            ))
            .await?;
        out.push(
            row.map(|r| r.try_get::<i64>("", "n"))
                .transpose()?
                .unwrap_or(0),
        );
    }
    Ok(out)
}

/// Replays one stored event.
pub async fn replay(
    db: &DatabaseConnection,
    event_id: i64,
    dry_run: bool,
    settings: &ReconSettings,
) -> Result<Option<ReplayReport>, DbErr> {
    let Some(ev) = webhook_event::Entity::find_by_id(event_id).one(db).await? else {
        return Ok(None);
    };
    let mut report = ReplayReport {
        event_id,
        provider: ev.provider.clone(),
        before: ev.outcome.clone(),
        after: "unchanged".into(),
        rows_added: vec![],
        status_moves: vec![],
        error: None,
    };
    if ev.outcome == "accepted" {
        report.error = Some("already applied; nothing to do".into());
        return Ok(Some(report));
    }
    let provider: Provider = ev
        .provider
        .parse()
        .map_err(|_| DbErr::Custom(format!("stored provider `{}` is unknown", ev.provider)))?;
    let parsed = match providers::parse(provider, &ev.raw_body, ev.received_at) {
        Ok(p) => p,
        Err(e) => {
            report.error = Some(format!("still rejected: {e}"));
            if !dry_run && ev.error.as_deref() != Some(e.0.as_str()) {
                super::mark(db, event_id, None, Some(&e.0)).await?;
            }
            return Ok(Some(report));
        }
    };
    let txn = crate::store::begin_write(db).await?;
    // Take the row: a concurrent redelivery or replay that got there first wins.
    if !super::claim(&txn, event_id, None).await? {
        txn.rollback().await?;
        report.error = Some("applied meanwhile; nothing to do".into());
        return Ok(Some(report));
    }
    let before = counts(&txn).await?;
    let received: DateTime<Utc> = ev.received_at;
    match apply::apply(&txn, &parsed, event_id, received, settings).await {
        Ok(summary) => {
            let after = counts(&txn).await?;
            report.rows_added = TABLES
                .iter()
                .zip(before.iter().zip(after.iter()))
                .filter(|(_, (b, a))| a != b)
                .map(|(t, (b, a))| ((*t).to_owned(), a - b))
                .collect();
            if let Some(c) = &summary.refund_change {
                report.status_moves.push(format!(
                    "refund {}: {} → {}",
                    c.refund_id,
                    c.previous.map(|s| s.as_str()).unwrap_or("(new)"),
                    c.status
                ));
            }
            report.after = "accepted".into();
            if dry_run {
                txn.rollback().await?;
            } else {
                super::mark(&txn, event_id, Some(&parsed), None).await?;
                txn.commit().await?;
            }
        }
        Err(ApplyError::Unprocessable(reason)) => {
            txn.rollback().await?;
            report.error = Some(format!("still rejected: {reason}"));
            if !dry_run {
                super::mark(db, event_id, None, Some(&reason)).await?;
            }
        }
        Err(ApplyError::Db(e)) => return Err(e),
    }
    Ok(Some(report))
}

/// Which stored events `refund-recon replay` selects.
#[derive(Debug, Clone, Default)]
pub struct ReplaySelection {
    pub provider: Option<Provider>,
    pub since: Option<DateTime<Utc>>,
    /// Rejected ones only (the default), or all.
    pub all: bool,
}

/// Ids of the selected events, oldest first.
pub async fn select(db: &DatabaseConnection, s: &ReplaySelection) -> Result<Vec<i64>, DbErr> {
    let mut q = webhook_event::Entity::find();
    if let Some(p) = s.provider {
        q = q.filter(webhook_event::Column::Provider.eq(p.slug()));
    }
    if let Some(t) = s.since {
        q = q.filter(webhook_event::Column::ReceivedAt.gte(t));
    }
    if !s.all {
        q = q.filter(webhook_event::Column::Outcome.eq("rejected"));
    }
    Ok(q.order_by_asc(webhook_event::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(|e| e.id)
        .collect())
}
