//! Orders and their references: finding an order by number or reference, creating or
//! completing one from what an event or import says, and linking refunds that waited for it.

use chrono::{DateTime, Utc};
use entity::{order, order_ref, refund};
use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, QueryFilter,
    QuerySelect, Set, sea_query::Expr,
};

use crate::domain::{ExternalRef, OrderFacts};

/// Finds the order an order number or any of `refs` points to (number first).
pub async fn find_by_link(
    db: &impl ConnectionTrait,
    number: Option<&str>,
    refs: &[ExternalRef],
) -> Result<Option<order::Model>, DbErr> {
    if let Some(n) = number
        && let Some(o) = order::Entity::find()
            .filter(order::Column::OrderNumber.eq(n))
            .one(db)
            .await?
    {
        return Ok(Some(o));
    }
    // The first of the event's references that is known decides.
    let owners = owners_of_refs(db, &refs.iter().collect::<Vec<_>>()).await?;
    let Some(&owner) = refs
        .iter()
        .find_map(|r| owners.get(&(r.kind.clone(), r.value.clone())))
    else {
        return Ok(None);
    };
    order::Entity::find_by_id(owner).one(db).await
}

/// The orders these numbers name, by number (one statement for a batch of events).
pub async fn ids_by_number(
    db: &impl ConnectionTrait,
    numbers: &[&str],
) -> Result<HashMap<String, i64>, DbErr> {
    if numbers.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, Option<String>)> = order::Entity::find()
        .select_only()
        .column(order::Column::Id)
        .column(order::Column::OrderNumber)
        .filter(order::Column::OrderNumber.is_in(numbers.iter().copied()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, n)| n.map(|n| (n, id)))
        .collect())
}

/// The orders owning these references, by (kind, value) (one statement for a batch).
pub async fn owners_of_refs(
    db: &impl ConnectionTrait,
    refs: &[&ExternalRef],
) -> Result<HashMap<(String, String), i64>, DbErr> {
    let cond = super::pairs_condition(
        db.get_database_backend(),
        order_ref::Column::Kind,
        order_ref::Column::Value,
        refs.iter().map(|r| (r.kind.as_str(), r.value.as_str())),
    );
    if cond.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(order_ref::Entity::find()
        .filter(cond)
        .all(db)
        .await?
        .into_iter()
        .map(|r| ((r.kind, r.value), r.order_id))
        .collect())
}

/// References for many orders in one statement (each kept by its first owner).
pub async fn add_refs_many(
    db: &impl ConnectionTrait,
    refs: &[(i64, &ExternalRef)],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    if refs.is_empty() {
        return Ok(());
    }
    order_ref::Entity::insert_many(refs.iter().map(|(order_id, r)| order_ref::ActiveModel {
        order_id: Set(*order_id),
        kind: Set(r.kind.clone()),
        value: Set(r.value.clone()),
        created_at: Set(now),
        ..Default::default()
    }))
    .on_conflict_do_nothing_on([order_ref::Column::Kind, order_ref::Column::Value])
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Where an order's total came from; the order book (import, API) outranks providers.
pub fn is_order_book(source: Option<&str>) -> bool {
    matches!(source, Some("import") | Some("api"))
}

/// Creates the order `facts` describe, or completes the one it already matches: values
/// are filled in, never erased, and a provider never overwrites the order book's total.
/// Returns the order and the refunds that were waiting for it and are now linked.
pub async fn upsert_from_facts(
    db: &impl ConnectionTrait,
    facts: &OrderFacts,
    source: &str,
    now: DateTime<Utc>,
) -> Result<(order::Model, Vec<i64>), DbErr> {
    // The order book is keyed by order number: its references never redirect it to
    // another order (a reference owned elsewhere stays there). Providers match by number
    // or by any reference.
    let existing = if is_order_book(Some(source)) {
        find_by_link(db, facts.order_number.as_deref(), &[]).await?
    } else {
        find_by_link(db, facts.order_number.as_deref(), &facts.refs).await?
    };
    let order = match existing {
        None => {
            order::ActiveModel {
                order_number: Set(facts.order_number.clone()),
                total_amount: Set(facts.total.map(|m| m.amount.into())),
                currency: Set(facts.total.map(|m| m.currency.code().to_owned())),
                placed_at: Set(facts.placed_at),
                total_source: Set(facts.total.map(|_| source.to_owned())),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
            .insert(db)
            .await?
        }
        Some(o) => {
            let mut am: order::ActiveModel = o.clone().into();
            let mut changed = false;
            if o.order_number.is_none() && facts.order_number.is_some() {
                am.order_number = Set(facts.order_number.clone());
                changed = true;
            }
            let book_wins =
                is_order_book(o.total_source.as_deref()) && !is_order_book(Some(source));
            if let Some(total) = facts.total
                && !book_wins
                && (o.total_amount != Some(total.amount.into())
                    || o.currency.as_deref() != Some(total.currency.code()))
            {
                am.total_amount = Set(Some(total.amount.into()));
                am.currency = Set(Some(total.currency.code().to_owned()));
                am.total_source = Set(Some(source.to_owned()));
                changed = true;
            }
            if o.placed_at.is_none() && facts.placed_at.is_some() {
                am.placed_at = Set(facts.placed_at);
                changed = true;
            }
            if changed {
                am.updated_at = Set(now);
                am.update(db).await?
            } else {
                o
            }
        }
    };
    add_refs(db, order.id, &facts.refs, now).await?;
    let linked = link_waiting(db, &order).await?;
    Ok((order, linked))
}

/// Attaches references to an order. A reference already owned by another order stays
/// where it is (it is unique).
pub async fn add_refs(
    db: &impl ConnectionTrait,
    order_id: i64,
    refs: &[ExternalRef],
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let refs: Vec<(i64, &ExternalRef)> = refs.iter().map(|r| (order_id, r)).collect();
    add_refs_many(db, &refs, now).await
}

/// Links refunds that arrived before their order: by order number or by any reference.
/// Returns the ids of the refunds linked.
pub async fn link_waiting(
    db: &impl ConnectionTrait,
    order: &order::Model,
) -> Result<Vec<i64>, DbErr> {
    let refs = order_ref::Entity::find()
        .filter(order_ref::Column::OrderId.eq(order.id))
        .all(db)
        .await?;
    let mut cond = Condition::any();
    if let Some(n) = &order.order_number {
        cond = cond.add(refund::Column::LinkOrderNumber.eq(n.as_str()));
    }
    for r in &refs {
        cond = cond.add(
            Condition::all()
                .add(refund::Column::LinkRefKind.eq(r.kind.as_str()))
                .add(refund::Column::LinkRefValue.eq(r.value.as_str())),
        );
    }
    if cond.is_empty() {
        return Ok(vec![]);
    }
    let waiting: Vec<i64> = refund::Entity::find()
        .filter(refund::Column::OrderId.is_null())
        .filter(cond)
        .all(db)
        .await?
        .into_iter()
        .map(|r| r.id)
        .collect();
    if !waiting.is_empty() {
        refund::Entity::update_many()
            .col_expr(refund::Column::OrderId, Expr::value(order.id))
            .filter(refund::Column::Id.is_in(waiting.clone()))
            .exec(db)
            .await?;
    }
    Ok(waiting)
}

/// Filters of the `orders` list.
#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    pub order_number: Option<String>,
    pub currency: Option<String>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    /// Only orders that have refunds from one of these providers.
    pub refund_providers: Vec<String>,
}

impl OrderQuery {
    pub fn select(&self) -> sea_orm::Select<order::Entity> {
        let mut c = Condition::all();
        if let Some(n) = &self.order_number {
            c = c.add(order::Column::OrderNumber.eq(n.as_str()));
        }
        if let Some(cur) = &self.currency {
            c = c.add(order::Column::Currency.eq(cur.to_ascii_uppercase()));
        }
        if let Some(t) = self.created_after {
            c = c.add(order::Column::CreatedAt.gte(t));
        }
        if let Some(t) = self.created_before {
            c = c.add(order::Column::CreatedAt.lt(t));
        }
        if !self.refund_providers.is_empty() {
            let sub = sea_orm::sea_query::Query::select()
                .column(refund::Column::OrderId)
                .from(refund::Entity)
                .and_where(refund::Column::Provider.is_in(self.refund_providers.clone()))
                .and_where(refund::Column::OrderId.is_not_null())
                .to_owned();
            c = c.add(order::Column::Id.in_subquery(sub));
        }
        order::Entity::find().filter(c)
    }
}
