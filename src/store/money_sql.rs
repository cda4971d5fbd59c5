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

/// Like [`sum_sql`] for `refunds.amount`, selected by a sub-query as `amount` (PostgreSQL)
/// or as its integer parts `amount_whole` and `amount_nanos` (SQLite, kept by triggers:
/// no text to parse in the aggregate). Read with [`read_sum`].
pub fn sum_refund_amounts_sql(backend: DatabaseBackend, alias: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("SUM(amount) AS {alias}"),
        _ => format!("SUM(amount_whole) AS {alias}_int, SUM(amount_nanos) AS {alias}_frac"),
    }
}

/// Reads a sum produced by [`sum_sql`] or [`sum_refund_amounts_sql`]; `None` when no row had a value.
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
            // SUM over no values is NULL for the integer part (the fraction part's CASE
            // yields 0 even for a NULL amount, so it cannot tell).
            Ok(int.map(|i| Decimal::from(i) + Decimal::new(frac.unwrap_or(0), FRAC_DIGITS)))
        }
    }
}

/// Decimal places of [`exact_amount`] on SQLite; amounts are validated to fit (see
/// `crate::domain::money::check_storable`).
pub const EXACT_DIGITS: u32 = 6;

/// An exact amount usable in SQL arithmetic and comparisons: the NUMERIC column `col` of
/// the table aliased `alias` on PostgreSQL; on SQLite an INTEGER count of 10⁻⁶ units, from
/// the integer parts `{parts}_whole` and `{parts}_nanos` that triggers keep beside the exact
/// text (no text parsed per row; exact up to ±9.2·10¹² per value or per order's sum, which
/// the accepted amounts cannot reach — they have at most six decimals, so dividing the nanos
/// is exact).
fn exact_amount(backend: DatabaseBackend, alias: &str, col: &str, parts: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("{alias}.{col}"),
        _ => format!("({alias}.{parts}_whole * 1000000 + {alias}.{parts}_nanos / 1000)"),
    }
}

/// [`exact_amount`] of `refunds.amount`, the table aliased `r`.
pub fn exact_refund_amount(backend: DatabaseBackend, r: &str) -> String {
    exact_amount(backend, r, "amount", "amount")
}

/// [`exact_amount`] of `orders.total_amount`, the table aliased `o`.
pub fn exact_order_total(backend: DatabaseBackend, o: &str) -> String {
    exact_amount(backend, o, "total_amount", "total")
}

/// [`exact_amount`] of `returns.expected_refund`, the table aliased `t`.
pub fn exact_expected_refund(backend: DatabaseBackend, t: &str) -> String {
    exact_amount(backend, t, "expected_refund", "expected")
}

/// A parameter in the units of [`exact_amount`].
pub fn exact_value(backend: DatabaseBackend, d: Decimal) -> Result<sea_orm::Value, DbErr> {
    match backend {
        DatabaseBackend::Postgres => Ok(d.into()),
        _ => {
            let units = (d * Decimal::from(1_000_000_i64)).trunc();
            i64::try_from(units)
                .map(Into::into)
                .map_err(|_| DbErr::Custom(format!("amount {d} is too large")))
        }
    }
}

/// Reads a value in the units of [`exact_amount`].
pub fn read_exact(
    backend: DatabaseBackend,
    row: &QueryResult,
    alias: &str,
) -> Result<Option<Decimal>, DbErr> {
    match backend {
        DatabaseBackend::Postgres => row.try_get::<Option<Decimal>>("", alias),
        _ => Ok(row
            .try_get::<Option<i64>>("", alias)?
            .map(|n| Decimal::new(n, EXACT_DIGITS))),
    }
}

/// Builds SQL with positional values: `?` for SQLite, `$n` for PostgreSQL.
pub struct SqlBuf {
    pub backend: DatabaseBackend,
    pub sql: String,
    pub values: Vec<sea_orm::Value>,
}

impl SqlBuf {
    pub fn new(backend: DatabaseBackend) -> Self {
        SqlBuf {
            backend,
            sql: String::new(),
            values: Vec::new(),
        }
    }

    /// Adds a value and returns its placeholder.
    pub fn bind(&mut self, v: impl Into<sea_orm::Value>) -> String {
        self.values.push(v.into());
        match self.backend {
            DatabaseBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    pub fn push(&mut self, s: &str) -> &mut Self {
        self.sql.push_str(s);
        self
    }

    pub fn statement(self) -> sea_orm::Statement {
        sea_orm::Statement::from_sql_and_values(self.backend, self.sql, self.values)
    }
}
