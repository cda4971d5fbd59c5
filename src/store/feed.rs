//! Change-feed reads: rows after a cursor, in id order, with the records they concern.

use entity::{discrepancy, discrepancy_history, refund, refund_status_history};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::refunds::RefundQuery;

/// Applied refund status changes after `after`, matching `q` (status filters apply to the
/// new status of each change).
pub async fn refund_changes(
    db: &impl ConnectionTrait,
    q: &RefundQuery,
    after: i64,
    limit: u64,
) -> Result<Vec<(refund_status_history::Model, refund::Model)>, DbErr> {
    let statuses: Vec<&str> = q.statuses.iter().map(|s| s.as_str()).collect();
    let refund_cond = RefundQuery {
        statuses: vec![],
        ..q.clone()
    }
    .condition(db.get_database_backend());
    let mut cond = Condition::all()
        .add(refund_status_history::Column::Id.gt(after))
        .add(refund_status_history::Column::Applied.eq(true))
        .add(refund_cond);
    if !statuses.is_empty() {
        cond = cond.add(refund_status_history::Column::Status.is_in(statuses));
    }
    let rows = refund_status_history::Entity::find()
        .find_also_related(refund::Entity)
        .filter(cond)
        .order_by_asc(refund_status_history::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(h, r)| r.map(|r| (h, r)))
        .collect())
}

pub async fn last_refund_change(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    Ok(refund_status_history::Entity::find()
        .order_by_desc(refund_status_history::Column::Id)
        .one(db)
        .await?
        .map(|h| h.id)
        .unwrap_or(0))
}

/// Discrepancy changes after `after`, matching `cond` (on `discrepancies`).
pub async fn discrepancy_changes(
    db: &impl ConnectionTrait,
    cond: Condition,
    after: i64,
    limit: u64,
) -> Result<Vec<(discrepancy_history::Model, discrepancy::Model)>, DbErr> {
    let rows = discrepancy_history::Entity::find()
        .find_also_related(discrepancy::Entity)
        .filter(discrepancy_history::Column::Id.gt(after))
        .filter(cond)
        .order_by_asc(discrepancy_history::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(h, d)| d.map(|d| (h, d)))
        .collect())
}

pub async fn last_discrepancy_change(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    Ok(discrepancy_history::Entity::find()
        .order_by_desc(discrepancy_history::Column::Id)
        .one(db)
        .await?
        .map(|h| h.id)
        .unwrap_or(0))
}
