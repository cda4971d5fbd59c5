//! `refund(id)` and `refunds(filter, orderBy, first, after)`.

use async_graphql::{Context, Enum, ID, InputObject, Object, connection::Connection};
use chrono::{DateTime, Utc};
use std::{collections::HashMap, sync::Arc};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::error::GqlResultExt;
use crate::{
    config::Role,
    graphql::{
        auth::RoleGuard,
        pagination::{self, Cursor, TotalCount, connection, page_size},
        scalars::DecimalScalar,
        types::{ProviderGql, RefundGql, RefundStatusGql, parse_id},
    },
    store::refunds::{self as store, RefundQuery, Sort, SortField},
};

#[derive(InputObject, Default, Clone)]
pub struct RefundFilter {
    pub provider: Option<Vec<ProviderGql>>,
    pub status: Option<Vec<RefundStatusGql>>,
    pub order_number: Option<String>,
    pub currency: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub min_amount: Option<DecimalScalar>,
    pub max_amount: Option<DecimalScalar>,
}

impl From<RefundFilter> for RefundQuery {
    fn from(f: RefundFilter) -> Self {
        RefundQuery {
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
            currency: f.currency,
            created_after: f.created_after,
            created_before: f.created_before,
            min_amount: f.min_amount.map(|d| d.0),
            max_amount: f.max_amount.map(|d| d.0),
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum RefundOrderField {
    #[default]
    CreatedAt,
    UpdatedAt,
    Amount,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Default)]
pub enum OrderDirection {
    Asc,
    #[default]
    Desc,
}

#[derive(InputObject, Clone, Copy, Default)]
pub struct RefundOrder {
    #[graphql(default)]
    pub field: RefundOrderField,
    #[graphql(default)]
    pub direction: OrderDirection,
}

impl From<RefundOrder> for Sort {
    fn from(o: RefundOrder) -> Self {
        Sort {
            field: match o.field {
                RefundOrderField::CreatedAt => SortField::CreatedAt,
                RefundOrderField::UpdatedAt => SortField::UpdatedAt,
                RefundOrderField::Amount => SortField::Amount,
            },
            descending: o.direction == OrderDirection::Desc,
        }
    }
}

pub type RefundConnection = Connection<String, RefundGql, TotalCount>;

/// The orders of `rows`, by id, in one statement.
async fn orders_of(
    db: &DatabaseConnection,
    rows: &[entity::refund::Model],
) -> Result<HashMap<i64, Arc<entity::order::Model>>, sea_orm::DbErr> {
    let mut ids: Vec<i64> = rows.iter().filter_map(|r| r.order_id).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(entity::order::Entity::find()
        .filter(entity::order::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, Arc::new(o)))
        .collect())
}

#[derive(Default)]
pub struct RefundQueries;

#[Object]
impl RefundQueries {
    /// One refund by id.
    #[graphql(guard = "RoleGuard(Role::Viewer)")]
    async fn refund(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<RefundGql>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let id = parse_id(&id).gql()?;
        Ok(entity::refund::Entity::find_by_id(id)
            .one(db)
            .await
            .gql()?
            .map(RefundGql::from))
    }

    /// Refunds across providers, filtered and ordered (newest first by default).
    #[graphql(
        guard = "RoleGuard(Role::Viewer)",
        complexity = "crate::graphql::pagination::list_complexity(first, child_complexity)"
    )]
    async fn refunds(
        &self,
        ctx: &Context<'_>,
        filter: Option<RefundFilter>,
        order_by: Option<RefundOrder>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<RefundConnection> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let limit = page_size(ctx, first)?;
        let sort: Sort = order_by.unwrap_or_default().into();
        let query: RefundQuery = filter.unwrap_or_default().into();
        let after = pagination::after(after)?;
        let has_previous = after.is_some();
        let rows = store::page(db, &query, sort, after, limit).await.gql()?;
        // The page's orders in one read now, when asked for, rather than through the
        // DataLoader, which waits for the nodes to ask (a third of a page's time).
        let wants_orders = ctx
            .look_ahead()
            .field("edges")
            .field("node")
            .field("order")
            .exists();
        let orders = if wants_orders {
            orders_of(db, &rows).await.gql()?
        } else {
            HashMap::new()
        };
        let total = TotalCount::of(db, query.select(db.get_database_backend()));
        Ok(connection(
            rows,
            limit,
            has_previous,
            |r| Cursor {
                key: store::sort_key(r, sort.field),
                id: r.id,
            },
            |r| {
                let order = r.order_id.and_then(|id| orders.get(&id).cloned());
                RefundGql(r, order)
            },
            total,
        ))
    }
}
