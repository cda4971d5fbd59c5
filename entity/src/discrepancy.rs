//! `discrepancies`: the finance work queue; raised and closed by reconciliation rules.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "discrepancies")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub status: String,
    /// One open record per subject: e.g. `STATUS_CONFLICT:refund:42`.
    #[sea_orm(unique)]
    pub dedupe_key: String,
    pub order_id: Option<i64>,
    pub refund_id: Option<i64>,
    pub return_id: Option<i64>,
    #[sea_orm(column_type = "Decimal(None)")]
    pub amount: Option<crate::Amount>,
    pub currency: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub detail: String,
    pub detected_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::discrepancy_history::Entity")]
    History,
}

impl Related<super::discrepancy_history::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::History.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
