//! `webhook_events`: the inbox. Every authenticated delivery, raw, with its outcome;
//! (provider, idempotency_key) is unique, which is what makes effects exactly-once.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub provider: String,
    pub idempotency_key: String,
    pub event_type: Option<String>,
    pub received_at: DateTimeUtc,
    #[sea_orm(column_type = "Text")]
    pub raw_body: String,
    /// Selected non-secret headers, a JSON object as text.
    #[sea_orm(column_type = "Text")]
    pub headers: String,
    /// `accepted` or `rejected`.
    pub outcome: String,
    pub error: Option<String>,
    pub processed_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
