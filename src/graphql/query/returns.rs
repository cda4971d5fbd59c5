//! `returns(filter, first, after)`.

use async_graphql::{Context, InputObject, Object, connection::Connection};
use chrono::{DateTime, Utc};
use entity::returns;

use crate::{
    config::Role,
    graphql::{
        auth::RoleGuard,
        pagination::{TotalCount, newest_first_connection},
        types::{ProviderGql, ReturnGql, ReturnStatusGql},
    },
    store::returns::ReturnQuery,
};

#[derive(InputObject, Default)]
pub struct ReturnFilter {
    pub provider: Option<Vec<ProviderGql>>,
    pub status: Option<Vec<ReturnStatusGql>>,
    pub order_number: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct ReturnQueries;

#[Object]
impl ReturnQueries {
    /// Returns across returns platforms, newest first.
    #[graphql(
        guard = "RoleGuard(Role::Viewer)",
        complexity = "crate::graphql::pagination::list_complexity(first, child_complexity)"
    )]
    async fn returns(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReturnFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, ReturnGql, TotalCount>> {
        let f = filter.unwrap_or_default();
        let q = ReturnQuery {
            providers: f
                .provider
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            statuses: f
                .status
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            order_number: f.order_number,
            created_after: f.created_after,
            created_before: f.created_before,
        };
        newest_first_connection(
            ctx,
            q.select(),
            returns::Column::CreatedAt,
            returns::Column::Id,
            first,
            after,
            |r| (r.created_at, r.id),
            ReturnGql,
        )
        .await
    }
}
