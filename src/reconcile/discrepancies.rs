//! Discrepancy records: raised once per subject (a unique dedupe key), with an audit trail.

use chrono::{DateTime, Utc};
use entity::{discrepancy, discrepancy_history};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, Set, TryInsertResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    OverRefund,
    UnderRefund,
    AmountMismatch,
    CurrencyMismatch,
    DuplicateRefund,
    OrphanRefund,
    StuckRefund,
    FailedRefund,
    StatusConflict,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::OverRefund => "OVER_REFUND",
            Kind::UnderRefund => "UNDER_REFUND",
            Kind::AmountMismatch => "AMOUNT_MISMATCH",
            Kind::CurrencyMismatch => "CURRENCY_MISMATCH",
            Kind::DuplicateRefund => "DUPLICATE_REFUND",
            Kind::OrphanRefund => "ORPHAN_REFUND",
            Kind::StuckRefund => "STUCK_REFUND",
            Kind::FailedRefund => "FAILED_REFUND",
            Kind::StatusConflict => "STATUS_CONFLICT",
        }
    }
}

pub struct NewDiscrepancy {
    pub kind: Kind,
    pub dedupe_key: String,
    pub order_id: Option<i64>,
    pub refund_id: Option<i64>,
    pub return_id: Option<i64>,
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    pub detail: String,
}

/// Opens a discrepancy unless one with the same key exists. Returns the new id.
pub async fn raise(
    db: &impl ConnectionTrait,
    d: NewDiscrepancy,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let res = discrepancy::Entity::insert(discrepancy::ActiveModel {
        kind: Set(d.kind.as_str().to_owned()),
        status: Set("OPEN".into()),
        dedupe_key: Set(d.dedupe_key),
        order_id: Set(d.order_id),
        refund_id: Set(d.refund_id),
        return_id: Set(d.return_id),
        amount: Set(d.amount.map(Into::into)),
        currency: Set(d.currency),
        detail: Set(d.detail.clone()),
        detected_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict_do_nothing_on([discrepancy::Column::DedupeKey])
    .exec(db)
    .await?;
    let TryInsertResult::Inserted(r) = res else {
        return Ok(None);
    };
    discrepancy_history::ActiveModel {
        discrepancy_id: Set(r.last_insert_id),
        status: Set("OPEN".into()),
        note: Set(Some(d.detail)),
        actor: Set("system".into()),
        at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Some(r.last_insert_id))
}
