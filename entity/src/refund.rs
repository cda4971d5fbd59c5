//! `refunds`: one refund at one provider, with its current normalized and raw status.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub provider: String,
    pub provider_refund_id: String,
    pub order_id: Option<i64>,
    /// The order reference the provider gave, kept so the refund links when the order
    /// arrives later: an order number and/or one external ref (kind, value).
    pub link_order_number: Option<String>,
    pub link_ref_kind: Option<String>,
    pub link_ref_value: Option<String>,
    pub status: String,
    pub provider_status: String,
    pub status_occurred_at: DateTimeUtc,
    #[sea_orm(column_type = "Decimal(None)")]
    pub amount: Option<crate::Amount>,
    pub currency: Option<String>,
    #[sea_orm(column_type = "Decimal(None)")]
    pub fee: Option<crate::Amount>,
    pub fee_currency: Option<String>,
    pub reason: Option<String>,
    #[sea_orm(column_type = "Decimal(None)")]
    pub crypto_amount: Option<crate::Amount>,
    pub crypto_token: Option<String>,
    pub crypto_network: Option<String>,
    pub crypto_tx_hash: Option<String>,
    /// Provider fields kept for reference (JSON object as text).
    #[sea_orm(column_type = "Text")]
    pub details: String,
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
    #[sea_orm(has_many = "super::refund_status_history::Entity")]
    History,
}

impl Related<super::order::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Order.def()
    }
}

impl Related<super::refund_status_history::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::History.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
