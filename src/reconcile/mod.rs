//! Reconciliation: what was refunded against what was ordered and what returns say is owed,
//! and the discrepancy queue that finance works.

pub mod discrepancies;
pub mod evaluate;
pub mod query;
pub mod report;
pub mod rules;
pub mod scan;
pub mod settings;
pub mod sweep;

pub use rules::{OrderPosition, ReconState};
pub use settings::ReconSettings;
