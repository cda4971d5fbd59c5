//! `refundSummary(filter, groupBy)`: counts and exact totals by provider/status/currency.

use async_graphql::{Context, Enum, Object, SimpleObject};
use sea_orm::DatabaseConnection;

use super::refunds::RefundFilter;
use crate::{
    config::Role,
    error::GqlResultExt,
    graphql::{
        auth::RoleGuard,
        types::{
            MoneyGql, ProviderGql, RefundStatusGql,
            enums::{provider_from_db, refund_status_from_db},
        },
    },
    store::{
        refunds::RefundQuery,
        summary::{Dimension, refund_summary},
    },
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum SummaryDimension {
    Provider,
    Status,
    Currency,
}

/// One group: the values of the grouped dimensions, how many refunds, and their total.
#[derive(SimpleObject)]
pub struct RefundSummaryRow {
    pub provider: Option<ProviderGql>,
    pub status: Option<RefundStatusGql>,
    /// Always set when known: totals are per currency even if not grouped by it.
    pub currency: Option<String>,
    pub count: i64,
    /// Sum of the refunds' amounts (null when none has a known amount).
    pub total: Option<MoneyGql>,
}

#[derive(Default)]
pub struct SummaryQueries;

#[Object]
impl SummaryQueries {
    /// Refund counts and totals grouped by any of provider, status and currency.
    #[graphql(guard = "RoleGuard(Role::Viewer)")]
    async fn refund_summary(
        &self,
        ctx: &Context<'_>,
        filter: Option<RefundFilter>,
        group_by: Vec<SummaryDimension>,
    ) -> async_graphql::Result<Vec<RefundSummaryRow>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let q: RefundQuery = filter.unwrap_or_default().into();
        let dims: Vec<Dimension> = group_by
            .into_iter()
            .map(|d| match d {
                SummaryDimension::Provider => Dimension::Provider,
                SummaryDimension::Status => Dimension::Status,
                SummaryDimension::Currency => Dimension::Currency,
            })
            .collect();
        let rows = refund_summary(db, &q, &dims).await.gql()?;
        Ok(rows
            .into_iter()
            .map(|r| RefundSummaryRow {
                provider: r.provider.as_deref().map(provider_from_db),
                status: r.status.as_deref().map(refund_status_from_db),
                total: MoneyGql::from_parts(r.total, r.currency.as_deref()),
                currency: r.currency,
                count: r.count,
            })
            .collect())
    }
}
