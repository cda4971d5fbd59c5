//! The reconciliation query: per order and currency, what the order book, the returns and
//! the refunds say, aggregated and classified in the database in one statement.

use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr};

use super::rules::{OrderPosition, ReconState};
use crate::{
    domain::Provider,
    store::money_sql::{
        SqlBuf, exact_expected_refund, exact_order_total, exact_refund_amount, exact_value,
        read_exact,
    },
};

#[derive(Debug, Clone, Default)]
pub struct ReconFilter {
    pub states: Vec<ReconState>,
    pub currency: Option<String>,
    /// Orders with a refund from one of these providers.
    pub providers: Vec<Provider>,
    pub order_number: Option<String>,
    pub order_id: Option<i64>,
}

/// One row of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconRow {
    pub order_id: i64,
    pub order_number: Option<String>,
    pub position: OrderPosition,
    pub state: ReconState,
}

impl ReconRow {
    /// The cursor key: (order id, currency).
    pub fn key(&self) -> (i64, String) {
        (
            self.order_id,
            self.position.currency.clone().unwrap_or_default(),
        )
    }
}

pub(crate) const OWED: &str = "('RECEIVED', 'INSPECTED', 'RESOLVED')";
pub(crate) const IN_FLIGHT: &str = "('PENDING', 'APPROVED', 'PROCESSING', 'IN_REVIEW')";

/// The SQL classification, mirroring [`OrderPosition::state`]. The tolerance is bound once
/// per use: SQLite placeholders are positional.
fn state_case(q: &mut SqlBuf, tol: sea_orm::Value) -> String {
    let (t1, t2, t3) = (q.bind(tol.clone()), q.bind(tol.clone()), q.bind(tol));
    format!(
        "CASE \
           WHEN n_refunds = 0 AND expected = 0 AND pending = 0 THEN 'NO_ACTIVITY' \
           WHEN n_refunds > 0 AND order_currency IS NOT NULL AND currency IS NOT NULL AND order_currency <> currency THEN 'MISMATCH' \
           WHEN n_refunds > 0 AND total IS NULL THEN 'UNVERIFIED' \
           WHEN total IS NOT NULL AND refunded + pending > total + {t1} THEN 'OVER_REFUNDED' \
           WHEN pending > 0 THEN 'PENDING' \
           WHEN refunded < expected - {t2} THEN 'UNDER_REFUNDED' \
           WHEN owed_returns > 0 AND refunded > expected + {t3} THEN 'MISMATCH' \
           ELSE 'BALANCED' END"
    )
}

/// The order-level conditions (on `orders o`), shared by the report and its windows.
pub(crate) fn order_conditions(q: &mut SqlBuf, f: &ReconFilter) -> String {
    let mut order_cond = String::from("1 = 1");
    if let Some(id) = f.order_id {
        order_cond += &format!(" AND o.id = {}", q.bind(id));
    }
    if let Some(n) = &f.order_number {
        order_cond += &format!(" AND o.order_number = {}", q.bind(n.clone()));
    }
    if !f.providers.is_empty() {
        let list: Vec<String> = f.providers.iter().map(|p| q.bind(p.slug())).collect();
        order_cond += &format!(
            " AND EXISTS (SELECT 1 FROM refunds p WHERE p.order_id = o.id AND p.provider IN ({}))",
            list.join(", ")
        );
    }
    order_cond
}

/// A range of order ids, inclusive; the report aggregates only these orders, so a page
/// costs the same however deep it is.
pub type Window = (Option<i64>, Option<i64>);

/// Builds the report query over the orders of `window`, then the rows after `after`.
pub fn build(
    backend: DatabaseBackend,
    tol: Decimal,
    f: &ReconFilter,
    window: Window,
    after: Option<(i64, String)>,
    limit: Option<u64>,
) -> Result<sea_orm::Statement, DbErr> {
    let mut q = SqlBuf::new(backend);
    let amount = exact_refund_amount(backend, "r");
    let expected = exact_expected_refund(backend, "t");
    let total = exact_order_total(backend, "o");
    // Restrict every aggregate to the orders in question before aggregating.
    let mut order_cond = order_conditions(&mut q, f);
    if let Some(lo) = window.0 {
        order_cond += &format!(" AND o.id >= {}", q.bind(lo));
    }
    if let Some(hi) = window.1 {
        order_cond += &format!(" AND o.id <= {}", q.bind(hi));
    }
    let zero = match backend {
        DatabaseBackend::Postgres => "0::numeric",
        _ => "0",
    };
    q.push(&format!(
        "WITH sel AS (SELECT o.id, o.order_number, o.currency, {total} AS total FROM orders o WHERE {order_cond}), \
         rf AS (SELECT r.order_id, r.currency, \
                  SUM(CASE WHEN r.status = 'SUCCEEDED' THEN {amount} ELSE 0 END) AS refunded, \
                  SUM(CASE WHEN r.status IN {IN_FLIGHT} THEN {amount} ELSE 0 END) AS pending, \
                  COUNT(*) AS n_refunds \
                FROM refunds r JOIN sel ON sel.id = r.order_id \
                WHERE r.currency IS NOT NULL GROUP BY r.order_id, r.currency), \
         rt AS (SELECT t.order_id, t.currency, SUM({expected}) AS expected, COUNT(*) AS owed_returns \
                FROM returns t JOIN sel ON sel.id = t.order_id \
                WHERE t.status IN {OWED} AND t.currency IS NOT NULL GROUP BY t.order_id, t.currency), \
         keys AS (SELECT order_id, currency FROM rf UNION SELECT order_id, currency FROM rt \
                  UNION SELECT id, currency FROM sel WHERE currency IS NOT NULL \
                  UNION SELECT id, currency FROM sel WHERE currency IS NULL \
                    AND NOT EXISTS (SELECT 1 FROM rf WHERE rf.order_id = sel.id) \
                    AND NOT EXISTS (SELECT 1 FROM rt WHERE rt.order_id = sel.id)), \
         pos AS (SELECT k.order_id, k.currency, sel.order_number, sel.currency AS order_currency, \
                  CASE WHEN sel.currency = k.currency THEN sel.total END AS total, \
                  COALESCE(rt.expected, {zero}) AS expected, COALESCE(rf.refunded, {zero}) AS refunded, \
                  COALESCE(rf.pending, {zero}) AS pending, COALESCE(rf.n_refunds, 0) AS n_refunds, \
                  COALESCE(rt.owed_returns, 0) AS owed_returns \
                FROM keys k JOIN sel ON sel.id = k.order_id \
                LEFT JOIN rf ON rf.order_id = k.order_id AND rf.currency = k.currency \
                LEFT JOIN rt ON rt.order_id = k.order_id AND rt.currency = k.currency) "
    ));
    let case = state_case(&mut q, exact_value(backend, tol)?);
    q.push(&format!(
        "SELECT * FROM (SELECT pos.*, {case} AS state FROM pos) AS x WHERE 1 = 1"
    ));
    if let Some(c) = &f.currency {
        let p = q.bind(c.to_ascii_uppercase());
        q.push(&format!(" AND currency = {p}"));
    }
    if !f.states.is_empty() {
        let list: Vec<String> = f.states.iter().map(|s| q.bind(s.as_str())).collect();
        q.push(&format!(" AND state IN ({})", list.join(", ")));
    }
    if let Some((id, cur)) = after {
        let (a, b, c) = (q.bind(id), q.bind(id), q.bind(cur));
        q.push(&format!(
            " AND (order_id < {a} OR (order_id = {b} AND COALESCE(currency, '') > {c}))"
        ));
    }
    q.push(" ORDER BY order_id DESC, COALESCE(currency, '') ASC");
    if let Some(l) = limit {
        let p = q.bind(l as i64);
        q.push(&format!(" LIMIT {p}"));
    }
    Ok(q.statement())
}

fn read_row(backend: DatabaseBackend, r: &sea_orm::QueryResult) -> Result<ReconRow, DbErr> {
    let state: String = r.try_get("", "state")?;
    let zero = |v: Option<Decimal>| v.unwrap_or_default();
    Ok(ReconRow {
        order_id: r.try_get("", "order_id")?,
        order_number: r.try_get("", "order_number")?,
        state: ReconState::parse(&state)
            .ok_or_else(|| DbErr::Custom(format!("unknown state {state}")))?,
        position: OrderPosition {
            order_currency: r.try_get("", "order_currency")?,
            currency: r.try_get("", "currency")?,
            total: read_exact(backend, r, "total")?,
            expected: zero(read_exact(backend, r, "expected")?),
            refunded: zero(read_exact(backend, r, "refunded")?),
            pending: zero(read_exact(backend, r, "pending")?),
            refunds: r.try_get("", "n_refunds")?,
            owed_returns: r.try_get("", "owed_returns")?,
        },
    })
}

/// Runs the report over one window of orders.
pub async fn rows_in(
    db: &impl ConnectionTrait,
    tol: Decimal,
    f: &ReconFilter,
    window: Window,
    after: Option<(i64, String)>,
    limit: Option<u64>,
) -> Result<Vec<ReconRow>, DbErr> {
    let backend = db.get_database_backend();
    let stmt = build(backend, tol, f, window, after, limit)?;
    db.query_all_raw(stmt)
        .await?
        .iter()
        .map(|r| read_row(backend, r))
        .collect()
}

/// Runs the report over every order matching `f` (one order, or a small set).
pub async fn rows(
    db: &impl ConnectionTrait,
    tol: Decimal,
    f: &ReconFilter,
) -> Result<Vec<ReconRow>, DbErr> {
    rows_in(db, tol, f, (None, None), None, None).await
}

/// The lowest id of the next `size` orders (newest first) at or below `hi`, or None when
/// no order is left. Walks the primary key only.
pub async fn window_low(
    db: &impl ConnectionTrait,
    f: &ReconFilter,
    hi: Option<i64>,
    size: u64,
) -> Result<Option<i64>, DbErr> {
    let backend = db.get_database_backend();
    let mut q = SqlBuf::new(backend);
    let mut cond = order_conditions(&mut q, f);
    if let Some(hi) = hi {
        cond += &format!(" AND o.id <= {}", q.bind(hi));
    }
    let lim = q.bind(size as i64);
    q.push(&format!(
        "SELECT MIN(id) AS lo FROM (SELECT o.id FROM orders o WHERE {cond} ORDER BY o.id DESC LIMIT {lim}) AS w"
    ));
    let row = db.query_one_raw(q.statement()).await?;
    Ok(row.and_then(|r| r.try_get::<Option<i64>>("", "lo").ok().flatten()))
}

/// One page of the report after `after`: walks windows of orders (newest first) until the
/// page is full, so deep pages and filtered pages never aggregate the whole table at once.
pub async fn page(
    db: &impl ConnectionTrait,
    tol: Decimal,
    f: &ReconFilter,
    after: Option<(i64, String)>,
    limit: u64,
) -> Result<Vec<ReconRow>, DbErr> {
    // Every order yields at least one row, so without row filters one window suffices.
    let filtered = !f.states.is_empty() || f.currency.is_some();
    let size = if filtered {
        (limit + 1).max(2000)
    } else {
        limit + 1
    };
    let mut hi = after.as_ref().map(|(id, _)| *id);
    let mut out: Vec<ReconRow> = Vec::new();
    while (out.len() as u64) <= limit {
        let Some(lo) = window_low(db, f, hi, size).await? else {
            break;
        };
        let need = limit + 1 - out.len() as u64;
        out.extend(rows_in(db, tol, f, (Some(lo), hi), after.clone(), Some(need)).await?);
        if lo <= 1 {
            break;
        }
        hi = Some(lo - 1);
    }
    Ok(out)
}

/// How many rows the filter matches.
pub async fn count(db: &impl ConnectionTrait, tol: Decimal, f: &ReconFilter) -> Result<u64, DbErr> {
    let backend = db.get_database_backend();
    let inner = build(backend, tol, f, (None, None), None, None)?;
    let stmt = sea_orm::Statement {
        sql: format!("SELECT COUNT(*) AS n FROM ({}) AS c", inner.sql),
        values: inner.values,
        db_backend: backend,
    };
    let row = db.query_one_raw(stmt).await?;
    Ok(row
        .map(|r| r.try_get::<i64>("", "n"))
        .transpose()?
        .unwrap_or(0) as u64)
}

/// One group of the reconciliation summary.
#[derive(Debug, Clone, PartialEq)]
pub struct SummaryGroup {
    pub provider: Option<String>,
    pub currency: Option<String>,
    pub state: ReconState,
    pub orders: i64,
    pub expected: Decimal,
    pub refunded: Decimal,
    pub pending: Decimal,
}

/// Counts and sums of the report by currency and state, and by refunding provider when
/// asked (an order refunded by two providers counts under each).
pub async fn summary(
    db: &impl ConnectionTrait,
    tol: Decimal,
    f: &ReconFilter,
    by_provider: bool,
) -> Result<Vec<SummaryGroup>, DbErr> {
    let backend = db.get_database_backend();
    let inner = build(backend, tol, f, (None, None), None, None)?;
    let (join, pcol, group) = if by_provider {
        (
            " JOIN (SELECT DISTINCT order_id AS p_order, currency AS p_currency, provider FROM refunds) p \
               ON p.p_order = x.order_id AND p.p_currency = x.currency",
            "p.provider",
            "p.provider, x.currency, x.state",
        )
    } else {
        ("", "CAST(NULL AS TEXT)", "x.currency, x.state")
    };
    let sql = format!(
        "SELECT {pcol} AS provider, x.currency, x.state, COUNT(*) AS orders, SUM(x.expected) AS expected, \
         SUM(x.refunded) AS refunded, SUM(x.pending) AS pending FROM ({}) AS x{join} \
         GROUP BY {group} ORDER BY 1, 2, 3",
        inner.sql
    );
    let stmt = sea_orm::Statement {
        sql,
        values: inner.values,
        db_backend: backend,
    };
    db.query_all_raw(stmt)
        .await?
        .iter()
        .map(|r| {
            let state: String = r.try_get("", "state")?;
            Ok(SummaryGroup {
                provider: r.try_get("", "provider")?,
                currency: r.try_get("", "currency")?,
                state: ReconState::parse(&state)
                    .ok_or_else(|| DbErr::Custom(format!("unknown state {state}")))?,
                orders: r.try_get("", "orders")?,
                expected: read_exact(backend, r, "expected")?.unwrap_or_default(),
                refunded: read_exact(backend, r, "refunded")?.unwrap_or_default(),
                pending: read_exact(backend, r, "pending")?.unwrap_or_default(),
            })
        })
        .collect()
}
