//! The `Refund` type and its history timeline.

use async_graphql::{Context, ID, Object, SimpleObject};
use entity::refund;

use super::{
    ExternalRefGql, MoneyGql, OrderGql, ProviderGql, RefundStatusGql,
    enums::{provider_from_db, refund_status_from_db},
};
use crate::error::GqlResultExt;
use crate::graphql::{loaders::Loaders, scalars::DecimalScalar};

/// A refund, with its order when the list that produced it read the orders of the whole
/// page at once (otherwise `order` goes through the request's DataLoader).
pub struct RefundGql(
    pub refund::Model,
    pub Option<std::sync::Arc<entity::order::Model>>,
);

impl From<refund::Model> for RefundGql {
    fn from(m: refund::Model) -> Self {
        RefundGql(m, None)
    }
}

/// The crypto leg of a refund paid out in tokens.
#[derive(SimpleObject)]
#[graphql(name = "CryptoLeg")]
pub struct CryptoLegGql {
    pub amount: Option<DecimalScalar>,
    pub token: Option<String>,
    pub network: Option<String>,
    pub tx_hash: Option<String>,
}

/// One status event of a refund, applied or kept only as history.
#[derive(SimpleObject)]
#[graphql(name = "RefundStatusEntry")]
pub struct RefundHistoryGql {
    pub status: RefundStatusGql,
    pub provider_status: String,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub received_at: chrono::DateTime<chrono::Utc>,
    pub applied: bool,
    /// Why it was not applied: `stale` (late or lower in rank) or `conflict`.
    pub note: Option<String>,
}

#[Object(name = "Refund")]
impl RefundGql {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn provider(&self) -> ProviderGql {
        provider_from_db(&self.0.provider)
    }

    async fn provider_refund_id(&self) -> &str {
        &self.0.provider_refund_id
    }

    async fn status(&self) -> RefundStatusGql {
        refund_status_from_db(&self.0.status)
    }

    /// The provider's own word for the status, as received.
    async fn provider_status(&self) -> &str {
        &self.0.provider_status
    }

    async fn amount(&self) -> Option<MoneyGql> {
        MoneyGql::from_parts(self.0.amount, self.0.currency.as_deref())
    }

    async fn fee(&self) -> Option<MoneyGql> {
        MoneyGql::from_parts(self.0.fee, self.0.fee_currency.as_deref())
    }

    async fn crypto(&self) -> Option<CryptoLegGql> {
        let r = &self.0;
        if r.crypto_amount.is_none() && r.crypto_token.is_none() && r.crypto_tx_hash.is_none() {
            return None;
        }
        Some(CryptoLegGql {
            amount: r.crypto_amount.map(|a| DecimalScalar(a.0)),
            token: r.crypto_token.clone(),
            network: r.crypto_network.clone(),
            tx_hash: r.crypto_tx_hash.clone(),
        })
    }

    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }

    /// The order, once known (linked automatically when it arrives).
    async fn order(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<OrderGql>> {
        let Some(id) = self.0.order_id else {
            return Ok(None);
        };
        if let Some(order) = self.1.as_ref().filter(|o| o.id == id) {
            return Ok(Some(OrderGql(order.as_ref().clone())));
        }
        Ok(ctx
            .data_unchecked::<Loaders>()
            .order(id)
            .await
            .gql()?
            .map(OrderGql))
    }

    /// The order reference the provider sent: an order number (kind `order_number`) or an
    /// external reference such as `rainforest_payin`.
    async fn order_reference(&self) -> Option<ExternalRefGql> {
        let r = &self.0;
        match (&r.link_ref_kind, &r.link_ref_value, &r.link_order_number) {
            (_, _, Some(n)) => Some(ExternalRefGql {
                kind: "order_number".into(),
                value: n.clone(),
            }),
            (Some(k), Some(v), None) => Some(ExternalRefGql {
                kind: k.clone(),
                value: v.clone(),
            }),
            _ => None,
        }
    }

    /// Every status event, in the order received, with whether it was applied.
    async fn history(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RefundHistoryGql>> {
        let rows = ctx
            .data_unchecked::<Loaders>()
            .refund_history(self.0.id)
            .await
            .gql()?;
        Ok(rows
            .into_iter()
            .map(|h| RefundHistoryGql {
                status: refund_status_from_db(&h.status),
                provider_status: h.provider_status,
                occurred_at: h.occurred_at,
                received_at: h.received_at,
                applied: h.applied,
                note: h.note,
            })
            .collect())
    }

    async fn created_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.updated_at
    }
}
