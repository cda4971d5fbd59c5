//! SQLite only: refund amounts also as two integers, the whole units and the fraction in
//! 10⁻⁹ units (both signed), kept by triggers. SQLite stores money as exact text, and summing
//! it exactly means parsing the text in every aggregate, several times slower than the sum
//! itself; these columns make `refundSummary` a plain integer SUM. PostgreSQL sums its
//! NUMERIC exactly and needs nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The whole part of the text amount `a` (`-12.34` → -12); NULL for NULL.
fn whole(a: &str) -> String {
    let t = format!("ltrim({a}, '-')");
    format!(
        "((CASE WHEN substr({a}, 1, 1) = '-' THEN -1 ELSE 1 END) * \
         CAST(CASE WHEN instr({t}, '.') > 0 THEN substr({t}, 1, instr({t}, '.') - 1) ELSE {t} END AS INTEGER))"
    )
}

/// The fraction of `a` in 10⁻⁹ units, signed (`-12.34` → -340000000); NULL for NULL.
fn nanos(a: &str) -> String {
    let t = format!("ltrim({a}, '-')");
    format!(
        "(CASE WHEN {a} IS NULL THEN NULL ELSE (CASE WHEN substr({a}, 1, 1) = '-' THEN -1 ELSE 1 END) * \
         (CASE WHEN instr({t}, '.') > 0 THEN CAST(substr(substr({t}, instr({t}, '.') + 1) || '000000000', 1, 9) AS INTEGER) ELSE 0 END) END)"
    )
}

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
