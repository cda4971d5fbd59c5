//! `returns`: a return request from a returns platform (Baback, ReBound).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "returns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub provider: String,
    pub provider_return_id: String,
    pub order_id: Option<i64>,
    pub status: String,
    pub provider_status: String,
    /// When the current status happened, by the provider's clock (or receive time).
    pub status_occurred_at: DateTimeUtc,
    #[sea_orm(column_type = "Decimal(None)")]
    pub expected_refund: Option<crate::Amount>,
    pub currency: Option<String>,
    pub carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::order::Entity",
        from = "Column::OrderId",
        to = "super::order::Column::Id"
    )]
    Order,
    #[sea_orm(has_many = "super::return_item::Entity")]
    ReturnItem,
}

impl Related<super::order::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
    }
}

impl Related<super::return_item::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::ReturnItem.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
