//! Keyset pagination over (timestamp, id), newest first: stable while rows are inserted.

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, ExprTrait, QueryFilter, QueryOrder, QuerySelect,
    Select, sea_query::Expr,
};

use crate::error::Error;

/// Rows of `select` after the cursor position (`key` is the RFC 3339 time of the last row
/// seen), one more than `limit` so the caller knows whether another page follows.
pub async fn newest_first<E, C>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    time_col: C,
    id_col: C,
    after: Option<(String, i64)>,
    limit: u64,
) -> Result<Vec<E::Model>, Error>
where
    E: EntityTrait,
    C: ColumnTrait + Copy,
{
    let mut select = select;
    if let Some((key, id)) = after {
        let t: DateTime<Utc> = DateTime::parse_from_rfc3339(&key)
            .map_err(|_| Error::BadRequest("cursor does not match this list".into()))?
            .with_timezone(&Utc);
        // A row value, so the database seeks the (time, id) index to the position.
        select = select.filter(
            Expr::tuple([time_col.into_expr(), id_col.into_expr()])
                .lt(Expr::tuple([Expr::val(t), Expr::val(id)])),
        );
    }
    Ok(select
        .order_by_desc(time_col)
        .order_by_desc(id_col)
        .limit(limit + 1)
        .all(db)
        .await?)
}

/// The cursor key of a timestamp.
pub fn time_key(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}
