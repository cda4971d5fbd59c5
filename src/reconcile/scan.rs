//! The whole reconciliation report in id order, for exports. The database does what it is
//! fastest at — the aggregates of refunds and of owed returns per (order, currency), joined
//! to the orders — and each order's rows are completed and classified here by the same rule
//! as everywhere else ([`OrderPosition::state`]). The query in `query.rs` serves pages and
//! filters by state in SQL; a test checks that both give the same rows.

use futures::{Stream, StreamExt, TryStreamExt};
use rust_decimal::Decimal;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr, QueryResult, StreamTrait,
};

use super::{
    query::{IN_FLIGHT, OWED, ReconFilter, ReconRow, Window, order_conditions, window_low},
    rules::OrderPosition,
};
use crate::store::money_sql::{
    SqlBuf, exact_expected_refund, exact_order_total, exact_refund_amount, read_exact,
};

/// ` AND col` within `window`, bound now.
fn range(q: &mut SqlBuf, col: &str, window: Window) -> String {
    match window {
        (Some(lo), Some(hi)) => format!(" AND {col} BETWEEN {} AND {}", q.bind(lo), q.bind(hi)),
        (Some(lo), None) => format!(" AND {col} >= {}", q.bind(lo)),
        (None, Some(hi)) => format!(" AND {col} <= {}", q.bind(hi)),
        (None, None) => String::new(),
    }
}

/// One statement: every order matching `f`, newest first, joined to the aggregates of its
/// refunds and of its owed returns per currency. An order with refunds in two currencies
/// and returns in two has four rows (each side repeated); [`order_rows`] takes each side
/// once. Unlinked refunds and returns are not part of it.
pub fn statement(backend: DatabaseBackend, f: &ReconFilter, window: Window) -> sea_orm::Statement {
    let mut q = SqlBuf::new(backend);
    let amount = exact_refund_amount(backend, "r");
    let expected = exact_expected_refund(backend, "t");
    let total = exact_order_total(backend, "o");
    // Placeholders are bound in the order they appear (SQLite's are positional).
    let (rf_range, rt_range) = (
        range(&mut q, "r.order_id", window),
        range(&mut q, "t.order_id", window),
    );
    let mut order_cond = order_conditions(&mut q, f);
    order_cond += &range(&mut q, "o.id", window);
    // PostgreSQL then reads each order_id index backwards and merge-joins without sorting
    // the aggregates again (without it: two external sorts, a third of the time).
    let (rf_order, rt_order) = match backend {
        DatabaseBackend::Postgres => (" ORDER BY r.order_id DESC", " ORDER BY t.order_id DESC"),
        _ => ("", ""),
    };
    q.push(&format!(
        "SELECT o.id AS order_id, o.order_number, o.currency AS order_currency, {total} AS total, \
           rf.currency AS rf_currency, rf.refunded, rf.pending, rf.n_refunds, \
           rt.currency AS rt_currency, rt.expected, rt.owed_returns \
         FROM orders o \
         LEFT JOIN (SELECT r.order_id, r.currency, \
             SUM(CASE WHEN r.status = 'SUCCEEDED' THEN {amount} ELSE 0 END) AS refunded, \
             SUM(CASE WHEN r.status IN {IN_FLIGHT} THEN {amount} ELSE 0 END) AS pending, \
             COUNT(*) AS n_refunds \
           FROM refunds r WHERE r.currency IS NOT NULL{rf_range} GROUP BY r.order_id, r.currency{rf_order}) rf \
           ON rf.order_id = o.id \
         LEFT JOIN (SELECT t.order_id, t.currency, SUM({expected}) AS expected, \
             COUNT(*) AS owed_returns \
           FROM returns t WHERE t.status IN {OWED} AND t.currency IS NOT NULL{rt_range} \
           GROUP BY t.order_id, t.currency{rt_order}) rt \
           ON rt.order_id = o.id \
         WHERE {order_cond} \
         ORDER BY o.id DESC"
    ));
    q.statement()
}

/// One row of [`statement`]: the order, and one refund and one return aggregate if any.
struct Part {
    order_id: i64,
    order_number: Option<String>,
    order_currency: Option<String>,
    total: Option<Decimal>,
    refunds: Option<(String, Decimal, Decimal, i64)>,
    returns: Option<(String, Decimal, i64)>,
}

fn read_part(backend: DatabaseBackend, r: &QueryResult) -> Result<Part, DbErr> {
    let zero = |alias| Ok::<_, DbErr>(read_exact(backend, r, alias)?.unwrap_or_default());
    let refunds = match r.try_get::<Option<String>>("", "rf_currency")? {
        Some(c) => Some((
            c,
            zero("refunded")?,
            zero("pending")?,
            r.try_get("", "n_refunds")?,
        )),
        None => None,
    };
    let returns = match r.try_get::<Option<String>>("", "rt_currency")? {
        Some(c) => Some((c, zero("expected")?, r.try_get("", "owed_returns")?)),
        None => None,
    };
    Ok(Part {
        order_id: r.try_get("", "order_id")?,
        order_number: r.try_get("", "order_number")?,
        order_currency: r.try_get("", "order_currency")?,
        total: read_exact(backend, r, "total")?,
        refunds,
        returns,
    })
}

/// The index of the position in `currency` (None: the order has no currency and nothing
/// in any), added with nothing yet when missing.
fn position_in(
    positions: &mut Vec<OrderPosition>,
    order_currency: &Option<String>,
    total: Option<Decimal>,
    currency: Option<&str>,
) -> usize {
    if let Some(i) = positions
        .iter()
        .position(|p| p.currency.as_deref() == currency)
    {
        return i;
    }
    positions.push(OrderPosition {
        total: total.filter(|_| currency.is_some() && order_currency.as_deref() == currency),
        order_currency: order_currency.clone(),
        currency: currency.map(str::to_owned),
        expected: Decimal::ZERO,
        refunded: Decimal::ZERO,
        pending: Decimal::ZERO,
        refunds: 0,
        owed_returns: 0,
    });
    positions.len() - 1
}

/// The report rows of one order from its parts: one per currency with activity, plus the
/// order's own currency (or a currency-less row for an order with neither), sorted by
/// currency, filtered by `f`'s state and currency.
fn order_rows(parts: Vec<Part>, tol: Decimal, f: &ReconFilter, out: &mut Vec<ReconRow>) {
    let Some(first) = parts.first() else { return };
    let (order_id, order_number) = (first.order_id, first.order_number.clone());
    let (order_currency, total) = (first.order_currency.clone(), first.total);
    let mut positions: Vec<OrderPosition> = Vec::new();
    // Each side once per currency, however often the join repeated it.
    let (mut seen_rf, mut seen_rt) = (Vec::new(), Vec::new());
    for p in parts {
        if let Some((c, refunded, pending, n)) = p.refunds
            && !seen_rf.contains(&c)
        {
            let i = position_in(&mut positions, &order_currency, total, Some(&c));
            let pos = &mut positions[i];
            (pos.refunded, pos.pending, pos.refunds) = (refunded, pending, n);
            seen_rf.push(c);
        }
        if let Some((c, expected, n)) = p.returns
            && !seen_rt.contains(&c)
        {
            let i = position_in(&mut positions, &order_currency, total, Some(&c));
            (positions[i].expected, positions[i].owed_returns) = (expected, n);
            seen_rt.push(c);
        }
    }
    if order_currency.is_some() || positions.is_empty() {
        position_in(
            &mut positions,
            &order_currency,
            total,
            order_currency.as_deref(),
        );
    }
    positions.sort_by(|a, b| a.currency.cmp(&b.currency));
    let currency = f.currency.as_ref().map(|c| c.to_ascii_uppercase());
    for position in positions {
        if currency.is_some() && position.currency != currency {
            continue;
        }
        let state = position.state(tol);
        if !f.states.is_empty() && !f.states.contains(&state) {
            continue;
        }
        out.push(ReconRow {
            order_id,
            order_number: order_number.clone(),
            position,
            state,
        });
    }
}

/// The report rows of the orders in `window`, newest first.
async fn window_rows(
    db: &DatabaseConnection,
    tol: Decimal,
    f: &ReconFilter,
    window: Window,
) -> Result<Vec<ReconRow>, DbErr> {
    let backend = db.get_database_backend();
    let rows = db.query_all_raw(statement(backend, f, window)).await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut parts: Vec<Part> = Vec::new();
    for row in &rows {
        let part = read_part(backend, row)?;
        if parts.last().is_some_and(|p| p.order_id != part.order_id) {
            order_rows(std::mem::take(&mut parts), tol, f, &mut out);
        }
        parts.push(part);
    }
    order_rows(parts, tol, f, &mut out);
    Ok(out)
}

/// Every row of the report for `f`, newest order first, in batches. PostgreSQL streams
/// one statement over all orders (its hash aggregates beat any split). SQLite reads a window
/// of `size` orders per statement, each read whole: streaming rows one by one from SQLite's
/// thread cost more than the query itself. The next window is queried while this one is
/// classified and encoded.
pub fn batches(
    db: DatabaseConnection,
    tol: Decimal,
    f: ReconFilter,
    size: u64,
) -> futures::stream::BoxStream<'static, Result<Vec<ReconRow>, DbErr>> {
    if db.get_database_backend() == DatabaseBackend::Postgres {
        return streamed(db, tol, f, size as usize).boxed();
    }
    let (bounds_db, bounds_f) = (db.clone(), f.clone());
    let bounds = futures::stream::try_unfold(Some(None::<i64>), move |hi| {
        let (db, f) = (bounds_db.clone(), bounds_f.clone());
        async move {
            let Some(hi) = hi else { return Ok(None) };
            let Some(lo) = window_low(&db, &f, hi, size).await? else {
                return Ok(None);
            };
            Ok(Some(((Some(lo), hi), (lo > 1).then_some(Some(lo - 1)))))
        }
    });
    bounds
        .map_ok(move |window| {
            let (db, f) = (db.clone(), f.clone());
            async move { window_rows(&db, tol, &f, window).await }
        })
        .try_buffered(2)
        .boxed()
}

/// One statement over every order, its rows classified as they arrive, in batches of about
/// `batch` rows.
fn streamed(
    db: DatabaseConnection,
    tol: Decimal,
    f: ReconFilter,
    batch: usize,
) -> impl Stream<Item = Result<Vec<ReconRow>, DbErr>> {
    async_stream::try_stream! {
        let backend = db.get_database_backend();
        let mut rows = db.stream_raw(statement(backend, &f, (None, None))).await?;
        let mut parts: Vec<Part> = Vec::new();
        let mut out: Vec<ReconRow> = Vec::with_capacity(batch + 4);
        while let Some(row) = rows.next().await {
            let part = read_part(backend, &row?)?;
            if parts.last().is_some_and(|p| p.order_id != part.order_id) {
                order_rows(std::mem::take(&mut parts), tol, &f, &mut out);
                if out.len() >= batch {
                    yield std::mem::replace(&mut out, Vec::with_capacity(batch + 4));
                }
            }
            parts.push(part);
        }
        order_rows(parts, tol, &f, &mut out);
        if !out.is_empty() {
            yield out;
        }
    }
}
