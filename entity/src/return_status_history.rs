//! `return_status_history`: every status event of a return, applied or not.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "return_status_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub return_id: i64,
    pub webhook_event_id: Option<i64>,
    /// None when the provider's stage keeps the previous status (Baback `error`).
    pub status: Option<String>,
    pub provider_status: String,
    pub occurred_at: DateTimeUtc,
    pub received_at: DateTimeUtc,
    pub applied: bool,
    pub note: Option<String>,
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
