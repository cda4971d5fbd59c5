//! `OrderReconciliation`: one order in one currency, as reconciliation sees it.

use async_graphql::{Context, Enum, Object};
use entity::discrepancy;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder};

use super::{DiscrepancyGql, MoneyGql, OrderGql};
use crate::{
    error::GqlResultExt,
    graphql::loaders::Loaders,
    reconcile::{ReconState, query::ReconRow},
};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "ReconciliationState", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ReconStateGql {
    Balanced,
    Pending,
    UnderRefunded,
    OverRefunded,
    Mismatch,
    Unverified,
    NoActivity,
}

impl From<ReconState> for ReconStateGql {
    fn from(s: ReconState) -> Self {
        match s {
            ReconState::Balanced => ReconStateGql::Balanced,
            ReconState::Pending => ReconStateGql::Pending,
            ReconState::UnderRefunded => ReconStateGql::UnderRefunded,
            ReconState::OverRefunded => ReconStateGql::OverRefunded,
            ReconState::Mismatch => ReconStateGql::Mismatch,
            ReconState::Unverified => ReconStateGql::Unverified,
            ReconState::NoActivity => ReconStateGql::NoActivity,
        }
    }
}

impl From<ReconStateGql> for ReconState {
    fn from(s: ReconStateGql) -> Self {
        match s {
            ReconStateGql::Balanced => ReconState::Balanced,
            ReconStateGql::Pending => ReconState::Pending,
            ReconStateGql::UnderRefunded => ReconState::UnderRefunded,
            ReconStateGql::OverRefunded => ReconState::OverRefunded,
            ReconStateGql::Mismatch => ReconState::Mismatch,
            ReconStateGql::Unverified => ReconState::Unverified,
            ReconStateGql::NoActivity => ReconState::NoActivity,
        }
    }
}

pub struct OrderReconciliationGql(pub ReconRow);

impl OrderReconciliationGql {
    fn money(&self, d: rust_decimal::Decimal) -> Option<MoneyGql> {
        MoneyGql::from_parts(Some(d), self.0.position.currency.as_deref())
    }
}

#[Object(name = "OrderReconciliation")]
impl OrderReconciliationGql {
    async fn order(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OrderGql>> {
        Ok(ctx
            .data_unchecked::<Loaders>()
            .order(self.0.order_id)
            .await
            .gql()?
            .map(OrderGql))
    }

    async fn currency(&self) -> Option<&str> {
        self.0.position.currency.as_deref()
    }

    async fn state(&self) -> ReconStateGql {
        self.0.state.into()
    }

    /// The order total in this currency (null when unknown or in another currency).
    async fn order_total(&self) -> Option<MoneyGql> {
        self.0.position.total.and_then(|t| self.money(t))
    }

    /// What received returns say should be refunded.
    async fn expected_refund(&self) -> Option<MoneyGql> {
        self.money(self.0.position.expected)
    }

    /// Σ succeeded refunds.
    async fn refunded(&self) -> Option<MoneyGql> {
        self.money(self.0.position.refunded)
    }

    /// Σ refunds still in flight.
    async fn pending_refund(&self) -> Option<MoneyGql> {
        self.money(self.0.position.pending)
    }

    /// expectedRefund − refunded − pendingRefund.
    async fn outstanding(&self) -> Option<MoneyGql> {
        self.money(self.0.position.outstanding())
    }

    /// Open or acknowledged discrepancies of this order.
    async fn discrepancies(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<DiscrepancyGql>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let rows = discrepancy::Entity::find()
            .filter(discrepancy::Column::OrderId.eq(self.0.order_id))
            .filter(discrepancy::Column::Status.is_in(crate::reconcile::discrepancies::ACTIVE))
            .order_by_asc(discrepancy::Column::Id)
            .all(db)
            .await
            .gql()?;
        Ok(rows.into_iter().map(DiscrepancyGql).collect())
    }
}
