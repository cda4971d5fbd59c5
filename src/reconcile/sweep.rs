//! The periodic sweep: rules that become true with the passage of time alone
//! (UNDER_REFUND after its grace period, ORPHAN_REFUND, STUCK_REFUND), and closing the
//! ones that no longer hold.

use chrono::{DateTime, Utc};
use entity::{discrepancy, refund, returns};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
};

use super::{ReconSettings, discrepancies::ACTIVE, evaluate};

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepStats {
    pub orders: usize,
    pub refunds: usize,
}

/// Re-evaluates every order and refund a time rule could now apply to.
pub async fn sweep(
    db: &DatabaseConnection,
    s: &ReconSettings,
    now: DateTime<Utc>,
) -> Result<SweepStats, DbErr> {
    let shortest_stuck = s
        .stuck_by_provider
        .values()
        .copied()
        .chain([s.stuck_default, s.stuck_in_review])
        .min()
        .unwrap_or(s.stuck_default);
    let mut refund_ids: Vec<i64> = refund::Entity::find()
        .select_only()
        .column(refund::Column::Id)
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(refund::Column::OrderId.is_null())
                        .add(refund::Column::CreatedAt.lte(now - s.orphan_grace)),
                )
                .add(
                    Condition::all()
                        .add(refund::Column::Status.is_in([
                            "PENDING",
                            "APPROVED",
                            "PROCESSING",
                            "IN_REVIEW",
                        ]))
                        .add(refund::Column::StatusOccurredAt.lte(now - shortest_stuck)),
                ),
        )
        .into_tuple()
        .all(db)
        .await?;
    let active: Vec<(Option<i64>, Option<i64>)> = discrepancy::Entity::find()
        .select_only()
        .column(discrepancy::Column::RefundId)
        .column(discrepancy::Column::OrderId)
        .filter(discrepancy::Column::Status.is_in(ACTIVE))
        .filter(discrepancy::Column::Kind.is_in(["ORPHAN_REFUND", "STUCK_REFUND", "UNDER_REFUND"]))
        .into_tuple()
        .all(db)
        .await?;
    refund_ids.extend(active.iter().filter_map(|(r, _)| *r));
    refund_ids.sort_unstable();
    refund_ids.dedup();
    let mut order_ids: Vec<i64> = returns::Entity::find()
        .select_only()
        .column(returns::Column::OrderId)
        .filter(returns::Column::OrderId.is_not_null())
        .filter(returns::Column::Status.is_in(["RECEIVED", "INSPECTED", "RESOLVED"]))
        .filter(returns::Column::StatusOccurredAt.lte(now - s.under_refund_grace))
        .into_tuple::<Option<i64>>()
        .all(db)
        .await?
        .into_iter()
        .flatten()
        .collect();
    order_ids.extend(active.iter().filter_map(|(_, o)| *o));
    order_ids.sort_unstable();
    order_ids.dedup();
    for id in &refund_ids {
        let txn = crate::store::begin_write(db).await?;
        crate::events::begin_feed_write(&txn).await?;
        evaluate::evaluate_refund(&txn, *id, s, now).await?;
        txn.commit().await?;
    }
    for id in &order_ids {
        let txn = crate::store::begin_write(db).await?;
        crate::events::begin_feed_write(&txn).await?;
        evaluate::evaluate_order(&txn, *id, s, now).await?;
        txn.commit().await?;
    }
    Ok(SweepStats {
        orders: order_ids.len(),
        refunds: refund_ids.len(),
    })
}

/// Runs [`sweep`] every `settings.sweep_interval` until the process ends.
pub fn spawn(
    db: DatabaseConnection,
    settings: ReconSettings,
    notifier: crate::events::Notifier,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(settings.sweep_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match sweep(&db, &settings, Utc::now()).await {
                Ok(s) => {
                    notifier.notify();
                    tracing::debug!(orders = s.orders, refunds = s.refunds, "sweep done")
                }
                Err(e) => tracing::warn!(error = %e, "sweep failed; will retry at the next tick"),
            }
        }
    })
}
