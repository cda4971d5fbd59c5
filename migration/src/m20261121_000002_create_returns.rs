//! Returns, their items and their status history.

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
enum Returns {
    Table,
    Id,
    Provider,
    ProviderReturnId,
    OrderId,
    Status,
    ProviderStatus,
    StatusOccurredAt,
    ExpectedRefund,
    Currency,
    Carrier,
    TrackingNumber,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReturnItems {
    Table,
    Id,
    ReturnId,
    Position,
    Sku,
    Title,
    Quantity,
    UnitPrice,
    Currency,
    Condition,
    Resolution,
}

#[derive(DeriveIden)]
enum ReturnStatusHistory {
    Table,
    Id,
    ReturnId,
    WebhookEventId,
    Status,
    ProviderStatus,
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
                .table(Returns::Table)
                .col(id(Returns::Id))
                .col(text(Returns::Provider))
                .col(text(Returns::ProviderReturnId))
                .col(int64_null(Returns::OrderId))
                .col(text(Returns::Status))
                .col(text(Returns::ProviderStatus))
                .col(ts(Returns::StatusOccurredAt))
                .col(money(b, Returns::ExpectedRefund))
                .col(text_null(Returns::Currency))
                .col(text_null(Returns::Carrier))
                .col(text_null(Returns::TrackingNumber))
                .col(ts(Returns::CreatedAt))
                .col(ts(Returns::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Returns::Table, Returns::OrderId)
                        .to(Orders::Table, Orders::Id),
                )
                .to_owned(),
        )
        .await?;
        index(m, "returns", &["provider", "provider_return_id"], true).await?;
        index(m, "returns", &["order_id"], false).await?;
        index(m, "returns", &["status"], false).await?;
        index(m, "returns", &["created_at", "id"], false).await?;

        m.create_table(
            Table::create()
                .table(ReturnItems::Table)
                .col(id(ReturnItems::Id))
                .col(int64(ReturnItems::ReturnId))
                .col(ColumnDef::new(ReturnItems::Position).integer().not_null())
                .col(text_null(ReturnItems::Sku))
                .col(text_null(ReturnItems::Title))
                .col(int64(ReturnItems::Quantity))
                .col(money(b, ReturnItems::UnitPrice))
                .col(text_null(ReturnItems::Currency))
                .col(text_null(ReturnItems::Condition))
                .col(text_null(ReturnItems::Resolution))
                .foreign_key(
                    ForeignKey::create()
                        .from(ReturnItems::Table, ReturnItems::ReturnId)
                        .to(Returns::Table, Returns::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(m, "return_items", &["return_id", "position"], true).await?;

        m.create_table(
            Table::create()
                .table(ReturnStatusHistory::Table)
                .col(id(ReturnStatusHistory::Id))
                .col(int64(ReturnStatusHistory::ReturnId))
                .col(int64_null(ReturnStatusHistory::WebhookEventId))
                .col(text_null(ReturnStatusHistory::Status))
                .col(text(ReturnStatusHistory::ProviderStatus))
                .col(ts(ReturnStatusHistory::OccurredAt))
                .col(ts(ReturnStatusHistory::ReceivedAt))
                .col(boolean(ReturnStatusHistory::Applied))
                .col(text_null(ReturnStatusHistory::Note))
                .foreign_key(
                    ForeignKey::create()
                        .from(ReturnStatusHistory::Table, ReturnStatusHistory::ReturnId)
                        .to(Returns::Table, Returns::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(m, "return_status_history", &["return_id", "id"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["return_status_history", "return_items", "returns"] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
