//! GraphQL output types. They wrap entity models and choose what to expose; the entities
//! themselves never derive GraphQL traits.

pub mod discrepancy;
pub mod enums;
pub mod money;
pub mod order;
pub mod reconciliation;
pub mod refund;
pub mod return_;
pub mod webhook_event;

pub use discrepancy::{DiscrepancyGql, DiscrepancyKindGql, DiscrepancyStatusGql};
pub use enums::{ProviderGql, RefundStatusGql, ReturnStatusGql};
pub use money::{ExternalRefGql, MoneyGql};
pub use order::OrderGql;
pub use reconciliation::{OrderReconciliationGql, ReconStateGql};
pub use refund::RefundGql;
pub use return_::ReturnGql;
pub use webhook_event::{WebhookEventGql, WebhookOutcomeGql};

/// GraphQL IDs are the database ids as strings.
pub fn parse_id(id: &async_graphql::ID) -> Result<i64, crate::error::Error> {
    id.parse::<i64>().map_err(|_| {
        crate::error::Error::BadRequest(format!("`{}` is not a valid id", id.as_str()))
    })
}
