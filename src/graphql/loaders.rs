//! Per-request DataLoaders: a page of refunds with their orders, refs and histories costs a
//! constant number of queries, not one per row.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, Loader};
use entity::{order, order_ref, refund_status_history};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::error::Error;

pub struct OrderLoader(DatabaseConnection);
pub struct OrderRefsLoader(DatabaseConnection);
pub struct RefundHistoryLoader(DatabaseConnection);

impl Loader<i64> for OrderLoader {
    type Value = order::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = order::Entity::find()
            .filter(order::Column::Id.is_in(keys.iter().copied()))
            .all(&self.0)
            .await?;
        Ok(rows.into_iter().map(|o| (o.id, o)).collect())
    }
}

impl Loader<i64> for OrderRefsLoader {
    type Value = Vec<order_ref::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = order_ref::Entity::find()
            .filter(order_ref::Column::OrderId.is_in(keys.iter().copied()))
            .order_by_asc(order_ref::Column::Id)
            .all(&self.0)
            .await?;
        let mut map: HashMap<i64, Self::Value> = HashMap::new();
        for r in rows {
            map.entry(r.order_id).or_default().push(r);
        }
        Ok(map)
    }
}

impl Loader<i64> for RefundHistoryLoader {
    type Value = Vec<refund_status_history::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = refund_status_history::Entity::find()
            .filter(refund_status_history::Column::RefundId.is_in(keys.iter().copied()))
            .order_by_asc(refund_status_history::Column::Id)
            .all(&self.0)
            .await?;
        let mut map: HashMap<i64, Self::Value> = HashMap::new();
        for r in rows {
            map.entry(r.refund_id).or_default().push(r);
        }
        Ok(map)
    }
}

/// The loaders of one request.
#[derive(Clone)]
pub struct Loaders {
    orders: Arc<DataLoader<OrderLoader>>,
    order_refs: Arc<DataLoader<OrderRefsLoader>>,
    refund_history: Arc<DataLoader<RefundHistoryLoader>>,
}

fn db_err(e: Arc<DbErr>) -> Error {
    Error::Db(DbErr::Custom(e.to_string()))
}

impl Loaders {
    pub fn new(db: DatabaseConnection) -> Self {
        Loaders {
            orders: Arc::new(DataLoader::new(OrderLoader(db.clone()), tokio::spawn)),
            order_refs: Arc::new(DataLoader::new(OrderRefsLoader(db.clone()), tokio::spawn)),
            refund_history: Arc::new(DataLoader::new(RefundHistoryLoader(db), tokio::spawn)),
        }
    }

    pub async fn order(&self, id: i64) -> Result<Option<order::Model>, Error> {
        self.orders.load_one(id).await.map_err(db_err)
    }

    pub async fn order_refs(&self, id: i64) -> Result<Vec<order_ref::Model>, Error> {
        Ok(self
            .order_refs
            .load_one(id)
            .await
            .map_err(db_err)?
            .unwrap_or_default())
    }

    pub async fn refund_history(
        &self,
        id: i64,
    ) -> Result<Vec<refund_status_history::Model>, Error> {
        Ok(self
            .refund_history
            .load_one(id)
            .await
            .map_err(db_err)?
            .unwrap_or_default())
    }
}
