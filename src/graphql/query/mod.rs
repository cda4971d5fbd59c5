//! The Query root, merged from one object per area.

mod orders;
pub(crate) mod reconciliation;
pub(crate) mod refunds;
mod returns;
mod summary;
mod webhook_events;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct Query(
    refunds::RefundQueries,
    orders::OrderQueries,
    returns::ReturnQueries,
    summary::SummaryQueries,
    webhook_events::WebhookEventQueries,
    reconciliation::ReconciliationQueries,
);
