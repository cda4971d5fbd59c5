//! Applies one normalized event to the model: order first (so the return and refund can
//! attach to it), then the return, then the refund.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::{
    domain::{NormalizedEvent, RefundStatus},
    reconcile::{ReconSettings, evaluate},
    store,
};

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The event is authentic but cannot be applied (impossible values): 422, stored rejected.
    #[error("{0}")]
    Unprocessable(String),
    #[error(transparent)]
    Db(#[from] DbErr),
}

/// A refund status change that became current (published after commit).
#[derive(Debug, Clone, PartialEq)]
pub struct RefundChange {
    pub history_id: i64,
    pub refund_id: i64,
    pub previous: Option<RefundStatus>,
    pub status: RefundStatus,
    pub occurred_at: DateTime<Utc>,
}

/// What one event did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplySummary {
    pub order_id: Option<i64>,
    pub return_id: Option<i64>,
    pub refund_id: Option<i64>,
    pub refund_change: Option<RefundChange>,
    /// History rows written but not applied (late or contradicting events).
    pub not_applied: u32,
    pub discrepancies_raised: Vec<i64>,
    /// Orders and refunds whose figures changed, to re-check for discrepancies.
    pub touched_orders: Vec<i64>,
    pub touched_refunds: Vec<i64>,
}

/// Every amount the ledger will sum must be storable exactly (see `check_storable`).
pub(super) fn check_amounts(ev: &NormalizedEvent) -> Result<(), ApplyError> {
    use crate::domain::money::check_storable;
    let mut amounts = Vec::new();
    if let Some(o) = &ev.order {
        amounts.extend(o.total.map(|m| ("order total", m.amount)));
    }
    if let Some(r) = &ev.return_ {
        amounts.extend(r.expected_refund.map(|m| ("expected refund", m.amount)));
        for it in r.items.iter().flatten() {
            amounts.extend(it.unit_price.map(|m| ("item price", m.amount)));
        }
    }
    if let Some(r) = &ev.refund {
        amounts.extend(r.amount.map(|m| ("refund amount", m.amount)));
        amounts.extend(r.fee.map(|m| ("fee", m.amount)));
    }
    for (what, d) in amounts {
        check_storable(d).map_err(|e| ApplyError::Unprocessable(format!("{what}: {e}")))?;
    }
    Ok(())
}

pub async fn apply(
    db: &impl ConnectionTrait,
    ev: &NormalizedEvent,
    webhook_event_id: i64,
    received_at: DateTime<Utc>,
    settings: &ReconSettings,
) -> Result<ApplySummary, ApplyError> {
    check_amounts(ev)?;
    crate::events::begin_feed_write(db).await?;
    let now = Utc::now();
    let occurred_at = ev.occurred_at.unwrap_or(received_at);
    let mut summary = ApplySummary::default();
    if let Some(facts) = &ev.order {
        let (order, linked) =
            store::orders::upsert_from_facts(db, facts, ev.provider.slug(), now).await?;
        summary.order_id = Some(order.id);
        summary.touched_orders.push(order.id);
        summary.touched_refunds.extend(linked);
    }
    let ctx = super::refund::Ctx {
        provider: ev.provider,
        webhook_event_id,
        occurred_at,
        received_at,
        now,
        order_id: summary.order_id,
    };
    if let Some(r) = &ev.return_ {
        super::returns::apply(db, &ctx, r, &mut summary).await?;
    }
    if let Some(r) = &ev.refund {
        super::refund::apply(db, &ctx, r, &mut summary).await?;
    }
    // Same transaction: the discrepancy queue is never behind what was acknowledged.
    summary.touched_orders.sort_unstable();
    summary.touched_orders.dedup();
    summary.touched_refunds.sort_unstable();
    summary.touched_refunds.dedup();
    for id in &summary.touched_orders {
        evaluate::evaluate_order(db, *id, settings, now).await?;
    }
    for id in &summary.touched_refunds {
        evaluate::evaluate_refund(db, *id, settings, now).await?;
    }
    Ok(summary)
}
