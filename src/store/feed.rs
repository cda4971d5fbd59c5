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
) -> Result<FeedPage<DiscrepancyChange>, DbErr> {
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
    let rows: Vec<_> = rows
        .into_iter()
        .filter_map(|(h, d)| d.map(|d| (h, d)))
        .collect();
    // What the `orderNumber` and `provider` filters look at, read just after the changes.
    let mut order_ids: Vec<i64> = rows.iter().filter_map(|(_, d)| d.order_id).collect();
    order_ids.sort_unstable();
    order_ids.dedup();
    let mut refund_ids: Vec<i64> = rows.iter().filter_map(|(_, d)| d.refund_id).collect();
    refund_ids.sort_unstable();
    refund_ids.dedup();
    let numbers = order_numbers(db, order_ids).await?;
    let providers: HashMap<i64, String> = if refund_ids.is_empty() {
        HashMap::new()
    } else {
        refund::Entity::find()
            .select_only()
            .column(refund::Column::Id)
            .column(refund::Column::Provider)
            .filter(refund::Column::Id.is_in(refund_ids))
            .into_tuple::<(i64, String)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    Ok(FeedPage {
        rows: rows
            .into_iter()
            .map(|(history, discrepancy)| DiscrepancyChange {
                order_number: discrepancy
                    .order_id
                    .and_then(|id| numbers.get(&id).cloned()),
                refund_provider: discrepancy
                    .refund_id
                    .and_then(|id| providers.get(&id).cloned()),
                history,
                discrepancy,
            })
            .collect(),
        scanned_to,
    })
}

/// A discrepancy change: the history row, the discrepancy as read with it, and what the
/// subscription filters look at besides (its order's number, its refund's provider), so
/// subscribers of the feed hub can filter in memory.
#[derive(Debug, Clone)]
pub struct DiscrepancyChange {
    pub history: discrepancy_history::Model,
    pub discrepancy: discrepancy::Model,
    pub order_number: Option<String>,
    pub refund_provider: Option<String>,
}

/// A `discrepancyChanged` filter in memory: the same rule as its SQL condition plus the
/// status list (which applies to the status each change moved to). Empty lists match all.
#[derive(Debug, Clone, Default)]
pub struct DiscrepancyMatch {
    pub kinds: Vec<&'static str>,
    pub statuses: Vec<&'static str>,
    pub order_number: Option<String>,
    pub providers: Vec<&'static str>,
}

impl DiscrepancyMatch {
    pub fn matches(&self, c: &DiscrepancyChange) -> bool {
        let within = |list: &[&str], v: Option<&str>| {
            list.is_empty() || v.is_some_and(|v| list.contains(&v))
        };
        within(&self.kinds, Some(&c.discrepancy.kind))
            && within(&self.statuses, Some(&c.history.status))
            && self
                .order_number
                .as_ref()
                .is_none_or(|n| c.order_number.as_ref() == Some(n))
            && within(&self.providers, c.refund_provider.as_deref())
    }
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

/// The numbers of these orders (those that have one), by id.
async fn order_numbers(
    db: &impl ConnectionTrait,
    ids: Vec<i64>,
) -> Result<HashMap<i64, String>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .column(order::Column::OrderNumber)
        .filter(order::Column::Id.is_in(ids))
        .into_tuple::<(i64, Option<String>)>()
        .all(db)
        .await?
        .into_iter()
        .filter_map(|(id, n)| n.map(|n| (id, n)))
        .collect())
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
    let numbers = order_numbers(db, order_ids).await?;
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
