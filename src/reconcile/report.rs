//! The reconciliation report as CSV, read page by page (keyset) so any size streams in
//! constant memory. Shared by `GET /exports/reconciliation.csv` and `refund-recon reconcile`.

use futures::{Stream, StreamExt, TryStreamExt};
use rust_decimal::Decimal;
use sea_orm::{DatabaseConnection, DbErr};

use super::query::{self, ReconFilter, ReconRow};

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

/// Orders aggregated per step of the report.
const WINDOW: u64 = 5000;

/// The whole report as a stream of CSV chunks: the header, then one chunk per window of
/// orders (newest first), each aggregated in the database.
pub fn stream(
    db: DatabaseConnection,
    tol: Decimal,
    filter: ReconFilter,
) -> impl Stream<Item = Result<Vec<u8>, DbErr>> {
    let header = futures::stream::once(async {
        csv_chunk(&[], true).map_err(|e| DbErr::Custom(e.to_string()))
    });
    // The window bounds are cheap (an index range); the windows are aggregated two at a
    // time, in order, so the database works on the next one while this one is encoded.
    let bounds_db = db.clone();
    let bounds_filter = filter.clone();
    let bounds = futures::stream::try_unfold(Some(None::<i64>), move |hi| {
        let db = bounds_db.clone();
        let filter = bounds_filter.clone();
        async move {
            let Some(hi) = hi else { return Ok(None) };
            let Some(lo) = query::window_low(&db, &filter, hi, WINDOW).await? else {
                return Ok(None);
            };
            let next = (lo > 1).then_some(Some(lo - 1));
            Ok(Some(((lo, hi), next)))
        }
    });
    let body = bounds
        .map_ok(move |(lo, hi)| {
            let db = db.clone();
            let filter = filter.clone();
            async move {
                let rows = query::rows_in(&db, tol, &filter, (Some(lo), hi), None, None).await?;
                csv_chunk(&rows, false).map_err(|e| DbErr::Custom(e.to_string()))
            }
        })
        .try_buffered(2);
    header.chain(body)
}
