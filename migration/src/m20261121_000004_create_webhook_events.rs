//! The webhook inbox.

use sea_orm_migration::prelude::*;

use crate::columns::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    Id,
    Provider,
    IdempotencyKey,
    EventType,
    ReceivedAt,
    RawBody,
    Headers,
    Outcome,
    Error,
    ProcessedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(WebhookEvents::Table)
                .col(id(WebhookEvents::Id))
                .col(text(WebhookEvents::Provider))
                .col(text(WebhookEvents::IdempotencyKey))
                .col(text_null(WebhookEvents::EventType))
                .col(ts(WebhookEvents::ReceivedAt))
                .col(text(WebhookEvents::RawBody))
                .col(text(WebhookEvents::Headers))
                .col(text(WebhookEvents::Outcome))
                .col(text_null(WebhookEvents::Error))
                .col(ts(WebhookEvents::ProcessedAt))
                .to_owned(),
        )
        .await?;
        // The exactly-once guarantee: one row per (provider, key), enforced by the database.
        index(m, "webhook_events", &["provider", "idempotency_key"], true).await?;
        index(m, "webhook_events", &["received_at", "id"], false).await?;
        index(m, "webhook_events", &["outcome", "id"], false).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(WebhookEvents::Table).to_owned())
            .await
    }
}
