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
