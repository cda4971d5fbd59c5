//! Refund reads shared by ingestion and the API.

use entity::{refund, refund_status_history};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QueryTrait,
};

use crate::domain::Provider;

pub async fn find_by_provider_id(
    db: &impl ConnectionTrait,
    provider: Provider,
    provider_refund_id: &str,
) -> Result<Option<refund::Model>, DbErr> {
    refund::Entity::find()
        .filter(refund::Column::Provider.eq(provider.slug()))
        .filter(refund::Column::ProviderRefundId.eq(provider_refund_id))
        .one(db)
        .await
}

pub async fn history(
    db: &impl ConnectionTrait,
    refund_id: i64,
) -> Result<Vec<refund_status_history::Model>, DbErr> {
    refund_status_history::Entity::find()
        .filter(refund_status_history::Column::RefundId.eq(refund_id))
        .order_by_asc(refund_status_history::Column::Id)
        .all(db)
        .await
}

/// Filters of `refunds` (and of summaries), already validated.
#[derive(Debug, Clone, Default)]
pub struct RefundQuery {
    pub providers: Vec<Provider>,
    pub statuses: Vec<crate::domain::RefundStatus>,
    pub order_number: Option<String>,
    pub currency: Option<String>,
    pub created_after: Option<chrono::DateTime<chrono::Utc>>,
    pub created_before: Option<chrono::DateTime<chrono::Utc>>,
    pub min_amount: Option<rust_decimal::Decimal>,
    pub max_amount: Option<rust_decimal::Decimal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortField {
    #[default]
    CreatedAt,
    UpdatedAt,
    Amount,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub field: SortField,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Sort {
            field: SortField::CreatedAt,
            descending: true,
        }
    }
}

use sea_orm::{
    Condition, DatabaseBackend, PaginatorTrait, QuerySelect, Select, Value,
    sea_query::{Expr, SimpleExpr},
};

/// A money column compared as a number: NUMERIC on PostgreSQL; on SQLite the exact text
/// is cast for comparison and ordering only (sums never go through this).
fn amount_sql(backend: DatabaseBackend, col: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => col.to_owned(),
        _ => format!("CAST({col} AS REAL)"),
    }
}

/// The n-th placeholder of a custom expression: PostgreSQL numbers them (and a number may
/// repeat), SQLite takes one value per `?`. Money on SQLite is compared as a number.
fn placeholder(backend: DatabaseBackend, n: usize, money: bool) -> String {
    match (backend, money) {
        (DatabaseBackend::Postgres, _) => format!("${n}"),
        (_, true) => "CAST(? AS REAL)".to_owned(),
        (_, false) => "?".to_owned(),
    }
}

fn amount_value(backend: DatabaseBackend, d: rust_decimal::Decimal) -> Value {
    match backend {
        DatabaseBackend::Postgres => Value::from(d),
        _ => Value::from(d.to_string()),
    }
}

fn amount_cmp(backend: DatabaseBackend, op: &str, d: rust_decimal::Decimal) -> SimpleExpr {
    Expr::cust_with_values(
        format!(
            "{} {op} {}",
            amount_sql(backend, "refunds.amount"),
            placeholder(backend, 1, true)
        ),
        [amount_value(backend, d)],
    )
}

impl RefundQuery {
    pub fn condition(&self, backend: DatabaseBackend) -> Condition {
        let mut c = Condition::all();
        if !self.providers.is_empty() {
            c = c.add(refund::Column::Provider.is_in(self.providers.iter().map(|p| p.slug())));
        }
        if !self.statuses.is_empty() {
            c = c.add(refund::Column::Status.is_in(self.statuses.iter().map(|s| s.as_str())));
        }
        if let Some(n) = &self.order_number {
            let sub = sea_orm::sea_query::Query::select()
                .column(entity::order::Column::Id)
                .from(entity::order::Entity)
                .and_where(entity::order::Column::OrderNumber.eq(n.as_str()))
                .to_owned();
            c = c.add(
                Condition::any()
                    .add(refund::Column::OrderId.in_subquery(sub))
                    .add(refund::Column::LinkOrderNumber.eq(n.as_str())),
            );
        }
        if let Some(cur) = &self.currency {
            c = c.add(refund::Column::Currency.eq(cur.to_ascii_uppercase()));
        }
        if let Some(t) = self.created_after {
            c = c.add(refund::Column::CreatedAt.gte(t));
        }
        if let Some(t) = self.created_before {
            c = c.add(refund::Column::CreatedAt.lt(t));
        }
        if let Some(d) = self.min_amount {
            c = c.add(amount_cmp(backend, ">=", d));
        }
        if let Some(d) = self.max_amount {
            c = c.add(amount_cmp(backend, "<=", d));
        }
        c
    }

    pub fn select(&self, backend: DatabaseBackend) -> Select<refund::Entity> {
        refund::Entity::find().filter(self.condition(backend))
    }
}

/// The sort key of a row, as stored in cursors.
pub fn sort_key(m: &refund::Model, field: SortField) -> String {
    match field {
        SortField::CreatedAt => m
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        SortField::UpdatedAt => m
            .updated_at
            .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        SortField::Amount => m.amount.unwrap_or_default().to_string(),
    }
}

/// One page after `after` (key, id), fetching one extra row to know if more follow.
pub async fn page(
    db: &impl ConnectionTrait,
    q: &RefundQuery,
    sort: Sort,
    after: Option<(String, i64)>,
    limit: u64,
) -> Result<Vec<refund::Model>, crate::error::Error> {
    let backend = db.get_database_backend();
    let key_sql = match sort.field {
        SortField::CreatedAt => "refunds.created_at".to_owned(),
        SortField::UpdatedAt => "refunds.updated_at".to_owned(),
        SortField::Amount => format!("COALESCE({}, 0)", amount_sql(backend, "refunds.amount")),
    };
    let mut keyset = None;
    if let Some((key, id)) = after {
        let bad = || crate::error::Error::BadRequest("cursor does not match this ordering".into());
        let (money, v): (bool, Value) = match sort.field {
            SortField::CreatedAt | SortField::UpdatedAt => {
                let t = chrono::DateTime::parse_from_rfc3339(&key)
                    .map_err(|_| bad())?
                    .with_timezone(&chrono::Utc);
                (false, Value::from(t))
            }
            SortField::Amount => {
                let d = crate::domain::money::parse_decimal(&key).map_err(|_| bad())?;
                (true, amount_value(backend, d))
            }
        };
        let op = if sort.descending { "<" } else { ">" };
        // A row value, so that both databases seek the (key, id) index to the position
        // instead of scanning every row before it (as `key < k OR (key = k AND id < i)` does).
        keyset = Some(Expr::cust_with_values(
            format!(
                "({key_sql}, refunds.id) {op} ({}, {})",
                placeholder(backend, 1, money),
                placeholder(backend, 2, false)
            ),
            [v, Value::from(id)],
        ));
    }
    let dir = if sort.descending {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let one = |q: &RefundQuery| {
        let mut select = q.select(backend);
        if let Some(k) = &keyset {
            select = select.filter(k.clone());
        }
        select
            .order_by(Expr::cust(key_sql.clone()), dir.clone())
            .order_by(refund::Column::Id, dir.clone())
            .limit(limit + 1)
    };
    let Some(parts) = ordered_parts(q, sort) else {
        return Ok(one(q).all(db).await?);
    };
    // Several providers/statuses: no index yields their rows in order, so the database
    // would read and sort every matching row. Each single combination is an ordered index
    // range instead; merging the first `limit + 1` rows of each is the same page. The merge
    // sorts keys only; the page's rows are then read by id.
    let mut parts = parts.iter().enumerate().map(|(i, p)| {
        sea_orm::sea_query::Query::select()
            .column(sea_orm::sea_query::Asterisk)
            .from_subquery(
                one(p)
                    .select_only()
                    .column(refund::Column::Id)
                    .column(refund::Column::CreatedAt)
                    .into_query(),
                sea_orm::sea_query::Alias::new(format!("part{i}")),
            )
            .to_owned()
    });
    let mut merged = parts.next().expect("at least two parts");
    for p in parts {
        merged.union(sea_orm::sea_query::UnionType::All, p);
    }
    let key_col = match sort.field {
        SortField::CreatedAt => "created_at",
        SortField::UpdatedAt | SortField::Amount => unreachable!("only created_at is split"),
    };
    merged
        .order_by(sea_orm::sea_query::Alias::new(key_col), dir.clone())
        .order_by(sea_orm::sea_query::Alias::new("id"), dir.clone())
        .limit(limit + 1);
    let keys = backend.build(&merged);
    let dir = if sort.descending { "DESC" } else { "ASC" };
    let stmt = sea_orm::Statement {
        sql: format!(
            "SELECT refunds.* FROM refunds JOIN ({}) AS page ON refunds.id = page.id \
             ORDER BY refunds.{key_col} {dir}, refunds.id {dir}",
            keys.sql
        ),
        ..keys
    };
    Ok(refund::Entity::find().from_raw_sql(stmt).all(db).await?)
}

/// The filter split into one query per (provider, status) combination, when there are
/// several and an index returns each one's rows in `created_at, id` order.
fn ordered_parts(q: &RefundQuery, sort: Sort) -> Option<Vec<RefundQuery>> {
    let mut providers = q.providers.clone();
    providers.sort();
    providers.dedup();
    let mut statuses: Vec<_> = Vec::new();
    for s in &q.statuses {
        if !statuses.contains(s) {
            statuses.push(*s);
        }
    }
    // Indexes: (provider, status, created_at, id) and (status, created_at, id).
    let n = providers.len().max(1) * statuses.len();
    if sort.field != SortField::CreatedAt || statuses.is_empty() || !(2..=64).contains(&n) {
        return None;
    }
    let providers: Vec<Option<Provider>> = if providers.is_empty() {
        vec![None]
    } else {
        providers.into_iter().map(Some).collect()
    };
    let mut parts = Vec::with_capacity(n);
    for p in &providers {
        for s in &statuses {
            parts.push(RefundQuery {
                providers: p.iter().copied().collect(),
                statuses: vec![*s],
                ..q.clone()
            });
        }
    }
    Some(parts)
}

pub async fn count(db: &impl ConnectionTrait, q: &RefundQuery) -> Result<u64, DbErr> {
    q.select(db.get_database_backend()).count(db).await
}
