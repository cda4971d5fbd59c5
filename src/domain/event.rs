//! The normalized event: what a provider's parser makes of one verified webhook. Every part
//! is optional because providers send partial updates; `None` means "not said", never "erase".

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Money, Provider, RefundStatus, ReturnStatus};

/// An external reference to an order (`shopify_order` → "9876543210987").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ExternalRef {
    pub kind: String,
    pub value: String,
}

impl ExternalRef {
    pub fn new(kind: impl Into<String>, value: impl Into<String>) -> Self {
        ExternalRef {
            kind: kind.into(),
            value: value.into(),
        }
    }
}

/// How a refund finds its order: by order number, or by any of the external references.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrderLink {
    pub order_number: Option<String>,
    pub refs: Vec<ExternalRef>,
}

impl OrderLink {
    pub fn is_empty(&self) -> bool {
        self.order_number.is_none() && self.refs.is_empty()
    }
}

/// What an event says about an order (returns platforms and UniPayment invoices carry it).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OrderFacts {
    pub order_number: Option<String>,
    pub refs: Vec<ExternalRef>,
    pub total: Option<Money>,
    pub placed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReturnItemFacts {
    pub sku: Option<String>,
    pub title: Option<String>,
    pub quantity: i64,
    pub unit_price: Option<Money>,
    pub condition: Option<String>,
    pub resolution: Option<String>,
}

/// What an event says about a return. The return belongs to the event's order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReturnFacts {
    pub provider_return_id: String,
    /// `None` keeps the previous status (Baback `error`, or an update without a status).
    pub status: Option<ReturnStatus>,
    /// The provider's own word for the status, always kept.
    pub provider_status: String,
    /// `None` keeps the known items; `Some` replaces them.
    pub items: Option<Vec<ReturnItemFacts>>,
    pub expected_refund: Option<Money>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
}

/// The crypto leg of a refund paid out in tokens (Alchemy Pay).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CryptoLeg {
    pub amount: Option<rust_decimal::Decimal>,
    pub token: Option<String>,
    pub network: Option<String>,
    pub tx_hash: Option<String>,
}

/// What an event says about a refund.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RefundFacts {
    pub provider_refund_id: String,
    pub status: RefundStatus,
    pub provider_status: String,
    pub amount: Option<Money>,
    pub fee: Option<Money>,
    /// A fee in minor units of the refund's own currency, from an event that does not name
    /// the currency (Rainforest `refund.processing`); converted once the currency is known.
    pub fee_minor: Option<i64>,
    pub reason: Option<String>,
    pub crypto: Option<CryptoLeg>,
    /// How to find the order when the event carries no `OrderFacts`.
    pub link: OrderLink,
    /// Provider fields kept for reference (metadata, refusal code…), merged over known ones.
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// One verified webhook, normalized.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NormalizedEvent {
    pub provider: Provider,
    /// e.g. `refund.succeeded`, `returnRequest:merchant:approve`, `return.received`.
    pub event_type: String,
    /// When the provider says it happened; `None` means "use the receive time".
    pub occurred_at: Option<DateTime<Utc>>,
    pub order: Option<OrderFacts>,
    pub return_: Option<ReturnFacts>,
    pub refund: Option<RefundFacts>,
}
