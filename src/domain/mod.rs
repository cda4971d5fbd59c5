//! Pure domain types: money, providers, statuses and the rules that move them, and the
//! normalized event every provider parser produces. No I/O lives here.

pub mod event;
pub mod money;
pub mod provider;
pub mod status;

pub use event::{
    CryptoLeg, ExternalRef, NormalizedEvent, OrderFacts, OrderLink, RefundFacts, ReturnFacts,
    ReturnItemFacts,
};
pub use money::{Currency, Money, MoneyError};
pub use provider::Provider;
pub use status::{RefundStatus, ReturnStatus, StatusDecision, decide_transition, next_state};
