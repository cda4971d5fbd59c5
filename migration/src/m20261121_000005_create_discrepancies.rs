//! Discrepancies and their audit trail.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Discrepancies {
    Table,
    Id,
    Kind,
    Status,
    DedupeKey,
    OrderId,
    RefundId,
    ReturnId,
    Amount,
    Currency,
    Detail,
    DetectedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum DiscrepancyHistory {
    Table,
    Id,
    DiscrepancyId,
    Status,
    Note,
    Actor,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let b = m.get_database_backend();
        m.create_table(
            Table::create()
                .table(Discrepancies::Table)
                .col(id(Discrepancies::Id))
                .col(text(Discrepancies::Kind))
                .col(text(Discrepancies::Status))
                .col(text(Discrepancies::DedupeKey))
                .col(int64_null(Discrepancies::OrderId))
                .col(int64_null(Discrepancies::RefundId))
                .col(int64_null(Discrepancies::ReturnId))
                .col(money(b, Discrepancies::Amount))
                .col(text_null(Discrepancies::Currency))
                .col(text(Discrepancies::Detail))
                .col(ts(Discrepancies::DetectedAt))
                .col(ts(Discrepancies::UpdatedAt))
                .to_owned(),
        )
        .await?;
        index(m, "discrepancies", &["dedupe_key"], true).await?;
        index(m, "discrepancies", &["status", "kind"], false).await?;
        index(m, "discrepancies", &["order_id"], false).await?;
        index(m, "discrepancies", &["refund_id"], false).await?;

        m.create_table(
            Table::create()
                .table(DiscrepancyHistory::Table)
                .col(id(DiscrepancyHistory::Id))
                .col(int64(DiscrepancyHistory::DiscrepancyId))
                .col(text(DiscrepancyHistory::Status))
                .col(text_null(DiscrepancyHistory::Note))
                .col(text(DiscrepancyHistory::Actor))
                .col(ts(DiscrepancyHistory::At))
                .foreign_key(
                    ForeignKey::create()
                        .from(DiscrepancyHistory::Table, DiscrepancyHistory::DiscrepancyId)
                        .to(Discrepancies::Table, Discrepancies::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        index(m, "discrepancy_history", &["discrepancy_id", "id"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in ["discrepancy_history", "discrepancies"] {
            m.drop_table(Table::drop().table(Alias::new(t)).to_owned())
                .await?;
        }
        Ok(())
    }
}
