//! Entity names for `use entity::prelude::*`.

pub use super::discrepancy::Entity as Discrepancy;
pub use super::discrepancy_history::Entity as DiscrepancyHistory;
pub use super::order::Entity as Order;
pub use super::order_ref::Entity as OrderRef;
pub use super::refund::Entity as Refund;
pub use super::refund_status_history::Entity as RefundStatusHistory;
pub use super::return_item::Entity as ReturnItem;
pub use super::return_status_history::Entity as ReturnStatusHistory;
pub use super::returns::Entity as Return;
pub use super::webhook_event::Entity as WebhookEvent;
