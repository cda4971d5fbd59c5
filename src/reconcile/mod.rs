//! Reconciliation and discrepancy rules.

pub mod discrepancies;
