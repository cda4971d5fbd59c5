//! The reconciliation report as CSV, read page by page (keyset) so any size streams in
//! constant memory. Shared by `GET /exports/reconciliation.csv` and `refund-recon reconcile`.

use futures::Stream;
use rust_decimal::Decimal;
use sea_orm::{DatabaseConnection, DbErr};

use super::query::{self, ReconFilter, ReconRow};

const PAGE: u64 = 1000;

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

fn record(r: &ReconRow) -> [String; 10] {
    let p = &r.position;
    let d = |v: Decimal| v.normalize().to_string();
    [
        r.order_id.to_string(),
        r.order_number.clone().unwrap_or_default(),
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

/// The whole report as a stream of CSV chunks (header first, then one chunk per page).
pub fn stream(
    db: DatabaseConnection,
    tol: Decimal,
    filter: ReconFilter,
) -> impl Stream<Item = Result<Vec<u8>, DbErr>> {
    futures::stream::try_unfold(
        (Some(None::<(i64, String)>), true),
        move |(after, first)| {
            let db = db.clone();
            let filter = filter.clone();
            async move {
                let Some(after) = after else { return Ok(None) };
                let rows = query::rows(&db, tol, &filter, after, Some(PAGE)).await?;
                let next = if (rows.len() as u64) < PAGE {
                    None
                } else {
                    rows.last().map(|r| Some(r.key()))
                };
                let chunk = csv_chunk(&rows, first).map_err(|e| DbErr::Custom(e.to_string()))?;
                if rows.is_empty() && !first {
                    return Ok(None);
                }
                Ok(Some((chunk, (next, false))))
            }
        },
    )
}
