//! The `Order` type.

use async_graphql::{Context, ID, Object};
use entity::order;

use super::{ExternalRefGql, MoneyGql, RefundGql, ReturnGql};
use crate::error::GqlResultExt;
use crate::graphql::loaders::Loaders;

pub struct OrderGql(pub order::Model);

#[Object(name = "Order")]
impl OrderGql {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn order_number(&self) -> Option<&str> {
        self.0.order_number.as_deref()
    }

    /// The order total, from the order book or a provider that carries it.
    async fn total(&self) -> Option<MoneyGql> {
        MoneyGql::from_parts(self.0.total_amount, self.0.currency.as_deref())
    }

    async fn placed_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.0.placed_at
    }

    /// External references (`shopify_order`, `rainforest_payin`, …).
    async fn refs(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ExternalRefGql>> {
        let refs = ctx
            .data_unchecked::<Loaders>()
            .order_refs(self.0.id)
            .await
            .gql()?;
        Ok(refs
            .into_iter()
            .map(|r| ExternalRefGql {
                kind: r.kind,
                value: r.value,
            })
            .collect())
    }

    /// Returns of this order, oldest first.
    async fn returns(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ReturnGql>> {
        let rows = ctx
            .data_unchecked::<Loaders>()
            .order_returns(self.0.id)
            .await
            .gql()?;
        Ok(rows.into_iter().map(ReturnGql).collect())
    }

    /// Refunds of this order across providers, oldest first.
    async fn refunds(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RefundGql>> {
        let rows = ctx
            .data_unchecked::<Loaders>()
            .order_refunds(self.0.id)
            .await
            .gql()?;
        Ok(rows.into_iter().map(RefundGql::from).collect())
    }

    /// The order reconciled, one entry per currency involved.
    async fn reconciliation(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<super::OrderReconciliationGql>> {
        let db = ctx.data_unchecked::<sea_orm::DatabaseConnection>();
        let config = ctx.data_unchecked::<std::sync::Arc<crate::config::Config>>();
        let filter = crate::reconcile::query::ReconFilter {
            order_id: Some(self.0.id),
            ..Default::default()
        };
        let rows = crate::reconcile::query::rows(db, config.recon.tolerance, &filter)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .map(super::OrderReconciliationGql)
            .collect())
    }

    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}
