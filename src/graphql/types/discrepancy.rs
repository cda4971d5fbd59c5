//! The `Discrepancy` type: one item of the finance work queue, with its audit trail.

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use entity::discrepancy;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::{MoneyGql, OrderGql, RefundGql, ReturnGql};
use crate::{error::GqlResultExt, graphql::loaders::Loaders};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "DiscrepancyKind", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum DiscrepancyKindGql {
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

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "DiscrepancyStatus", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum DiscrepancyStatusGql {
    Open,
    Acknowledged,
    Resolved,
    Ignored,
}

impl DiscrepancyKindGql {
    pub fn as_db(self) -> &'static str {
        match self {
            DiscrepancyKindGql::OverRefund => "OVER_REFUND",
            DiscrepancyKindGql::UnderRefund => "UNDER_REFUND",
            DiscrepancyKindGql::AmountMismatch => "AMOUNT_MISMATCH",
            DiscrepancyKindGql::CurrencyMismatch => "CURRENCY_MISMATCH",
            DiscrepancyKindGql::DuplicateRefund => "DUPLICATE_REFUND",
            DiscrepancyKindGql::OrphanRefund => "ORPHAN_REFUND",
            DiscrepancyKindGql::StuckRefund => "STUCK_REFUND",
            DiscrepancyKindGql::FailedRefund => "FAILED_REFUND",
            DiscrepancyKindGql::StatusConflict => "STATUS_CONFLICT",
        }
    }

    fn from_db(s: &str) -> Self {
        use DiscrepancyKindGql::*;
        [
            OverRefund,
            UnderRefund,
            AmountMismatch,
            CurrencyMismatch,
            DuplicateRefund,
            OrphanRefund,
            StuckRefund,
            FailedRefund,
            StatusConflict,
        ]
        .into_iter()
        .find(|k| k.as_db() == s)
        .unwrap_or(StatusConflict)
    }
}

impl DiscrepancyStatusGql {
    pub fn as_db(self) -> &'static str {
        match self {
            DiscrepancyStatusGql::Open => "OPEN",
            DiscrepancyStatusGql::Acknowledged => "ACKNOWLEDGED",
            DiscrepancyStatusGql::Resolved => "RESOLVED",
            DiscrepancyStatusGql::Ignored => "IGNORED",
        }
    }

    pub fn from_db(s: &str) -> Self {
        match s {
            "ACKNOWLEDGED" => DiscrepancyStatusGql::Acknowledged,
            "RESOLVED" => DiscrepancyStatusGql::Resolved,
            "IGNORED" => DiscrepancyStatusGql::Ignored,
            _ => DiscrepancyStatusGql::Open,
        }
    }
}

/// One change of a discrepancy: who, when, what, why.
#[derive(SimpleObject)]
#[graphql(name = "DiscrepancyChange")]
pub struct DiscrepancyChangeGql {
    pub status: DiscrepancyStatusGql,
    pub note: Option<String>,
    /// `system` for automatic changes, else the role of the API key (`finance`, `admin`).
    pub actor: String,
    pub at: chrono::DateTime<chrono::Utc>,
}

pub struct DiscrepancyGql(pub discrepancy::Model);

#[Object(name = "Discrepancy")]
impl DiscrepancyGql {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn kind(&self) -> DiscrepancyKindGql {
        DiscrepancyKindGql::from_db(&self.0.kind)
    }

    async fn status(&self) -> DiscrepancyStatusGql {
        DiscrepancyStatusGql::from_db(&self.0.status)
    }

    async fn order(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OrderGql>> {
        let Some(id) = self.0.order_id else {
            return Ok(None);
        };
        Ok(ctx
            .data_unchecked::<Loaders>()
            .order(id)
            .await
            .gql()?
            .map(OrderGql))
    }

    async fn refund(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RefundGql>> {
        let Some(id) = self.0.refund_id else {
            return Ok(None);
        };
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(entity::refund::Entity::find_by_id(id)
            .one(db)
            .await
            .gql()?
            .map(RefundGql::from))
    }

    #[graphql(name = "return")]
    async fn return_(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<ReturnGql>> {
        let Some(id) = self.0.return_id else {
            return Ok(None);
        };
        let db = ctx.data_unchecked::<DatabaseConnection>();
        Ok(entity::returns::Entity::find_by_id(id)
            .one(db)
            .await
            .gql()?
            .map(ReturnGql))
    }

    /// The amount at stake (over, under or mismatched by; or the refund's amount).
    async fn amount(&self) -> Option<MoneyGql> {
        MoneyGql::from_parts(self.0.amount, self.0.currency.as_deref())
    }

    async fn detail(&self) -> &str {
        &self.0.detail
    }

    async fn detected_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.detected_at
    }

    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }

    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<DiscrepancyChangeGql>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let rows = entity::discrepancy_history::Entity::find()
            .filter(entity::discrepancy_history::Column::DiscrepancyId.eq(self.0.id))
            .order_by_asc(entity::discrepancy_history::Column::Id)
            .all(db)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .map(|h| DiscrepancyChangeGql {
                status: DiscrepancyStatusGql::from_db(&h.status),
                note: h.note,
                actor: h.actor,
                at: h.at,
            })
            .collect())
    }
}
