//! Exact sums of money columns, computed in the database. PostgreSQL sums NUMERIC exactly.
//! SQLite keeps amounts as exact text, and its own SUM would go through floats, so the text
//! is split into integer and fractional parts (nine digits) and each is summed as an
//! INTEGER: exact, and still a single aggregate pass in the database.

use rust_decimal::Decimal;
use sea_orm::{DatabaseBackend, DbErr, QueryResult};

/// Digits of the fractional part summed on SQLite; amounts in this domain have at most 8.
const FRAC_DIGITS: u32 = 9;

/// SQL select-list items summing `col`, named after `alias`.
pub fn sum_sql(backend: DatabaseBackend, col: &str, alias: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("SUM({col}) AS {alias}"),
        _ => {
            let t = format!("ltrim({col}, '-')");
            let sign = format!("(CASE WHEN substr({col}, 1, 1) = '-' THEN -1 ELSE 1 END)");
            let int = format!(
                "CAST(CASE WHEN instr({t}, '.') > 0 THEN substr({t}, 1, instr({t}, '.') - 1) ELSE {t} END AS INTEGER)"
            );
            let frac = format!(
                "(CASE WHEN instr({t}, '.') > 0 THEN CAST(substr(substr({t}, instr({t}, '.') + 1) || '000000000', 1, {FRAC_DIGITS}) AS INTEGER) ELSE 0 END)"
            );
            format!("SUM({sign} * {int}) AS {alias}_int, SUM({sign} * {frac}) AS {alias}_frac")
        }
    }
}

/// Reads a sum produced by [`sum_sql`]; `None` when no row had a value.
pub fn read_sum(
    backend: DatabaseBackend,
    row: &QueryResult,
    alias: &str,
) -> Result<Option<Decimal>, DbErr> {
    match backend {
        DatabaseBackend::Postgres => row.try_get::<Option<Decimal>>("", alias),
        _ => {
            let int: Option<i64> = row.try_get("", &format!("{alias}_int"))?;
            let frac: Option<i64> = row.try_get("", &format!("{alias}_frac"))?;
            Ok(match (int, frac) {
                (None, None) => None,
                (i, f) => {
                    Some(Decimal::from(i.unwrap_or(0)) + Decimal::new(f.unwrap_or(0), FRAC_DIGITS))
                }
            })
        }
    }
}
