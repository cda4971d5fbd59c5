//! The `Return` type and its items.

use async_graphql::{Context, ID, Object, SimpleObject};
use entity::returns;

use super::{
    MoneyGql, OrderGql, ProviderGql, ReturnStatusGql,
    enums::{provider_from_db, return_status_from_db},
};
use crate::{error::GqlResultExt, graphql::loaders::Loaders};

pub struct ReturnGql(pub returns::Model);

#[derive(SimpleObject)]
#[graphql(name = "ReturnItem")]
pub struct ReturnItemGql {
    pub sku: Option<String>,
    pub title: Option<String>,
    pub quantity: i64,
    pub unit_price: Option<MoneyGql>,
    pub condition: Option<String>,
    pub resolution: Option<String>,
}

#[Object(name = "Return")]
impl ReturnGql {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn provider(&self) -> ProviderGql {
        provider_from_db(&self.0.provider)
    }

    async fn provider_return_id(&self) -> &str {
        &self.0.provider_return_id
    }

    async fn status(&self) -> ReturnStatusGql {
        return_status_from_db(&self.0.status)
    }

    /// The provider's own word for the status (a Baback stage, a ReBound event).
    async fn provider_status(&self) -> &str {
        &self.0.provider_status
    }

    async fn items(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ReturnItemGql>> {
        let items = ctx
            .data_unchecked::<Loaders>()
            .return_items(self.0.id)
            .await
            .gql()?;
        Ok(items
            .into_iter()
            .map(|i| ReturnItemGql {
                unit_price: MoneyGql::from_parts(i.unit_price, i.currency.as_deref()),
                sku: i.sku,
                title: i.title,
                quantity: i.quantity,
                condition: i.condition,
                resolution: i.resolution,
            })
            .collect())
    }

    /// What the return says should be refunded.
    async fn expected_refund(&self) -> Option<MoneyGql> {
        MoneyGql::from_parts(self.0.expected_refund, self.0.currency.as_deref())
    }

    async fn carrier(&self) -> Option<&str> {
        self.0.carrier.as_deref()
    }

    async fn tracking_number(&self) -> Option<&str> {
        self.0.tracking_number.as_deref()
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

    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}
