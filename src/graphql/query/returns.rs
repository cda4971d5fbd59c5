//! `returns(filter, first, after)`.

use async_graphql::{Context, InputObject, Object, connection::Connection};
use chrono::{DateTime, Utc};
use entity::returns;
use sea_orm::DatabaseConnection;

use crate::{
    config::Role,
    error::GqlResultExt,
    graphql::{
        auth::RoleGuard,
        pagination::{self, Cursor, TotalCount, connection, page_size},
        types::{ProviderGql, ReturnGql, ReturnStatusGql},
    },
    store::{
        pagination::{newest_first, time_key},
        returns::ReturnQuery,
    },
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
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let limit = page_size(ctx, first)?;
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
        let after = pagination::after(after)?;
        let has_previous = after.is_some();
        let rows = newest_first(
            db,
            q.select(),
            returns::Column::CreatedAt,
            returns::Column::Id,
            after,
            limit,
        )
        .await
        .gql()?;
        Ok(connection(
            rows,
            limit,
            has_previous,
            |r| Cursor {
                key: time_key(r.created_at),
                id: r.id,
            },
            ReturnGql,
            TotalCount::of(db, q.select()),
        ))
    }
}
