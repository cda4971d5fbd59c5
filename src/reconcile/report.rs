//! The reconciliation report as CSV, streamed so any size is sent in constant memory.
//! Shared by `GET /exports/reconciliation.csv` and `refund-recon reconcile`.

use futures::{Stream, StreamExt};
use rust_decimal::Decimal;
use sea_orm::{DatabaseConnection, DbErr};

use super::{
    query::{self, ReconFilter, ReconRow},
    scan,
};

pub const HEADER: [&str; 10] = [
    "order_id",
    "order_number",
    "currency",
    "state",
    "order_total",
    "expected_refund",
    "refunded",
    "pending_refund",
    "outstanding",
    "order_currency",
];

/// Text that a spreadsheet would run as a formula is prefixed with `'`.
fn cell(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

fn record(r: &ReconRow) -> [String; 10] {
    let p = &r.position;
    let d = |v: Decimal| v.normalize().to_string();
    [
        r.order_id.to_string(),
        cell(r.order_number.as_deref().unwrap_or_default()),
        p.currency.clone().unwrap_or_default(),
        r.state.as_str().to_owned(),
        p.total.map(d).unwrap_or_default(),
        d(p.expected),
        d(p.refunded),
        d(p.pending),
        d(p.outstanding()),
        p.order_currency.clone().unwrap_or_default(),
    ]
}

/// CSV bytes for `rows`, with the header first when asked.
pub fn csv_chunk(rows: &[ReconRow], header: bool) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    if header {
        w.write_record(HEADER)?;
    }
    for r in rows {
        w.write_record(record(r))?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

/// Orders per statement of the report on SQLite (about 2 MB of rows in memory).
const WINDOW: u64 = 20_000;

/// The whole report as a stream of CSV chunks: the header, then the rows newest order
/// first. A report of one order (by number or id) reads that order by index; any other reads
/// every order with its aggregates in id order (`scan.rs`), encoded while the database goes
/// on producing rows.
pub fn stream(
    db: DatabaseConnection,
    tol: Decimal,
    filter: ReconFilter,
) -> impl Stream<Item = Result<Vec<u8>, DbErr>> {
    let header = futures::stream::once(async {
        csv_chunk(&[], true).map_err(|e| DbErr::Custom(e.to_string()))
    });
    let rows = if filter.order_id.is_some() || filter.order_number.is_some() {
        futures::stream::once(async move { query::rows(&db, tol, &filter).await }).boxed()
    } else {
        scan::batches(db, tol, filter, WINDOW)
    };
    let body = rows.map(|rows| csv_chunk(&rows?, false).map_err(|e| DbErr::Custom(e.to_string())));
    header.chain(body)
}
