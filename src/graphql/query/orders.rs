//! `order(id | orderNumber)` and `orders(filter, first, after)`.

use async_graphql::{Context, ID, InputObject, Object, connection::Connection};
use chrono::{DateTime, Utc};
use entity::order;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::{
    config::Role,
    error::{Error, GqlResultExt},
    graphql::{
        auth::RoleGuard,
        pagination::{TotalCount, newest_first_connection},
        types::{OrderGql, ProviderGql, parse_id},
    },
    store::orders::OrderQuery,
};

#[derive(InputObject, Default)]
pub struct OrderFilter {
    pub order_number: Option<String>,
    pub currency: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    /// Orders with at least one refund from one of these providers.
    pub provider: Option<Vec<ProviderGql>>,
}

#[derive(Default)]
pub struct OrderQueries;

#[Object]
impl OrderQueries {
    /// One order, by id or by order number (exactly one of them).
    #[graphql(guard = "RoleGuard(Role::Viewer)")]
    async fn order(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        order_number: Option<String>,
    ) -> async_graphql::Result<Option<OrderGql>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let found = match (id, order_number) {
            (Some(id), None) => {
                let id = parse_id(&id).gql()?;
                order::Entity::find_by_id(id).one(db).await.gql()?
            }
            (None, Some(n)) => order::Entity::find()
                .filter(order::Column::OrderNumber.eq(n))
                .one(db)
                .await
                .gql()?,
            _ => {
                return Err(Error::BadRequest(
                    "give exactly one of `id` and `orderNumber`".into(),
                ))
                .gql();
            }
        };
        Ok(found.map(OrderGql))
    }

    /// Orders, newest first.
    #[graphql(
        guard = "RoleGuard(Role::Viewer)",
        complexity = "crate::graphql::pagination::list_complexity(first, child_complexity)"
    )]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        filter: Option<OrderFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, OrderGql, TotalCount>> {
        let f = filter.unwrap_or_default();
        let q = OrderQuery {
            order_number: f.order_number,
            currency: f.currency,
            created_after: f.created_after,
            created_before: f.created_before,
            refund_providers: f
                .provider
                .unwrap_or_default()
                .into_iter()
                .map(|p| crate::domain::Provider::from(p).slug().to_owned())
                .collect(),
        };
        newest_first_connection(
            ctx,
            q.select(),
            order::Column::CreatedAt,
            order::Column::Id,
            first,
            after,
            |o| (o.created_at, o.id),
            OrderGql,
        )
        .await
    }
}
