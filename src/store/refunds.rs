//! Refund reads shared by ingestion and the API.

use entity::{refund, refund_status_history};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};

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
    let mut select = q.select(backend);
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
        let (k1, k2, idp) = (
            placeholder(backend, 1, money),
            placeholder(backend, 1, money),
            placeholder(backend, 2, false),
        );
        let values: Vec<Value> = if backend == DatabaseBackend::Postgres {
            vec![v, Value::from(id)]
        } else {
            vec![v.clone(), v, Value::from(id)]
        };
        select = select.filter(Expr::cust_with_values(
            format!("({key_sql} {op} {k1} OR ({key_sql} = {k2} AND refunds.id {op} {idp}))"),
            values,
        ));
    }
    let dir = if sort.descending {
        sea_orm::Order::Desc
    } else {
        sea_orm::Order::Asc
    };
    let rows = select
        .order_by(Expr::cust(key_sql), dir.clone())
        .order_by(refund::Column::Id, dir)
        .limit(limit + 1)
        .all(db)
        .await?;
    Ok(rows)
}

pub async fn count(db: &impl ConnectionTrait, q: &RefundQuery) -> Result<u64, DbErr> {
    q.select(db.get_database_backend()).count(db).await
}
