//! The Mutation root.

mod discrepancies;
mod orders;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct Mutation(orders::OrderMutations, discrepancies::DiscrepancyMutations);
