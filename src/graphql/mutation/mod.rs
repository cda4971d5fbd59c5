//! The Mutation root.

mod discrepancies;
mod orders;
mod replay;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct Mutation(
    orders::OrderMutations,
    discrepancies::DiscrepancyMutations,
    replay::ReplayMutations,
);
