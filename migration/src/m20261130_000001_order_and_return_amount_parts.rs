//! SQLite only: order totals and the expected refunds of returns also as two integers (whole
//! units, and the fraction in 10⁻⁹ units), kept by triggers, as refund amounts already are.
//! The reconciliation report sums and compares them for every order; parsing the exact text
//! in the query cost more than the rest of the report together. PostgreSQL's NUMERIC needs
//! nothing.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

use crate::columns::{nanos, whole};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// (table, exact text column, prefix of its integer parts)
const AMOUNTS: [(&str, &str, &str); 2] = [
    ("orders", "total_amount", "total"),
    ("returns", "expected_refund", "expected"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Sqlite {
            return Ok(());
        }
        let db = m.get_connection();
        for (table, col, p) in AMOUNTS {
            let set = |a: &str| format!("{p}_whole = {}, {p}_nanos = {}", whole(a), nanos(a));
            let new = format!("NEW.{col}");
            for s in [
                format!("ALTER TABLE {table} ADD COLUMN {p}_whole INTEGER"),
                format!("ALTER TABLE {table} ADD COLUMN {p}_nanos INTEGER"),
                format!("UPDATE {table} SET {} WHERE {col} IS NOT NULL", set(col)),
                format!(
                    "CREATE TRIGGER {table}_{p}_parts_insert AFTER INSERT ON {table} \
                     WHEN {new} IS NOT NULL BEGIN \
                     UPDATE {table} SET {} WHERE id = NEW.id; END",
                    set(&new)
                ),
                format!(
                    "CREATE TRIGGER {table}_{p}_parts_update AFTER UPDATE OF {col} ON {table} \
                     BEGIN UPDATE {table} SET {} WHERE id = NEW.id; END",
                    set(&new)
                ),
            ] {
                db.execute_unprepared(&s).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        if m.get_database_backend() != DatabaseBackend::Sqlite {
            return Ok(());
        }
        let db = m.get_connection();
        for (table, _, p) in AMOUNTS {
            for s in [
                format!("DROP TRIGGER IF EXISTS {table}_{p}_parts_insert"),
                format!("DROP TRIGGER IF EXISTS {table}_{p}_parts_update"),
                format!("ALTER TABLE {table} DROP COLUMN {p}_whole"),
                format!("ALTER TABLE {table} DROP COLUMN {p}_nanos"),
            ] {
                db.execute_unprepared(&s).await?;
            }
        }
        Ok(())
    }
}
