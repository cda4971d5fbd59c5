//! `discrepancy_history`: the audit trail of a discrepancy (who, when, what, why).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "discrepancy_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub discrepancy_id: i64,
    pub status: String,
    #[sea_orm(column_type = "Text")]
    pub note: Option<String>,
    /// `system` for automatic changes, else the API key's role and label.
    pub actor: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::discrepancy::Entity",
        from = "Column::DiscrepancyId",
        to = "super::discrepancy::Column::Id",
        on_delete = "Cascade"
    )]
    Discrepancy,
}

impl Related<super::discrepancy::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Discrepancy.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
