//! Change-feed reads: rows after a cursor, in id order, with the records they concern.

use std::collections::HashMap;

use entity::{discrepancy, discrepancy_history, order, refund, refund_status_history};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::refunds::RefundQuery;

/// A page of the feed: the matching changes, and how far the feed was read (past rows that
/// did not match, so a rarely matching filter does not rescan them).
pub struct FeedPage<T> {
    pub rows: Vec<T>,
    pub scanned_to: i64,
}

/// Applied refund status changes after `after`, matching `q` (status filters apply to the
/// new status of each change; the other filters to the refund as it is when read).
pub async fn refund_changes(
    db: &impl ConnectionTrait,
    q: &RefundQuery,
    after: i64,
    limit: u64,
) -> Result<FeedPage<RefundChange>, DbErr> {
    let page = history_and_refunds(db, q, after, limit).await?;
    with_order_numbers(db, page).await
}

async fn history_and_refunds(
    db: &impl ConnectionTrait,
    q: &RefundQuery,
    after: i64,
    limit: u64,
) -> Result<FeedPage<(refund_status_history::Model, refund::Model)>, DbErr> {
    // The newest id now: rows after it commit later (ids commit in order), so reading up
    // to it and moving the scan position there skips nothing.
    let upper = last_refund_change(db).await?;
    if upper <= after {
        return Ok(FeedPage {
            rows: vec![],
            scanned_to: after,
        });
    }
    let statuses: Vec<&str> = q.statuses.iter().map(|s| s.as_str()).collect();
    let refund_cond = RefundQuery {
        statuses: vec![],
        ..q.clone()
    }
    .condition(db.get_database_backend());
    let mut cond = Condition::all()
        .add(refund_status_history::Column::Id.gt(after))
        .add(refund_status_history::Column::Id.lte(upper))
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
    let scanned_to = if rows.len() as u64 == limit {
        rows.last().map(|(h, _)| h.id).unwrap_or(upper)
    } else {
        upper
    };
    Ok(FeedPage {
        rows: rows
            .into_iter()
            .filter_map(|(h, r)| r.map(|r| (h, r)))
            .collect(),
        scanned_to,
    })
}

pub async fn last_refund_change(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    Ok(refund_status_history::Entity::find()
        .order_by_desc(refund_status_history::Column::Id)
        .one(db)
        .await?
        .map(|h| h.id)
        .unwrap_or(0))
}

/// Discrepancy changes after `after`, matching `cond` (on `discrepancies`) and, when
/// given, whose change was to one of `statuses`.
pub async fn discrepancy_changes(
    db: &impl ConnectionTrait,
    cond: Condition,
    statuses: &[&str],
    after: i64,
    limit: u64,
) -> Result<FeedPage<(discrepancy_history::Model, discrepancy::Model)>, DbErr> {
    let upper = last_discrepancy_change(db).await?;
    if upper <= after {
        return Ok(FeedPage {
            rows: vec![],
            scanned_to: after,
        });
    }
    let mut q = discrepancy_history::Entity::find()
        .find_also_related(discrepancy::Entity)
        .filter(discrepancy_history::Column::Id.gt(after))
        .filter(discrepancy_history::Column::Id.lte(upper))
        .filter(cond);
    if !statuses.is_empty() {
        q = q.filter(discrepancy_history::Column::Status.is_in(statuses.iter().copied()));
    }
    let rows = q
        .order_by_asc(discrepancy_history::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    let scanned_to = if rows.len() as u64 == limit {
        rows.last().map(|(h, _)| h.id).unwrap_or(upper)
    } else {
        upper
    };
    Ok(FeedPage {
        rows: rows
            .into_iter()
            .filter_map(|(h, d)| d.map(|d| (h, d)))
            .collect(),
        scanned_to,
    })
}

pub async fn last_discrepancy_change(db: &impl ConnectionTrait) -> Result<i64, DbErr> {
    Ok(discrepancy_history::Entity::find()
        .order_by_desc(discrepancy_history::Column::Id)
        .one(db)
        .await?
        .map(|h| h.id)
        .unwrap_or(0))
}

/// An applied refund status change: the history row, the refund as read with it, and the
/// number of the order it is linked to (for the `orderNumber` filter, which subscribers of
/// the feed hub evaluate in memory).
#[derive(Debug, Clone)]
pub struct RefundChange {
    pub history: refund_status_history::Model,
    pub refund: refund::Model,
    pub order_number: Option<String>,
}

/// Adds the numbers of the orders the refunds are linked to.
async fn with_order_numbers(
    db: &impl ConnectionTrait,
    page: FeedPage<(refund_status_history::Model, refund::Model)>,
) -> Result<FeedPage<RefundChange>, DbErr> {
    let mut order_ids: Vec<i64> = page.rows.iter().filter_map(|(_, r)| r.order_id).collect();
    order_ids.sort_unstable();
    order_ids.dedup();
    // Read just after the refunds: the filters see the refund and its order as they are now.
    let numbers: HashMap<i64, String> = if order_ids.is_empty() {
        HashMap::new()
    } else {
        order::Entity::find()
            .filter(order::Column::Id.is_in(order_ids))
            .all(db)
            .await?
            .into_iter()
            .filter_map(|o| o.order_number.map(|n| (o.id, n)))
            .collect()
    };
    Ok(FeedPage {
        rows: page
            .rows
            .into_iter()
            .map(|(history, refund)| RefundChange {
                order_number: refund.order_id.and_then(|id| numbers.get(&id).cloned()),
                history,
                refund,
            })
            .collect(),
        scanned_to: page.scanned_to,
    })
}
