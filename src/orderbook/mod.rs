//! The order book: orders finance imports or upserts (number, total, currency, placed
//! time, external references). The book's totals outrank what providers say; importing an
//! order links the refunds waiting for it and re-checks its discrepancies.

pub mod import;

use chrono::{DateTime, Utc};
use entity::order;
use sea_orm::{DatabaseConnection, DbErr};
use serde::Deserialize;

use crate::{
    domain::{Currency, ExternalRef, Money, OrderFacts, money::parse_decimal},
    reconcile::{ReconSettings, evaluate},
    store,
};

/// One order of the book, as given (validated by [`OrderEntry::facts`]).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OrderEntry {
    pub order_number: String,
    pub total: String,
    pub currency: String,
    #[serde(default)]
    pub placed_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub refs: Vec<RefEntry>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct RefEntry {
    pub kind: String,
    pub value: String,
}

impl OrderEntry {
    /// Validates the entry: a number, a non-negative exact total, an ISO 4217 currency.
    pub fn facts(&self) -> Result<OrderFacts, String> {
        let number = self.order_number.trim();
        if number.is_empty() {
            return Err("`orderNumber` is empty".into());
        }
        let currency = Currency::parse(&self.currency).map_err(|e| e.to_string())?;
        let amount = parse_decimal(&self.total).map_err(|e| e.to_string())?;
        if amount.is_sign_negative() {
            return Err(format!("total {amount} is negative"));
        }
        crate::domain::money::check_storable(amount).map_err(|e| format!("total: {e}"))?;
        let mut refs = Vec::new();
        for r in &self.refs {
            if r.kind.trim().is_empty() || r.value.trim().is_empty() {
                return Err("a reference needs a `kind` and a `value`".into());
            }
            refs.push(ExternalRef::new(r.kind.trim(), r.value.trim()));
        }
        Ok(OrderFacts {
            order_number: Some(number.to_owned()),
            refs,
            total: Some(Money::new(amount, currency)),
            placed_at: self.placed_at,
        })
    }
}

/// Upserts validated orders in one transaction; `source` is `api` or `import`.
pub async fn upsert(
    db: &DatabaseConnection,
    orders: &[OrderFacts],
    source: &str,
    settings: &ReconSettings,
) -> Result<Vec<order::Model>, DbErr> {
    let now = Utc::now();
    let txn = crate::store::begin_write(db).await?;
    crate::events::begin_feed_write(&txn).await?;
    let mut out = Vec::with_capacity(orders.len());
    for facts in orders {
        let (order, linked) = store::orders::upsert_from_facts(&txn, facts, source, now).await?;
        evaluate::evaluate_order(&txn, order.id, settings, now).await?;
        for r in linked {
            evaluate::evaluate_refund(&txn, r, settings, now).await?;
        }
        out.push(order);
    }
    txn.commit().await?;
    Ok(out)
}
