//! `orders`: the order book, from imports, `upsertOrders`, or providers that carry orders.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The merchant's order number ("#1001"); unique when known.
    #[sea_orm(unique)]
    pub order_number: Option<String>,
    #[sea_orm(column_type = "Decimal(None)")]
    pub total_amount: Option<crate::Amount>,
    pub currency: Option<String>,
    pub placed_at: Option<DateTimeUtc>,
    /// Who last set the total: `import`, `api`, or a provider slug.
    pub total_source: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::order_ref::Entity")]
    OrderRef,
    #[sea_orm(has_many = "super::refund::Entity")]
    Refund,
    #[sea_orm(has_many = "super::returns::Entity")]
    Return,
}

impl Related<super::order_ref::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::OrderRef.def()
    }
}

impl Related<super::refund::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Refund.def()
    }
}

impl Related<super::returns::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Return.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
