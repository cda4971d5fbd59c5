//! `refund_status_history`: every status event of a refund, applied or not. Its id is the
//! monotonic cursor of the refund change feed.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refund_status_history")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub refund_id: i64,
    pub webhook_event_id: Option<i64>,
    pub status: String,
    pub provider_status: String,
    /// The status before this event, when it was applied (None for the first).
    pub previous_status: Option<String>,
    pub occurred_at: DateTimeUtc,
    pub received_at: DateTimeUtc,
    pub applied: bool,
    /// Why it was not applied: `stale` or `conflict`.
    pub note: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::refund::Entity",
        from = "Column::RefundId",
        to = "super::refund::Column::Id",
        on_delete = "Cascade"
    )]
    Refund,
}

impl Related<super::refund::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Refund.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
