//! SQLite only: refund amounts also as two integers, the whole units and the fraction in
//! 10⁻⁹ units (both signed), kept by triggers. SQLite stores money as exact text, and summing
//! it exactly means parsing the text in every aggregate, several times slower than the sum
//! itself; these columns make `refundSummary` a plain integer SUM. PostgreSQL sums its
//! NUMERIC exactly and needs nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::columns::{nanos, whole};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Sqlite {
            return Ok(());
        }
        let set = |a: &str| format!("amount_whole = {}, amount_nanos = {}", whole(a), nanos(a));
        let db = m.get_connection();
        db.execute_unprepared("ALTER TABLE refunds ADD COLUMN amount_whole INTEGER")
            .await?;
        db.execute_unprepared("ALTER TABLE refunds ADD COLUMN amount_nanos INTEGER")
            .await?;
        db.execute_unprepared(&format!(
            "UPDATE refunds SET {} WHERE amount IS NOT NULL",
            set("amount")
        ))
        .await?;
        db.execute_unprepared(&format!(
            "CREATE TRIGGER refunds_amount_parts_insert AFTER INSERT ON refunds \
             WHEN NEW.amount IS NOT NULL BEGIN \
             UPDATE refunds SET {} WHERE id = NEW.id; END",
            set("NEW.amount")
        ))
        .await?;
        db.execute_unprepared(&format!(
            "CREATE TRIGGER refunds_amount_parts_update AFTER UPDATE OF amount ON refunds \
             BEGIN UPDATE refunds SET {} WHERE id = NEW.id; END",
            set("NEW.amount")
        ))
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Sqlite {
            return Ok(());
        }
        let db = m.get_connection();
        for s in [
            "DROP TRIGGER IF EXISTS refunds_amount_parts_insert",
            "DROP TRIGGER IF EXISTS refunds_amount_parts_update",
            "ALTER TABLE refunds DROP COLUMN amount_whole",
            "ALTER TABLE refunds DROP COLUMN amount_nanos",
        ] {
            db.execute_unprepared(s).await?;
        }
        Ok(())
    }
}
