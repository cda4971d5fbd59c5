//! Return reads shared by ingestion and the API.

use entity::{return_item, returns};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::domain::Provider;

pub async fn find_by_provider_id(
    db: &impl ConnectionTrait,
    provider: Provider,
    provider_return_id: &str,
) -> Result<Option<returns::Model>, DbErr> {
    returns::Entity::find()
        .filter(returns::Column::Provider.eq(provider.slug()))
        .filter(returns::Column::ProviderReturnId.eq(provider_return_id))
        .one(db)
        .await
}

pub async fn items(
    db: &impl ConnectionTrait,
    return_id: i64,
) -> Result<Vec<return_item::Model>, DbErr> {
    return_item::Entity::find()
        .filter(return_item::Column::ReturnId.eq(return_id))
        .order_by_asc(return_item::Column::Position)
        .all(db)
        .await
}

/// Filters of the `returns` list.
#[derive(Debug, Clone, Default)]
pub struct ReturnQuery {
    pub providers: Vec<Provider>,
    pub statuses: Vec<crate::domain::ReturnStatus>,
    pub order_number: Option<String>,
    pub created_after: Option<chrono::DateTime<chrono::Utc>>,
    pub created_before: Option<chrono::DateTime<chrono::Utc>>,
}

impl ReturnQuery {
    pub fn select(&self) -> sea_orm::Select<returns::Entity> {
        let mut c = sea_orm::Condition::all();
        if !self.providers.is_empty() {
            c = c.add(returns::Column::Provider.is_in(self.providers.iter().map(|p| p.slug())));
        }
        if !self.statuses.is_empty() {
            c = c.add(returns::Column::Status.is_in(self.statuses.iter().map(|s| s.as_str())));
        }
        if let Some(n) = &self.order_number {
            let sub = sea_orm::sea_query::Query::select()
                .column(entity::order::Column::Id)
                .from(entity::order::Entity)
                .and_where(entity::order::Column::OrderNumber.eq(n.as_str()))
                .to_owned();
            c = c.add(returns::Column::OrderId.in_subquery(sub));
        }
        if let Some(t) = self.created_after {
            c = c.add(returns::Column::CreatedAt.gte(t));
        }
        if let Some(t) = self.created_before {
            c = c.add(returns::Column::CreatedAt.lt(t));
        }
        returns::Entity::find().filter(c)
    }
}
