//! Refunds and their status history (the history id is the change-feed cursor).

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Refunds {
    Table,
    Id,
    Provider,
    ProviderRefundId,
    OrderId,
    LinkOrderNumber,
    LinkRefKind,
    LinkRefValue,
    Status,
    ProviderStatus,
    StatusOccurredAt,
    Amount,
    Currency,
    Fee,
    FeeCurrency,
    Reason,
    CryptoAmount,
    CryptoToken,
    CryptoNetwork,
    CryptoTxHash,
    Details,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum RefundStatusHistory {
    Table,
    Id,
    RefundId,
    WebhookEventId,
    Status,
    ProviderStatus,
    PreviousStatus,
    OccurredAt,
    ReceivedAt,
    Applied,
    Note,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            Table::create()
                .table(Refunds::Table)
                .col(id(Refunds::Id))
                .col(text(Refunds::Provider))
                .col(text(Refunds::ProviderRefundId))
                .col(int64_null(Refunds::OrderId))
                .col(text_null(Refunds::LinkOrderNumber))
                .col(text_null(Refunds::LinkRefKind))
                .col(text_null(Refunds::LinkRefValue))
                .col(text(Refunds::Status))
                .col(text(Refunds::ProviderStatus))
                .col(ts(Refunds::StatusOccurredAt))
                .col(money(b, Refunds::Amount))
                .col(text_null(Refunds::Currency))
                .col(money(b, Refunds::Fee))
                .col(text_null(Refunds::FeeCurrency))
                .col(text_null(Refunds::Reason))
                .col(money(b, Refunds::CryptoAmount))
                .col(text_null(Refunds::CryptoToken))
                .col(text_null(Refunds::CryptoNetwork))
                .col(text_null(Refunds::CryptoTxHash))
                .col(text(Refunds::Details))
                .col(ts(Refunds::CreatedAt))
                .col(ts(Refunds::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Refunds::Table, Refunds::OrderId)
                        .to(Orders::Table, Orders::Id),
                )
                .to_owned(),
        )
        .await?;
        index(m, "refunds", &["provider", "provider_refund_id"], true).await?;
        index(
            m,
            "refunds",
            &["provider", "status", "created_at", "id"],
            false,
        )
        .await?;
        index(m, "refunds", &["status", "created_at", "id"], false).await?;
        index(m, "refunds", &["created_at", "id"], false).await?;
        index(m, "refunds", &["updated_at", "id"], false).await?;
        index(m, "refunds", &["order_id"], false).await?;
        index(m, "refunds", &["currency"], false).await?;
        index(m, "refunds", &["link_order_number"], false).await?;
        index(m, "refunds", &["link_ref_kind", "link_ref_value"], false).await?;

        m.create_table(
            Table::create()
                .table(RefundStatusHistory::Table)
                .col(id(RefundStatusHistory::Id))
                .col(int64(RefundStatusHistory::RefundId))
                .col(int64_null(RefundStatusHistory::WebhookEventId))
                .col(text(RefundStatusHistory::Status))
                .col(text(RefundStatusHistory::ProviderStatus))
                .col(text_null(RefundStatusHistory::PreviousStatus))
                .col(ts(RefundStatusHistory::OccurredAt))
                .col(ts(RefundStatusHistory::ReceivedAt))
                .col(boolean(RefundStatusHistory::Applied))
                .col(text_null(RefundStatusHistory::Note))
                .foreign_key(
                    ForeignKey::create()
                        .from(RefundStatusHistory::Table, RefundStatusHistory::RefundId)
                        .to(Refunds::Table, Refunds::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(m, "refund_status_history", &["refund_id", "id"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["refund_status_history", "refunds"] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
