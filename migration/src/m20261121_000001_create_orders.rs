//! Orders and their external references.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    OrderNumber,
    TotalAmount,
    Currency,
    PlacedAt,
    TotalSource,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum OrderRefs {
    Table,
    Id,
    OrderId,
    Kind,
    Value,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            Table::create()
                .table(Orders::Table)
                .col(id(Orders::Id))
                .col(text_null(Orders::OrderNumber))
                .col(money(b, Orders::TotalAmount))
                .col(text_null(Orders::Currency))
                .col(ts_null(Orders::PlacedAt))
                .col(text_null(Orders::TotalSource))
                .col(ts(Orders::CreatedAt))
                .col(ts(Orders::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(m, "orders", &["order_number"], true).await?;
        index(m, "orders", &["created_at", "id"], false).await?;

        m.create_table(
            Table::create()
                .table(OrderRefs::Table)
                .col(id(OrderRefs::Id))
                .col(int64(OrderRefs::OrderId))
                .col(text(OrderRefs::Kind))
                .col(text(OrderRefs::Value))
                .col(ts(OrderRefs::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(OrderRefs::Table, OrderRefs::OrderId)
                        .to(Orders::Table, Orders::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(m, "order_refs", &["kind", "value"], true).await?;
        index(m, "order_refs", &["order_id"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(OrderRefs::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Orders::Table).to_owned())
            .await
    }
}
