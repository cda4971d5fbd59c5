//! SeaORM entities: one file per table. Plain data, no API or HTTP types in here.

pub use amount::Amount;

pub mod amount;
pub mod discrepancy;
pub mod discrepancy_history;
pub mod order;
pub mod order_ref;
pub mod prelude;
pub mod refund;
pub mod refund_status_history;
pub mod return_item;
pub mod return_status_history;
pub mod returns;
pub mod webhook_event;
