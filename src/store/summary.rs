//! `refundSummary`: counts and exact totals grouped by provider, status and currency,
//! computed with one SQL aggregate.

use entity::refund;
use rust_decimal::Decimal;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
    Statement, sea_query::Expr,
};

use super::{money_sql, refunds::RefundQuery};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dimension {
    Provider,
    Status,
    Currency,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SummaryRow {
    pub provider: Option<String>,
    pub status: Option<String>,
    pub currency: Option<String>,
    pub count: i64,
    pub total: Option<Decimal>,
}

/// Groups the refunds matching `q`. Totals are always per currency (a sum across currencies
/// is not money), so currency is a grouping key even when not asked for.
pub async fn refund_summary(
    db: &impl ConnectionTrait,
    q: &RefundQuery,
    group_by: &[Dimension],
) -> Result<Vec<SummaryRow>, DbErr> {
    let backend = db.get_database_backend();
    let by_provider = group_by.contains(&Dimension::Provider);
    let by_status = group_by.contains(&Dimension::Status);
    let mut keys: Vec<&str> = Vec::new();
    if by_provider {
        keys.push("provider");
    }
    if by_status {
        keys.push("status");
    }
    keys.push("currency");
    // The filtered refunds as a sub-query, filtered by the same code as the `refunds` list.
    let mut inner = refund::Entity::find()
        .select_only()
        .columns([
            refund::Column::Provider,
            refund::Column::Status,
            refund::Column::Currency,
        ])
        .filter(q.condition(backend));
    inner = match backend {
        DatabaseBackend::Postgres => inner.column(refund::Column::Amount),
        _ => inner
            .expr_as(Expr::cust("refunds.amount_whole"), "amount_whole")
            .expr_as(Expr::cust("refunds.amount_nanos"), "amount_nanos"),
    };
    let inner = inner.build(backend);
    let sql = format!(
        "SELECT {keys}, COUNT(*) AS n, {sum} FROM ({inner}) AS r GROUP BY {keys} ORDER BY {keys}",
        inner = inner.sql,
        keys = keys.join(", "),
        sum = money_sql::sum_refund_amounts_sql(backend, "total"),
    );
    let rows = db
        .query_all_raw(Statement {
            sql,
            values: inner.values,
            db_backend: backend,
        })
        .await?;
    rows.iter()
        .map(|r| {
            Ok(SummaryRow {
                provider: if by_provider {
                    r.try_get("", "provider")?
                } else {
                    None
                },
                status: if by_status {
                    r.try_get("", "status")?
                } else {
                    None
                },
                currency: r.try_get("", "currency")?,
                count: r.try_get("", "n")?,
                total: money_sql::read_sum(backend, r, "total")?,
            })
        })
        .collect()
}
