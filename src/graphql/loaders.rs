//! Per-request DataLoaders: a page of refunds with their orders, refs and histories costs a
//! constant number of queries, not one per row.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, Loader};
use entity::{order, order_ref, refund, refund_status_history, return_item, returns};
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder};

use crate::error::Error;

pub struct OrderLoader(DatabaseConnection);

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

/// Loads "all children of these parents" with one `IN` query, grouped by parent id.
macro_rules! children_loader {
    ($name:ident, $entity:ident, $fk:ident, |$r:ident| $key:expr) => {
        pub struct $name(DatabaseConnection);

        impl Loader<i64> for $name {
            type Value = Vec<$entity::Model>;
            type Error = Arc<DbErr>;

            async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
                let rows = $entity::Entity::find()
                    .filter($entity::Column::$fk.is_in(keys.iter().copied()))
                    .order_by_asc($entity::Column::Id)
                    .all(&self.0)
                    .await?;
                let mut map: HashMap<i64, Self::Value> = HashMap::new();
                for $r in rows {
                    map.entry($key).or_default().push($r);
                }
                Ok(map)
            }
        }
    };
}

children_loader!(OrderRefsLoader, order_ref, OrderId, |r| r.order_id);
children_loader!(RefundHistoryLoader, refund_status_history, RefundId, |r| r
    .refund_id);
children_loader!(ReturnItemsLoader, return_item, ReturnId, |r| r.return_id);
children_loader!(OrderReturnsLoader, returns, OrderId, |r| r
    .order_id
    .unwrap_or_default());
children_loader!(OrderRefundsLoader, refund, OrderId, |r| r
    .order_id
    .unwrap_or_default());

/// The loaders of one request.
#[derive(Clone)]
pub struct Loaders {
    orders: Arc<DataLoader<OrderLoader>>,
    order_refs: Arc<DataLoader<OrderRefsLoader>>,
    refund_history: Arc<DataLoader<RefundHistoryLoader>>,
    return_items: Arc<DataLoader<ReturnItemsLoader>>,
    order_returns: Arc<DataLoader<OrderReturnsLoader>>,
    order_refunds: Arc<DataLoader<OrderRefundsLoader>>,
}

fn db_err(e: Arc<DbErr>) -> Error {
    Error::Db(DbErr::Custom(e.to_string()))
}

fn loader<L: Loader<i64>>(l: L) -> Arc<DataLoader<L>> {
    Arc::new(DataLoader::new(l, tokio::spawn))
}

impl Loaders {
    pub fn new(db: DatabaseConnection) -> Self {
        Loaders {
            orders: loader(OrderLoader(db.clone())),
            order_refs: loader(OrderRefsLoader(db.clone())),
            refund_history: loader(RefundHistoryLoader(db.clone())),
            return_items: loader(ReturnItemsLoader(db.clone())),
            order_returns: loader(OrderReturnsLoader(db.clone())),
            order_refunds: loader(OrderRefundsLoader(db)),
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

    pub async fn return_items(&self, id: i64) -> Result<Vec<return_item::Model>, Error> {
        Ok(self
            .return_items
            .load_one(id)
            .await
            .map_err(db_err)?
            .unwrap_or_default())
    }

    pub async fn order_returns(&self, id: i64) -> Result<Vec<returns::Model>, Error> {
        Ok(self
            .order_returns
            .load_one(id)
            .await
            .map_err(db_err)?
            .unwrap_or_default())
    }

    pub async fn order_refunds(&self, id: i64) -> Result<Vec<refund::Model>, Error> {
        Ok(self
            .order_refunds
            .load_one(id)
            .await
            .map_err(db_err)?
            .unwrap_or_default())
    }
}
