//! `upsertOrders`: the order book through the API (finance).

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

use crate::{
    config::{Config, Role},
    error::{Error, GqlResultExt},
    graphql::{auth::RoleGuard, scalars::DecimalScalar, types::OrderGql},
    orderbook::{self, OrderEntry, RefEntry},
};

#[derive(InputObject)]
pub struct ExternalRefInput {
    pub kind: String,
    pub value: String,
}

#[derive(InputObject)]
pub struct OrderInput {
    pub order_number: String,
    pub total: DecimalScalar,
    pub currency: String,
    pub placed_at: Option<DateTime<Utc>>,
    pub refs: Option<Vec<ExternalRefInput>>,
}

#[derive(SimpleObject)]
pub struct UpsertOrdersPayload {
    pub orders: Vec<OrderGql>,
}

#[derive(Default)]
pub struct OrderMutations;

#[Object]
impl OrderMutations {
    /// Creates or updates orders by order number. References are added, never dropped; the
    /// total set here outranks what providers say. Refunds waiting for these orders are
    /// linked. All or nothing: one invalid order fails the whole call.
    #[graphql(guard = "RoleGuard(Role::Finance)")]
    async fn upsert_orders(
        &self,
        ctx: &Context<'_>,
        orders: Vec<OrderInput>,
    ) -> async_graphql::Result<UpsertOrdersPayload> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let config = ctx.data_unchecked::<std::sync::Arc<Config>>();
        let limits = ctx.data_unchecked::<crate::config::GraphqlLimits>();
        if orders.len() as u64 > limits.max_page_size * 5 {
            return Err(Error::BadRequest(format!(
                "at most {} orders per call; use `refund-recon import-orders` for files",
                limits.max_page_size * 5
            )))
            .gql();
        }
        let mut facts = Vec::with_capacity(orders.len());
        for (i, o) in orders.into_iter().enumerate() {
            let entry = OrderEntry {
                order_number: o.order_number,
                total: o.total.0.to_string(),
                currency: o.currency,
                placed_at: o.placed_at,
                refs: o
                    .refs
                    .unwrap_or_default()
                    .into_iter()
                    .map(|r| RefEntry {
                        kind: r.kind,
                        value: r.value,
                    })
                    .collect(),
            };
            facts.push(
                entry
                    .facts()
                    .map_err(|e| Error::BadRequest(format!("orders[{i}]: {e}")))
                    .gql()?,
            );
        }
        let saved = orderbook::upsert(db, &facts, "api", &config.recon)
            .await
            .gql()?;
        ctx.data_unchecked::<crate::events::Notifier>().notify();
        Ok(UpsertOrdersPayload {
            orders: saved.into_iter().map(OrderGql).collect(),
        })
    }
}
