//! `Money { amount, currency }` and `ExternalRef { kind, value }`.

use async_graphql::SimpleObject;
use rust_decimal::Decimal;

use crate::graphql::scalars::DecimalScalar;

#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Money")]
pub struct MoneyGql {
    pub amount: DecimalScalar,
    pub currency: String,
}

impl MoneyGql {
    /// Money from a stored amount and currency; None when either is unknown.
    pub fn from_parts(
        amount: Option<impl Into<Decimal>>,
        currency: Option<&str>,
    ) -> Option<MoneyGql> {
        let (amount, currency) = (amount?.into(), currency?);
        let shown = crate::domain::Currency::parse(currency)
            .map(|c| crate::domain::Money::new(amount, c).normalized())
            .unwrap_or(amount);
        Some(MoneyGql {
            amount: DecimalScalar(shown),
            currency: currency.to_owned(),
        })
    }
}

#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "ExternalRef")]
pub struct ExternalRefGql {
    pub kind: String,
    pub value: String,
}
