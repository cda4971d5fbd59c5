//! The Query root, merged from one object per area.

mod refunds;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct Query(refunds::RefundQueries);
