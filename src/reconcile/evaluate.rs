//! Raises and closes discrepancies for one order or one refund, from the current figures.
//! Called in the same transaction as the event or import that changed them, and by the
//! periodic sweep for rules that depend on the passage of time.

use chrono::{DateTime, Utc};
use entity::{order, refund, returns};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder,
};

use super::{
    ReconSettings,
    discrepancies::{Kind, NewDiscrepancy, close_cleared, ensure_open},
    query::{self, ReconFilter},
};
use crate::domain::{Provider, RefundStatus};

const ORDER_KINDS: [Kind; 6] = [
    Kind::OverRefund,
    Kind::UnderRefund,
    Kind::AmountMismatch,
    Kind::CurrencyMismatch,
    Kind::DuplicateRefund,
    Kind::FailedRefund,
];

fn new(
    kind: Kind,
    key: String,
    order_id: Option<i64>,
    refund_id: Option<i64>,
    amount: Option<Decimal>,
    currency: Option<String>,
    detail: String,
) -> NewDiscrepancy {
    NewDiscrepancy {
        kind,
        dedupe_key: key,
        order_id,
        refund_id,
        return_id: None,
        amount,
        currency,
        detail,
    }
}

fn is_dead(status: &str) -> bool {
    matches!(status, "FAILED" | "CANCELED" | "REJECTED")
}

/// Order-level rules: OVER_REFUND, UNDER_REFUND (after grace), AMOUNT_MISMATCH,
/// CURRENCY_MISMATCH, DUPLICATE_REFUND, FAILED_REFUND.
pub async fn evaluate_order(
    db: &impl ConnectionTrait,
    order_id: i64,
    s: &ReconSettings,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let tol = s.tolerance;
    let Some(order) = order::Entity::find_by_id(order_id).one(db).await? else {
        return Ok(());
    };
    let label = order
        .order_number
        .clone()
        .unwrap_or_else(|| format!("order {order_id}"));
    let mut holding: Vec<NewDiscrepancy> = Vec::new();
    let rows = query::rows(
        db,
        tol,
        &ReconFilter {
            order_id: Some(order_id),
            ..Default::default()
        },
    )
    .await?;
    for row in rows {
        let p = &row.position;
        let cur = p.currency.clone().unwrap_or_default();
        if p.over_refund(tol) {
            let total = p.total.unwrap_or_default();
            holding.push(new(
                Kind::OverRefund,
                format!("OVER_REFUND:order:{order_id}:{cur}"),
                Some(order_id),
                None,
                Some(p.refunded + p.pending - total),
                p.currency.clone(),
                format!(
                    "{label}: refunded {} + pending {} exceed the order total {} {cur}",
                    p.refunded, p.pending, total
                ),
            ));
        }
        if p.amount_mismatch(tol) {
            holding.push(new(
                Kind::AmountMismatch,
                format!("AMOUNT_MISMATCH:order:{order_id}:{cur}"),
                Some(order_id),
                None,
                Some(p.refunded - p.expected),
                p.currency.clone(),
                format!(
                    "{label}: all refunds are final; refunded {} {cur} but returns expect {}",
                    p.refunded, p.expected
                ),
            ));
        }
        if p.under_refund(tol) {
            // The grace period runs from when the first owed return reached RECEIVED.
            let since = returns::Entity::find()
                .filter(returns::Column::OrderId.eq(order_id))
                .filter(returns::Column::Currency.eq(cur.as_str()))
                .filter(returns::Column::Status.is_in(["RECEIVED", "INSPECTED", "RESOLVED"]))
                .order_by_asc(returns::Column::StatusOccurredAt)
                .one(db)
                .await?
                .map(|r| r.status_occurred_at);
            if since.is_some_and(|t| now - t >= s.under_refund_grace) {
                holding.push(new(
                    Kind::UnderRefund,
                    format!("UNDER_REFUND:order:{order_id}:{cur}"),
                    Some(order_id),
                    None,
                    Some(p.outstanding()),
                    p.currency.clone(),
                    format!(
                        "{label}: returns expect {} {cur}; refunded {} and pending {}",
                        p.expected, p.refunded, p.pending
                    ),
                ));
            }
        }
    }
    let refunds = refund::Entity::find()
        .filter(refund::Column::OrderId.eq(order_id))
        .order_by_asc(refund::Column::CreatedAt)
        .all(db)
        .await?;
    for r in &refunds {
        if let (Some(oc), Some(rc)) = (&order.currency, &r.currency)
            && oc != rc
        {
            holding.push(new(
                Kind::CurrencyMismatch,
                format!("CURRENCY_MISMATCH:refund:{}", r.id),
                Some(order_id),
                Some(r.id),
                r.amount.map(|a| a.0),
                r.currency.clone(),
                format!(
                    "{label}: {} refund {} is in {rc}, the order in {oc}",
                    r.provider, r.provider_refund_id
                ),
            ));
        }
        if r.status == "FAILED"
            && !refunds
                .iter()
                .any(|o| o.status == "SUCCEEDED" && o.created_at >= r.created_at && o.id != r.id)
        {
            holding.push(new(
                Kind::FailedRefund,
                format!("FAILED_REFUND:refund:{}", r.id),
                Some(order_id),
                Some(r.id),
                r.amount.map(|a| a.0),
                r.currency.clone(),
                format!(
                    "{label}: {} refund {} failed and no later refund succeeded",
                    r.provider, r.provider_refund_id
                ),
            ));
        }
    }
    for (i, a) in refunds.iter().enumerate() {
        for b in &refunds[i + 1..] {
            let same = a.amount.is_some() && a.amount == b.amount && a.currency == b.currency;
            let close = (b.created_at - a.created_at).abs() <= s.duplicate_window;
            if same && close && !is_dead(&a.status) && !is_dead(&b.status) {
                holding.push(new(
                    Kind::DuplicateRefund,
                    format!("DUPLICATE_REFUND:refund:{}:{}", a.id, b.id),
                    Some(order_id),
                    Some(b.id),
                    b.amount.map(|x| x.0),
                    b.currency.clone(),
                    format!(
                        "{label}: {} refund {} and {} refund {} are both {} {}",
                        a.provider,
                        a.provider_refund_id,
                        b.provider,
                        b.provider_refund_id,
                        b.amount.map(|x| x.to_string()).unwrap_or_default(),
                        b.currency.clone().unwrap_or_default()
                    ),
                ));
            }
        }
    }
    sync(
        db,
        Condition::all().add(entity::discrepancy::Column::OrderId.eq(order_id)),
        &ORDER_KINDS,
        holding,
        now,
    )
    .await
}

/// Refund-level time rules: ORPHAN_REFUND and STUCK_REFUND.
pub async fn evaluate_refund(
    db: &impl ConnectionTrait,
    refund_id: i64,
    s: &ReconSettings,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let Some(r) = refund::Entity::find_by_id(refund_id).one(db).await? else {
        return Ok(());
    };
    sync(
        db,
        Condition::all().add(entity::discrepancy::Column::RefundId.eq(refund_id)),
        &REFUND_KINDS,
        refund_holdings(&r, s, now),
        now,
    )
    .await
}

/// Kinds the refund-level rules raise and close.
pub const REFUND_KINDS: [Kind; 2] = [Kind::OrphanRefund, Kind::StuckRefund];

/// The refund-level discrepancies that hold for `r` at `now`.
pub fn refund_holdings(
    r: &refund::Model,
    s: &ReconSettings,
    now: DateTime<Utc>,
) -> Vec<NewDiscrepancy> {
    let mut holding = Vec::new();
    if r.order_id.is_none() && now - r.created_at >= s.orphan_grace {
        holding.push(new(
            Kind::OrphanRefund,
            format!("ORPHAN_REFUND:refund:{}", r.id),
            None,
            Some(r.id),
            r.amount.map(|a| a.0),
            r.currency.clone(),
            format!(
                "{} refund {} has no known order (reference {})",
                r.provider,
                r.provider_refund_id,
                r.link_order_number
                    .clone()
                    .or(r.link_ref_value.clone())
                    .unwrap_or_else(|| "none".into())
            ),
        ));
    }
    if let (Ok(provider), Ok(status)) = (
        r.provider.parse::<Provider>(),
        r.status.parse::<RefundStatus>(),
    ) {
        use crate::domain::status::Ranked;
        if !status.is_terminal() && now - r.status_occurred_at >= s.stuck_limit(provider, status) {
            holding.push(new(
                Kind::StuckRefund,
                format!("STUCK_REFUND:refund:{}", r.id),
                r.order_id,
                Some(r.id),
                r.amount.map(|a| a.0),
                r.currency.clone(),
                format!(
                    "{} refund {} is {} since {}",
                    r.provider,
                    r.provider_refund_id,
                    r.status,
                    r.status_occurred_at.to_rfc3339()
                ),
            ));
        }
    }
    holding
}

async fn sync(
    db: &impl ConnectionTrait,
    scope: Condition,
    kinds: &[Kind],
    holding: Vec<NewDiscrepancy>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let keys: Vec<String> = holding.iter().map(|d| d.dedupe_key.clone()).collect();
    for d in holding {
        ensure_open(db, d, now).await?;
    }
    close_cleared(db, scope, kinds, &keys, now).await?;
    Ok(())
}
