//! `return_items`: the lines of a return, replaced as a whole when a provider resends them.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "return_items")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub return_id: i64,
    pub position: i32,
    pub sku: Option<String>,
    pub title: Option<String>,
    pub quantity: i64,
    #[sea_orm(column_type = "Decimal(None)")]
    pub unit_price: Option<crate::Amount>,
    pub currency: Option<String>,
    pub condition: Option<String>,
    pub resolution: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::returns::Entity",
        from = "Column::ReturnId",
        to = "super::returns::Column::Id",
        on_delete = "Cascade"
    )]
    Return,
}

impl Related<super::returns::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Return.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
