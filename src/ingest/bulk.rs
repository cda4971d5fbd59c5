//! Set-based storing of a group-commit batch of refund events. Card and crypto providers
//! send events that speak of one refund only; a batch of them is stored with a fixed
//! number of statements whatever its size — one multi-row insert per table, one read per
//! kind of lookup — instead of about ten statements per event. Each event is still merged
//! by the same rule as alone (`refund::merge`), in arrival order, so two events for one
//! refund in a batch end as they would one after the other.
//!
//! Anything else goes the per-event way (`store_in`): a batch holding an order or return
//! event, a redelivery of an event stored before as rejected (to be tried again), an event
//! that cannot be applied. (A redelivery of an event applied before is answered `duplicate`
//! here.) Then
//! `store` answers `None` before anything is committed and the caller rolls back.
//!
//! Each event keeps its own time (a refund created later has a later `created_at`) and new
//! refunds get their ids in arrival order, as one by one. One difference, on purpose: the
//! rules (refund rules such as STUCK_REFUND, order rules such as OVER_REFUND) are evaluated
//! once per touched refund and order on the state at the end of the batch, not after each
//! event, so a discrepancy that would have been raised and closed again inside the same
//! commit is never raised, and one that holds is raised with the final state's words.

use std::collections::HashMap;

use chrono::Utc;
use entity::{discrepancy, refund, refund_status_history, webhook_event};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::NotSet,
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Iterable, ModelTrait, QueryFilter,
    QuerySelect, QueryTrait, Set,
    sea_query::{OnConflict, Query},
};

use super::{
    Outcome,
    apply::{ApplySummary, RefundChange, check_amounts},
    batch::Job,
    headers_json,
    refund::{Ctx, Merged, conflict, history_row, merge},
};
use crate::{
    domain::{NormalizedEvent, RefundFacts, StatusDecision},
    reconcile::{
        ReconSettings, discrepancies,
        evaluate::{self, REFUND_KINDS},
    },
    store,
};

/// True when every event of the batch is unparseable (stored rejected, no effects) or
/// speaks of a refund only.
pub(super) fn eligible(jobs: &[Job]) -> bool {
    jobs.iter().all(|j| match &j.parsed {
        Ok(ev) => ev.order.is_none() && ev.return_.is_none() && ev.refund.is_some(),
        Err(_) => true,
    })
}

/// One refund the batch touches: as it was before the batch (`None`: new) and as it is now.
struct Slot {
    before: Option<refund::Model>,
    now: refund::Model,
}

/// One applied event, waiting for its refund's id.
struct Applied<'a> {
    job: usize,
    ctx: Ctx,
    facts: &'a RefundFacts,
    slot: (String, String),
    merged: Merged,
}

/// Stores `jobs` in `txn`; `None` when an event needs the per-event path (nothing may be
/// committed then).
pub(super) async fn store(
    txn: &impl ConnectionTrait,
    jobs: &[Job],
    settings: &ReconSettings,
) -> Result<Option<Vec<Outcome>>, DbErr> {
    let events: Vec<Option<&NormalizedEvent>> =
        jobs.iter().map(|j| j.parsed.as_ref().ok()).collect();
    if events.iter().flatten().any(|ev| check_amounts(ev).is_err()) {
        return Ok(None);
    }
    let Some(event_ids) = insert_inbox(txn, jobs).await? else {
        return Ok(None);
    };
    if events.iter().any(Option::is_some) {
        crate::events::begin_feed_write(txn).await?;
    }
    // The events to apply (not the rejected ones, nor second deliveries), in arrival order.
    let to_apply: Vec<(usize, &Job, &NormalizedEvent, &RefundFacts, i64)> = jobs
        .iter()
        .zip(&events)
        .enumerate()
        .filter_map(|(i, (job, ev))| {
            let ev = (*ev)?;
            Some((i, job, ev, ev.refund.as_ref()?, event_ids[i].accepted()?))
        })
        .collect();

    // Every lookup of the batch at once: orders by number and by reference, refunds.
    let numbers: Vec<&str> = to_apply
        .iter()
        .filter_map(|a| a.3.link.order_number.as_deref())
        .collect();
    let by_number = store::orders::ids_by_number(txn, &numbers).await?;
    let refs: Vec<_> = to_apply.iter().flat_map(|a| a.3.link.refs.iter()).collect();
    let mut owners = store::orders::owners_of_refs(txn, &refs).await?;
    let named: Vec<(&'static str, &str)> = to_apply
        .iter()
        .map(|a| (a.1.provider.slug(), a.3.provider_refund_id.as_str()))
        .collect();
    let mut slots = load_refunds(txn, &named).await?;

    // Each event in arrival order, against the state the previous ones left, each with its
    // own time (as one by one: a refund created later has a later `created_at`), at least a
    // microsecond apart since PostgreSQL keeps microseconds.
    let mut applied = Vec::new();
    let mut new_refs = Vec::new();
    let mut created = Vec::new();
    let mut now = Utc::now() - chrono::Duration::microseconds(1);
    for (i, job, ev, f, event_id) in to_apply {
        now = Utc::now().max(now + chrono::Duration::microseconds(1));
        let ctx = Ctx {
            provider: job.provider,
            webhook_event_id: event_id,
            occurred_at: ev.occurred_at.unwrap_or(job.received_at),
            received_at: job.received_at,
            now,
            order_id: None,
        };
        // As `find_by_link`: the number first, then the first known reference; the order
        // then also answers to the event's other references (a reference owned by another
        // order stays there).
        let order_id = f
            .link
            .order_number
            .as_ref()
            .and_then(|n| by_number.get(n).copied())
            .or_else(|| {
                f.link
                    .refs
                    .iter()
                    .find_map(|r| owners.get(&(r.kind.clone(), r.value.clone())).copied())
            });
        if let Some(o) = order_id {
            for r in &f.link.refs {
                owners
                    .entry((r.kind.clone(), r.value.clone()))
                    .or_insert_with(|| {
                        new_refs.push((o, r));
                        o
                    });
            }
        }
        let key = (job.provider.slug().to_owned(), f.provider_refund_id.clone());
        let cur = slots.get(&key).map(|s| &s.now);
        let merged = match merge(cur, &ctx, f, order_id) {
            Ok(m) => m,
            Err(super::apply::ApplyError::Db(e)) => return Err(e),
            Err(super::apply::ApplyError::Unprocessable(_)) => return Ok(None),
        };
        if cur.is_none() {
            created.push(key.clone());
        }
        slots
            .entry(key.clone())
            .and_modify(|s| s.now = merged.row.clone())
            .or_insert_with(|| Slot {
                before: None,
                now: merged.row.clone(),
            });
        applied.push(Applied {
            job: i,
            ctx,
            facts: f,
            slot: key,
            merged,
        });
    }

    store::orders::add_refs_many(txn, &new_refs, now).await?;
    write_refunds(txn, &mut slots, &created).await?;
    let history = insert_history(txn, &applied, &slots).await?;

    // Outcomes, and the conflicts each event raised.
    let mut outcomes: Vec<Option<Outcome>> = event_ids.iter().map(EventId::outcome).collect();
    for a in &applied {
        let mut row = a.merged.row.clone();
        row.id = slots[&a.slot].now.id;
        let mut summary = ApplySummary {
            refund_id: Some(row.id),
            touched_refunds: vec![row.id],
            touched_orders: a.merged.row.order_id.into_iter().collect(),
            ..Default::default()
        };
        match a.merged.decision {
            StatusDecision::Apply => {
                summary.refund_change = Some(RefundChange {
                    history_id: history[&a.ctx.webhook_event_id],
                    refund_id: row.id,
                    previous: a.merged.previous,
                    status: a.facts.status,
                    occurred_at: a.ctx.occurred_at,
                })
            }
            StatusDecision::Stale => summary.not_applied += 1,
            StatusDecision::Conflict => {
                summary.not_applied += 1;
                let id =
                    discrepancies::raise(txn, conflict(&a.ctx, a.facts, &row), a.ctx.now).await?;
                summary.discrepancies_raised.extend(id);
            }
        }
        outcomes[a.job] = Some(Outcome::Accepted {
            event_id: a.ctx.webhook_event_id,
            summary,
        });
    }
    evaluate_touched(txn, &slots, settings, now).await?;
    outcomes
        .into_iter()
        .map(|o| o.ok_or_else(|| DbErr::Custom("an event of the batch was not applied".into())))
        .collect::<Result<_, _>>()
        .map(Some)
}

/// What the inbox insert made of one delivery.
enum EventId {
    /// Stored now, to be applied.
    Accepted(i64),
    /// Stored now as rejected (it could not be parsed).
    Rejected(i64, String),
    /// A second delivery of an event stored earlier in this batch and applied.
    Duplicate(i64),
}

impl EventId {
    fn accepted(&self) -> Option<i64> {
        match self {
            EventId::Accepted(id) => Some(*id),
            _ => None,
        }
    }

    /// The outcome known before applying (`None` for an event still to apply).
    fn outcome(&self) -> Option<Outcome> {
        match self {
            EventId::Accepted(_) => None,
            EventId::Duplicate(event_id) => Some(Outcome::Duplicate {
                event_id: *event_id,
            }),
            EventId::Rejected(event_id, reason) => Some(Outcome::Rejected {
                event_id: *event_id,
                reason: reason.clone(),
            }),
        }
    }
}

/// The inbox rows of the batch in one statement, each with its final outcome (as
/// `store_in`). A delivery of an event applied before the batch is a duplicate. `None` when
/// one's event was stored before as rejected (the per-event path tries it again) or repeats
/// one rejected in this batch.
async fn insert_inbox(
    txn: &impl ConnectionTrait,
    jobs: &[Job],
) -> Result<Option<Vec<EventId>>, DbErr> {
    let now = Utc::now();
    let rows = jobs.iter().map(|j| webhook_event::ActiveModel {
        provider: Set(j.provider.slug().to_owned()),
        idempotency_key: Set(j.auth.idempotency_key.clone()),
        event_type: Set(j.parsed.as_ref().ok().map(|e| e.event_type.clone())),
        received_at: Set(j.received_at),
        raw_body: Set(j.auth.stored_body.clone()),
        headers: Set(headers_json(&j.auth.stored_headers)),
        outcome: Set(if j.parsed.is_ok() {
            "accepted"
        } else {
            "rejected"
        }
        .into()),
        error: Set(j.parsed.as_ref().err().map(|e| e.0.clone())),
        processed_at: Set(now),
        ..Default::default()
    });
    let mut insert = webhook_event::Entity::insert_many(rows).into_query();
    insert
        .on_conflict(
            OnConflict::columns([
                webhook_event::Column::Provider,
                webhook_event::Column::IdempotencyKey,
            ])
            .do_nothing()
            .to_owned(),
        )
        .returning(Query::returning().columns([
            webhook_event::Column::Id,
            webhook_event::Column::Provider,
            webhook_event::Column::IdempotencyKey,
        ]));
    let mut ids = HashMap::new();
    for r in txn.query_all(&insert).await? {
        let key: (String, String) = (
            r.try_get("", "provider")?,
            r.try_get("", "idempotency_key")?,
        );
        ids.insert(key, r.try_get::<i64>("", "id")?);
    }
    let before = applied_before(txn, jobs, &ids).await?;
    let mut seen: HashMap<(String, String), bool> = HashMap::new();
    let mut out = Vec::with_capacity(jobs.len());
    for j in jobs {
        let key = (j.provider.slug().to_owned(), j.auth.idempotency_key.clone());
        let Some(&id) = ids.get(&key) else {
            match before.get(&key) {
                Some(&id) => out.push(EventId::Duplicate(id)),
                None => return Ok(None),
            }
            continue;
        };
        match seen.get(&key) {
            None => out.push(match &j.parsed {
                Ok(_) => EventId::Accepted(id),
                Err(e) => EventId::Rejected(id, e.0.clone()),
            }),
            Some(true) => out.push(EventId::Duplicate(id)),
            Some(false) => return Ok(None),
        }
        seen.entry(key).or_insert(j.parsed.is_ok());
    }
    Ok(Some(out))
}

/// The deliveries of the batch whose event was stored and applied before it (the inserted
/// rows are in `inserted`), by key: they are duplicates, as the request's own check would
/// have said had it looked. One stored as rejected is not here: the per-event path decides.
async fn applied_before(
    txn: &impl ConnectionTrait,
    jobs: &[Job],
    inserted: &HashMap<(String, String), i64>,
) -> Result<HashMap<(String, String), i64>, DbErr> {
    let cond = store::pairs_condition(
        txn.get_database_backend(),
        webhook_event::Column::Provider,
        webhook_event::Column::IdempotencyKey,
        jobs.iter()
            .map(|j| (j.provider.slug(), j.auth.idempotency_key.as_str()))
            .filter(|(p, k)| !inserted.contains_key(&((*p).to_owned(), (*k).to_owned()))),
    );
    if cond.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, String, String)> = webhook_event::Entity::find()
        .select_only()
        .columns([
            webhook_event::Column::Id,
            webhook_event::Column::Provider,
            webhook_event::Column::IdempotencyKey,
        ])
        .filter(cond)
        .filter(webhook_event::Column::Outcome.eq("accepted"))
        .into_tuple()
        .all(txn)
        .await?;
    Ok(rows.into_iter().map(|(id, p, k)| ((p, k), id)).collect())
}

/// The refunds the batch's events name (provider, provider's id), in one statement.
async fn load_refunds(
    txn: &impl ConnectionTrait,
    named: &[(&'static str, &str)],
) -> Result<HashMap<(String, String), Slot>, DbErr> {
    let cond = store::pairs_condition(
        txn.get_database_backend(),
        refund::Column::Provider,
        refund::Column::ProviderRefundId,
        named.iter().copied(),
    );
    if cond.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(refund::Entity::find()
        .filter(cond)
        .all(txn)
        .await?
        .into_iter()
        .map(|r| {
            let key = (r.provider.clone(), r.provider_refund_id.clone());
            let slot = Slot {
                before: Some(r.clone()),
                now: r,
            };
            (key, slot)
        })
        .collect())
}

/// New refunds in one insert, in the order their first events arrived (so their ids
/// follow arrival, as one by one), their ids noted in the slots; changed ones updated, each
/// with only the columns that changed.
async fn write_refunds(
    txn: &impl ConnectionTrait,
    slots: &mut HashMap<(String, String), Slot>,
    created: &[(String, String)],
) -> Result<(), DbErr> {
    let fresh: Vec<refund::ActiveModel> = created
        .iter()
        .map(|k| {
            let mut am = refund::ActiveModel::from(slots[k].now.clone()).reset_all();
            am.id = NotSet;
            am
        })
        .collect();
    if !fresh.is_empty() {
        let mut insert = refund::Entity::insert_many(fresh).into_query();
        insert.returning(Query::returning().columns([
            refund::Column::Id,
            refund::Column::Provider,
            refund::Column::ProviderRefundId,
        ]));
        for r in txn.query_all(&insert).await? {
            let key: (String, String) = (
                r.try_get("", "provider")?,
                r.try_get("", "provider_refund_id")?,
            );
            if let Some(s) = slots.get_mut(&key) {
                s.now.id = r.try_get("", "id")?;
            }
        }
    }
    for s in slots.values() {
        let Some(before) = &s.before else { continue };
        let mut am = refund::ActiveModel::from(before.clone());
        for c in refund::Column::iter() {
            let v = s.now.get(c);
            // Compared as written too: 15.0 and 15.00 are equal decimals, but the event's
            // spelling is what one by one would store.
            if v != before.get(c) || format!("{v:?}") != format!("{:?}", before.get(c)) {
                am.set(c, v);
            }
        }
        if am.is_changed() {
            am.update(txn).await?;
        }
    }
    Ok(())
}

/// One history row per applied event, in one insert; their ids by event.
async fn insert_history(
    txn: &impl ConnectionTrait,
    applied: &[Applied<'_>],
    slots: &HashMap<(String, String), Slot>,
) -> Result<HashMap<i64, i64>, DbErr> {
    if applied.is_empty() {
        return Ok(HashMap::new());
    }
    let rows = applied
        .iter()
        .map(|a| history_row(&a.ctx, a.facts, slots[&a.slot].now.id, &a.merged));
    let mut insert = refund_status_history::Entity::insert_many(rows).into_query();
    insert.returning(Query::returning().columns([
        refund_status_history::Column::Id,
        refund_status_history::Column::WebhookEventId,
    ]));
    let mut ids = HashMap::new();
    for r in txn.query_all(&insert).await? {
        ids.insert(
            r.try_get::<i64>("", "webhook_event_id")?,
            r.try_get::<i64>("", "id")?,
        );
    }
    Ok(ids)
}

/// The rules, once per touched order and refund on the batch's final state: order rules
/// per order (as one event would), refund rules for all refunds together — what holds is
/// opened, what no longer holds on refunds that existed before is closed (a refund new in
/// this batch has nothing to close).
async fn evaluate_touched(
    txn: &impl ConnectionTrait,
    slots: &HashMap<(String, String), Slot>,
    settings: &ReconSettings,
    now: chrono::DateTime<Utc>,
) -> Result<(), DbErr> {
    let mut orders: Vec<i64> = slots.values().filter_map(|s| s.now.order_id).collect();
    orders.sort_unstable();
    orders.dedup();
    for id in orders {
        evaluate::evaluate_order(txn, id, settings, now).await?;
    }
    // A refund new in this batch has no discrepancy yet: what holds for it is opened in
    // one go; for the others, as one event would.
    let (mut holding, mut fresh) = (Vec::new(), Vec::new());
    for s in slots.values() {
        for d in evaluate::refund_holdings(&s.now, settings, now) {
            holding.push(d.dedupe_key.clone());
            if s.before.is_none() {
                fresh.push(d);
            } else {
                discrepancies::ensure_open(txn, d, now).await?;
            }
        }
    }
    discrepancies::raise_many(txn, fresh, now).await?;
    let known: Vec<i64> = slots
        .values()
        .filter(|s| s.before.is_some())
        .map(|s| s.now.id)
        .collect();
    if !known.is_empty() {
        discrepancies::close_cleared(
            txn,
            Condition::all().add(discrepancy::Column::RefundId.is_in(known)),
            &REFUND_KINDS,
            &holding,
            now,
        )
        .await?;
    }
    Ok(())
}
