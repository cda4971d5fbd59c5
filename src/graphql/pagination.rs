//! Relay pagination: page-size rules and opaque keyset cursors (sort key + id), so pages
//! stay correct while webhooks insert rows.

use async_graphql::{Context, ErrorExtensions};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::{config::GraphqlLimits, error::Error};

/// The page size for `first`: default when absent; larger than the maximum is an error,
/// never silently clamped.
pub fn page_size(ctx: &Context<'_>, first: Option<i32>) -> async_graphql::Result<u64> {
    let limits = ctx.data_unchecked::<GraphqlLimits>();
    match first {
        None => Ok(limits.default_page_size),
        Some(n) if n < 0 => Err(Error::BadRequest("`first` must not be negative".into()).extend()),
        Some(n) if n as u64 > limits.max_page_size => Err(Error::BadRequest(format!(
            "`first` is {n}; the largest page is {}",
            limits.max_page_size
        ))
        .extend()),
        Some(n) => Ok(n as u64),
    }
}

/// The complexity of a list field: what each item selects, times the page size asked for
/// (the default page when absent), so aliases cannot multiply work unseen.
pub fn list_complexity(first: Option<i32>, child_complexity: usize) -> usize {
    let page = first.unwrap_or(50).clamp(1, i32::MAX) as usize;
    page.saturating_mul(child_complexity).saturating_add(1)
}

/// A position in a sorted list: the sort key as text and the row id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: String,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{}", self.id, self.key))
    }

    pub fn decode(s: &str) -> Result<Cursor, Error> {
        let bad = || Error::BadRequest(format!("`{s}` is not a cursor from this API"));
        let raw = URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
        let raw = String::from_utf8(raw).map_err(|_| bad())?;
        let (id, key) = raw.split_once('|').ok_or_else(bad)?;
        Ok(Cursor {
            id: id.parse().map_err(|_| bad())?,
            key: key.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor {
            key: "2026-11-20T10:15:00.123456789+00:00".into(),
            id: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        assert!(Cursor::decode("not a cursor!").is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode("x|y")).is_err());
    }
}

use std::{future::Future, pin::Pin, sync::Arc};

use async_graphql::{
    Object, OutputType,
    connection::{Connection, Edge},
};
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, Select};

use crate::error::GqlResultExt;

type CountFuture = Pin<Box<dyn Future<Output = Result<u64, DbErr>> + Send>>;

/// `totalCount` of a connection, computed only when the client asks for it.
#[derive(Clone)]
pub struct TotalCount(Arc<dyn Fn() -> CountFuture + Send + Sync>);

impl TotalCount {
    /// Counts the rows of `select` (all pages).
    pub fn of<E>(db: &DatabaseConnection, select: Select<E>) -> Self
    where
        E: EntityTrait,
        E::Model: Sync,
        Select<E>: Clone + Send + Sync + 'static,
    {
        let db = db.clone();
        TotalCount(Arc::new(move || {
            let db = db.clone();
            let select = select.clone();
            Box::pin(async move { select.count(&db).await })
        }))
    }
}

#[Object]
impl TotalCount {
    /// How many items match the filter, across all pages.
    async fn total_count(&self) -> async_graphql::Result<u64> {
        (self.0)().await.gql()
    }
}

/// A Relay connection of `rows` (fetched with one extra to detect a next page).
pub fn connection<M, N: OutputType>(
    mut rows: Vec<M>,
    limit: u64,
    has_previous: bool,
    key: impl Fn(&M) -> Cursor,
    node: impl Fn(M) -> N,
    total: TotalCount,
) -> Connection<String, N, TotalCount> {
    let has_next = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    let mut conn = Connection::with_additional_fields(has_previous, has_next, total);
    conn.edges.extend(rows.into_iter().map(|r| {
        let c = key(&r).encode();
        Edge::new(c, node(r))
    }));
    conn
}

/// Decodes an optional `after` argument into (key, id).
pub fn after(after: Option<String>) -> async_graphql::Result<Option<(String, i64)>> {
    after
        .map(|a| Cursor::decode(&a).map(|c| (c.key, c.id)))
        .transpose()
        .gql()
}

/// A newest-first list (by a timestamp column, ties by id) as a Relay connection: page size
/// rules, keyset cursor, one extra row for `hasNextPage`, lazy `totalCount`.
#[allow(clippy::too_many_arguments)]
pub async fn newest_first_connection<E, C, N>(
    ctx: &async_graphql::Context<'_>,
    select: Select<E>,
    time_col: C,
    id_col: C,
    first: Option<i32>,
    after_arg: Option<String>,
    key: impl Fn(&E::Model) -> (chrono::DateTime<chrono::Utc>, i64),
    node: impl Fn(E::Model) -> N,
) -> async_graphql::Result<Connection<String, N, TotalCount>>
where
    E: EntityTrait,
    E::Model: Sync,
    Select<E>: Clone + Send + Sync + 'static,
    C: sea_orm::ColumnTrait + Copy,
    N: OutputType,
{
    let db = ctx.data_unchecked::<DatabaseConnection>();
    let limit = page_size(ctx, first)?;
    let after = after(after_arg)?;
    let has_previous = after.is_some();
    let rows =
        crate::store::pagination::newest_first(db, select.clone(), time_col, id_col, after, limit)
            .await
            .gql()?;
    Ok(connection(
        rows,
        limit,
        has_previous,
        |m| {
            let (t, id) = key(m);
            Cursor {
                key: crate::store::pagination::time_key(t),
                id,
            }
        },
        node,
        TotalCount::of(db, select),
    ))
}
