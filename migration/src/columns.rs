//! Column shapes shared by the migrations.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

/// 64-bit auto-increment primary key (`INTEGER PRIMARY KEY` on SQLite, identity on PostgreSQL).
pub fn id<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

/// Money: exact NUMERIC on PostgreSQL; TEXT on SQLite, whose NUMERIC affinity would turn
/// "49.99" into a float.
pub fn money<T: IntoIden>(backend: DatabaseBackend, col: T) -> ColumnDef {
    let ty = match backend {
        DatabaseBackend::Postgres => "numeric",
        _ => "text",
    };
    ColumnDef::new(col).custom(Alias::new(ty)).null().to_owned()
}

pub fn ts<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

pub fn ts_null<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

pub fn text<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).text().not_null().to_owned()
}

pub fn text_null<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).text().null().to_owned()
}

pub fn int64<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).big_integer().not_null().to_owned()
}

pub fn int64_null<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).big_integer().null().to_owned()
}

pub fn boolean<T: IntoIden>(col: T) -> ColumnDef {
    ColumnDef::new(col).boolean().not_null().to_owned()
}

/// Creates a (possibly unique) index named `<table>_<cols>_idx`.
pub async fn index(
    m: &SchemaManager<'_>,
    table: &str,
    cols: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut idx = Index::create();
    idx.name(format!("{table}_{}_idx", cols.join("_")))
        .table(Alias::new(table));
    for c in cols {
        idx.col(Alias::new(*c));
    }
    if unique {
        idx.unique();
    }
    m.create_index(idx.to_owned()).await
}

/// SQLite only: the whole part of the exact text amount `a` (`-12.34` → -12); NULL for
/// NULL. Used by triggers that keep amounts as integers for exact, parse-free sums.
pub fn whole(a: &str) -> String {
    let t = format!("ltrim({a}, '-')");
    format!(
        "((CASE WHEN substr({a}, 1, 1) = '-' THEN -1 ELSE 1 END) * \
         CAST(CASE WHEN instr({t}, '.') > 0 THEN substr({t}, 1, instr({t}, '.') - 1) ELSE {t} END AS INTEGER))"
    )
}

/// SQLite only: the fraction of `a` in 10⁻⁹ units, signed (`-12.34` → -340000000); NULL
/// for NULL.
pub fn nanos(a: &str) -> String {
    let t = format!("ltrim({a}, '-')");
    format!(
        "(CASE WHEN {a} IS NULL THEN NULL ELSE (CASE WHEN substr({a}, 1, 1) = '-' THEN -1 ELSE 1 END) * \
         (CASE WHEN instr({t}, '.') > 0 THEN CAST(substr(substr({t}, instr({t}, '.') + 1) || '000000000', 1, 9) AS INTEGER) ELSE 0 END) END)"
    )
}
