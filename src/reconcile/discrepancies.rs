//! Discrepancy records: raised once per subject (a unique dedupe key), with an audit trail.

use chrono::{DateTime, Utc};
use entity::{discrepancy, discrepancy_history};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait, Set, TryInsertResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    OverRefund,
    UnderRefund,
    AmountMismatch,
    CurrencyMismatch,
    DuplicateRefund,
    OrphanRefund,
    StuckRefund,
    FailedRefund,
    StatusConflict,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::OverRefund => "OVER_REFUND",
            Kind::UnderRefund => "UNDER_REFUND",
            Kind::AmountMismatch => "AMOUNT_MISMATCH",
            Kind::CurrencyMismatch => "CURRENCY_MISMATCH",
            Kind::DuplicateRefund => "DUPLICATE_REFUND",
            Kind::OrphanRefund => "ORPHAN_REFUND",
            Kind::StuckRefund => "STUCK_REFUND",
            Kind::FailedRefund => "FAILED_REFUND",
            Kind::StatusConflict => "STATUS_CONFLICT",
        }
    }
}

pub struct NewDiscrepancy {
    pub kind: Kind,
    pub dedupe_key: String,
    pub order_id: Option<i64>,
    pub refund_id: Option<i64>,
    pub return_id: Option<i64>,
    pub amount: Option<Decimal>,
    pub currency: Option<String>,
    pub detail: String,
}

fn open_row(d: &NewDiscrepancy, now: DateTime<Utc>) -> discrepancy::ActiveModel {
    discrepancy::ActiveModel {
        kind: Set(d.kind.as_str().to_owned()),
        status: Set("OPEN".into()),
        dedupe_key: Set(d.dedupe_key.clone()),
        order_id: Set(d.order_id),
        refund_id: Set(d.refund_id),
        return_id: Set(d.return_id),
        amount: Set(d.amount.map(Into::into)),
        currency: Set(d.currency.clone()),
        detail: Set(d.detail.clone()),
        detected_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
}

fn opened(id: i64, detail: String, now: DateTime<Utc>) -> discrepancy_history::ActiveModel {
    discrepancy_history::ActiveModel {
        discrepancy_id: Set(id),
        status: Set("OPEN".into()),
        note: Set(Some(detail)),
        actor: Set("system".into()),
        at: Set(now),
        ..Default::default()
    }
}

/// Opens a discrepancy unless one with the same key exists. Returns the new id.
pub async fn raise(
    db: &impl ConnectionTrait,
    d: NewDiscrepancy,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let res = discrepancy::Entity::insert(open_row(&d, now))
        .on_conflict_do_nothing_on([discrepancy::Column::DedupeKey])
        .exec(db)
        .await?;
    let TryInsertResult::Inserted(r) = res else {
        return Ok(None);
    };
    opened(r.last_insert_id, d.detail, now).insert(db).await?;
    Ok(Some(r.last_insert_id))
}

/// `raise` for many at once, in two statements whatever their number. Returns the ids
/// opened (keys that existed are left as they are).
pub async fn raise_many(
    db: &impl ConnectionTrait,
    ds: Vec<NewDiscrepancy>,
    now: DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    use sea_orm::{
        QueryTrait,
        sea_query::{OnConflict, Query},
    };
    if ds.is_empty() {
        return Ok(Vec::new());
    }
    let mut insert =
        discrepancy::Entity::insert_many(ds.iter().map(|d| open_row(d, now))).into_query();
    insert
        .on_conflict(
            OnConflict::column(discrepancy::Column::DedupeKey)
                .do_nothing()
                .to_owned(),
        )
        .returning(
            Query::returning().columns([discrepancy::Column::Id, discrepancy::Column::DedupeKey]),
        );
    let mut details: std::collections::HashMap<String, String> =
        ds.into_iter().map(|d| (d.dedupe_key, d.detail)).collect();
    let mut ids = Vec::new();
    let mut history = Vec::new();
    for r in db.query_all(&insert).await? {
        let id: i64 = r.try_get("", "id")?;
        let key: String = r.try_get("", "dedupe_key")?;
        ids.push(id);
        history.push(opened(id, details.remove(&key).unwrap_or_default(), now));
    }
    if !history.is_empty() {
        discrepancy_history::Entity::insert_many(history)
            .exec_without_returning(db)
            .await?;
    }
    Ok(ids)
}

/// Kinds raised and closed by the rules (STATUS_CONFLICT is raised by ingestion and closed
/// only by a person).
pub const AUTO_KINDS: [Kind; 8] = [
    Kind::OverRefund,
    Kind::UnderRefund,
    Kind::AmountMismatch,
    Kind::CurrencyMismatch,
    Kind::DuplicateRefund,
    Kind::OrphanRefund,
    Kind::StuckRefund,
    Kind::FailedRefund,
];

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        AUTO_KINDS
            .into_iter()
            .chain([Kind::StatusConflict])
            .find(|k| k.as_str() == s)
    }
}

/// Statuses of the lifecycle OPEN → ACKNOWLEDGED → RESOLVED | IGNORED.
pub const ACTIVE: [&str; 2] = ["OPEN", "ACKNOWLEDGED"];

/// Records a status change with who, when and why.
pub async fn set_status(
    db: &impl ConnectionTrait,
    d: &discrepancy::Model,
    status: &str,
    note: Option<String>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<discrepancy::Model, DbErr> {
    let mut am: discrepancy::ActiveModel = d.clone().into();
    am.status = Set(status.to_owned());
    am.updated_at = Set(now);
    let updated = am.update(db).await?;
    discrepancy_history::ActiveModel {
        discrepancy_id: Set(d.id),
        status: Set(status.to_owned()),
        note: Set(note),
        actor: Set(actor.to_owned()),
        at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(updated)
}

/// Makes the discrepancy `d` hold: opens it, or reopens one the system had resolved (a
/// person's RESOLVED or IGNORED is respected). Returns the id when it changed.
pub async fn ensure_open(
    db: &impl ConnectionTrait,
    d: NewDiscrepancy,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let existing = discrepancy::Entity::find()
        .filter(discrepancy::Column::DedupeKey.eq(&d.dedupe_key))
        .one(db)
        .await?;
    match existing {
        None => raise(db, d, now).await,
        Some(e)
            if e.status == "RESOLVED"
                && last_actor(db, e.id).await?.as_deref() == Some("system") =>
        {
            let mut am: discrepancy::ActiveModel = e.clone().into();
            am.amount = Set(d.amount.map(Into::into));
            am.detail = Set(d.detail.clone());
            let e = am.update(db).await?;
            set_status(
                db,
                &e,
                "OPEN",
                Some(format!("raised again: {}", d.detail)),
                "system",
                now,
            )
            .await?;
            Ok(Some(e.id))
        }
        Some(e) => {
            // Keep the figures current while it is being worked on.
            if ACTIVE.contains(&e.status.as_str())
                && (e.amount.map(|a| a.0) != d.amount || e.detail != d.detail)
            {
                let mut am: discrepancy::ActiveModel = e.into();
                am.amount = Set(d.amount.map(Into::into));
                am.detail = Set(d.detail);
                am.updated_at = Set(now);
                am.update(db).await?;
            }
            Ok(None)
        }
    }
}

async fn last_actor(db: &impl ConnectionTrait, id: i64) -> Result<Option<String>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter, QueryOrder};
    Ok(discrepancy_history::Entity::find()
        .filter(discrepancy_history::Column::DiscrepancyId.eq(id))
        .order_by_desc(discrepancy_history::Column::Id)
        .one(db)
        .await?
        .map(|h| h.actor))
}

/// Resolves, as the system, active discrepancies of `kinds` matched by `scope` whose key
/// is not in `holding`. Returns the ids closed.
pub async fn close_cleared(
    db: &impl ConnectionTrait,
    scope: sea_orm::Condition,
    kinds: &[Kind],
    holding: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<i64>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let active = discrepancy::Entity::find()
        .filter(scope)
        .filter(discrepancy::Column::Kind.is_in(kinds.iter().map(|k| k.as_str())))
        .filter(discrepancy::Column::Status.is_in(ACTIVE))
        .all(db)
        .await?;
    let mut closed = Vec::new();
    for d in active {
        if !holding.contains(&d.dedupe_key) {
            set_status(
                db,
                &d,
                "RESOLVED",
                Some("condition no longer holds".into()),
                "system",
                now,
            )
            .await?;
            closed.push(d.id);
        }
    }
    Ok(closed)
}
