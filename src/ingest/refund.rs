//! Applies what an event says about a refund: status by the transition rule (every event
//! goes to history), known fields never erased, the order found now or linked later.

use chrono::{DateTime, Utc};
use entity::{refund, refund_status_history};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Set, TryIntoModel};

use super::{
    apply::{ApplyError, ApplySummary, RefundChange},
    returns::note,
};
use crate::{
    domain::{Provider, RefundFacts, RefundStatus, StatusDecision, next_state},
    reconcile::discrepancies,
    store,
};

/// What every part of one event shares.
pub struct Ctx {
    pub provider: Provider,
    pub webhook_event_id: i64,
    pub occurred_at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    pub now: DateTime<Utc>,
    /// The order the event itself described, if any.
    pub order_id: Option<i64>,
}

fn merge_details(
    known: &str,
    new: &serde_json::Map<String, serde_json::Value>,
    newer: bool,
) -> String {
    let mut map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(known).unwrap_or_default();
    for (k, v) in new {
        if newer || !map.contains_key(k) {
            map.insert(k.clone(), v.clone());
        }
    }
    serde_json::Value::Object(map).to_string()
}

async fn resolve_order(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    f: &RefundFacts,
) -> Result<Option<i64>, ApplyError> {
    if ctx.order_id.is_some() {
        return Ok(ctx.order_id);
    }
    let found =
        store::orders::find_by_link(db, f.link.order_number.as_deref(), &f.link.refs).await?;
    if let Some(o) = &found {
        // The order now also answers to the references this refund carried.
        store::orders::add_refs(db, o.id, &f.link.refs, ctx.now).await?;
    }
    Ok(found.map(|o| o.id))
}

/// The fee as money: given, or converted from minor units once the currency is known.
fn fee_money(f: &RefundFacts, known_currency: Option<&str>) -> Option<crate::domain::Money> {
    if f.fee.is_some() {
        return f.fee;
    }
    let minor = f.fee_minor?;
    let currency = match f.amount {
        Some(m) => m.currency,
        None => crate::domain::Currency::parse(known_currency?).ok()?,
    };
    crate::domain::Money::from_minor(minor, currency).ok()
}

/// What one event makes of a refund: the row to write (`am`), the same as a model
/// (`row`; id 0 when new), the status decision and the status it replaced.
pub(super) struct Merged {
    pub am: refund::ActiveModel,
    pub row: refund::Model,
    pub decision: StatusDecision,
    pub previous: Option<RefundStatus>,
}

/// The refund after event `f`, from its current row (`None`: first seen). Pure: the
/// single-event path writes `am`, the set-based path (`bulk.rs`) keeps `row` and writes
/// the batch's last state.
pub(super) fn merge(
    cur: Option<&refund::Model>,
    ctx: &Ctx,
    f: &RefundFacts,
    order_id: Option<i64>,
) -> Result<Merged, ApplyError> {
    let first_ref = f.link.refs.first();
    let (am, decision, previous) = match cur {
        None => {
            let am = refund::ActiveModel {
                provider: Set(ctx.provider.slug().to_owned()),
                provider_refund_id: Set(f.provider_refund_id.clone()),
                order_id: Set(order_id),
                link_order_number: Set(f.link.order_number.clone()),
                link_ref_kind: Set(first_ref.map(|r| r.kind.clone())),
                link_ref_value: Set(first_ref.map(|r| r.value.clone())),
                status: Set(f.status.as_str().to_owned()),
                provider_status: Set(f.provider_status.clone()),
                status_occurred_at: Set(ctx.occurred_at),
                amount: Set(f.amount.map(|m| m.amount.into())),
                currency: Set(f.amount.map(|m| m.currency.code().to_owned())),
                fee: Set(fee_money(f, None).map(|m| m.amount.into())),
                fee_currency: Set(fee_money(f, None).map(|m| m.currency.code().to_owned())),
                reason: Set(f.reason.clone()),
                crypto_amount: Set(f.crypto.as_ref().and_then(|c| c.amount).map(Into::into)),
                crypto_token: Set(f.crypto.as_ref().and_then(|c| c.token.clone())),
                crypto_network: Set(f.crypto.as_ref().and_then(|c| c.network.clone())),
                crypto_tx_hash: Set(f.crypto.as_ref().and_then(|c| c.tx_hash.clone())),
                details: Set(serde_json::Value::Object(f.details.clone()).to_string()),
                created_at: Set(ctx.now),
                updated_at: Set(ctx.now),
                ..Default::default()
            };
            (am, StatusDecision::Apply, None)
        }
        Some(cur) => {
            let cur_status: RefundStatus = cur
                .status
                .parse()
                .map_err(|e: String| ApplyError::Db(sea_orm::DbErr::Custom(e)))?;
            let (decision, (_, current_at)) = next_state(
                Some((cur_status, cur.status_occurred_at)),
                f.status,
                ctx.occurred_at,
            );
            // A refund does not change currency: an event that says otherwise is impossible.
            if let (Some(known), Some(new)) = (cur.currency.as_deref(), f.amount)
                && known != new.currency.code()
            {
                return Err(ApplyError::Unprocessable(format!(
                    "refund `{}` is in {known}; this event says {}",
                    cur.provider_refund_id, new.currency
                )));
            }
            let newer = decision.applied() || ctx.occurred_at >= cur.status_occurred_at;
            let mut am: refund::ActiveModel = cur.clone().into();
            if decision.applied() {
                am.status = Set(f.status.as_str().to_owned());
            }
            // The provider's own word moves with the latest occurrence (New → Claimed are
            // both PENDING: no change of status, but the raw status is kept current).
            if decision.applied()
                || (f.status == cur_status && ctx.occurred_at > cur.status_occurred_at)
            {
                am.provider_status = Set(f.provider_status.clone());
            }
            am.status_occurred_at = Set(current_at);
            // Present values overwrite when the event is newer; older events only fill gaps.
            macro_rules! fill {
                ($col:ident, $val:expr) => {
                    if let Some(v) = $val
                        && (newer || cur.$col.is_none())
                    {
                        am.$col = Set(Some(v));
                    }
                };
            }
            fill!(amount, f.amount.map(|m| m.amount.into()));
            fill!(currency, f.amount.map(|m| m.currency.code().to_owned()));
            let fee = fee_money(f, cur.currency.as_deref());
            fill!(fee, fee.map(|m| m.amount.into()));
            fill!(fee_currency, fee.map(|m| m.currency.code().to_owned()));
            fill!(reason, f.reason.clone());
            fill!(
                crypto_amount,
                f.crypto.as_ref().and_then(|c| c.amount).map(Into::into)
            );
            fill!(
                crypto_token,
                f.crypto.as_ref().and_then(|c| c.token.clone())
            );
            fill!(
                crypto_network,
                f.crypto.as_ref().and_then(|c| c.network.clone())
            );
            fill!(
                crypto_tx_hash,
                f.crypto.as_ref().and_then(|c| c.tx_hash.clone())
            );
            fill!(link_order_number, f.link.order_number.clone());
            if cur.link_ref_kind.is_none()
                && let Some(r) = first_ref
            {
                am.link_ref_kind = Set(Some(r.kind.clone()));
                am.link_ref_value = Set(Some(r.value.clone()));
            }
            if cur.order_id.is_none() && order_id.is_some() {
                am.order_id = Set(order_id);
            }
            am.details = Set(merge_details(&cur.details, &f.details, newer));
            am.updated_at = Set(ctx.now);
            let prev = decision.applied().then_some(cur_status);
            (am, decision, prev)
        }
    };
    let mut whole = am.clone();
    if cur.is_none() {
        whole.id = Set(0);
    }
    let row = whole.try_into_model()?;
    Ok(Merged {
        am,
        row,
        decision,
        previous,
    })
}

/// The status-history row of event `f` on refund `refund_id`.
pub(super) fn history_row(
    ctx: &Ctx,
    f: &RefundFacts,
    refund_id: i64,
    m: &Merged,
) -> refund_status_history::ActiveModel {
    refund_status_history::ActiveModel {
        refund_id: Set(refund_id),
        webhook_event_id: Set(Some(ctx.webhook_event_id)),
        status: Set(f.status.as_str().to_owned()),
        provider_status: Set(f.provider_status.clone()),
        previous_status: Set(m.previous.map(|s| s.as_str().to_owned())),
        occurred_at: Set(ctx.occurred_at),
        received_at: Set(ctx.received_at),
        applied: Set(m.decision.applied()),
        note: Set(note(m.decision)),
        ..Default::default()
    }
}

/// The STATUS_CONFLICT an event contradicting a final status raises.
pub(super) fn conflict(
    ctx: &Ctx,
    f: &RefundFacts,
    row: &refund::Model,
) -> discrepancies::NewDiscrepancy {
    let detail = format!(
        "{} refund {} is {} but a later event says {} (provider status `{}`)",
        ctx.provider, row.provider_refund_id, row.status, f.status, f.provider_status
    );
    discrepancies::NewDiscrepancy {
        kind: discrepancies::Kind::StatusConflict,
        dedupe_key: format!(
            "STATUS_CONFLICT:refund:{}:event:{}",
            row.id, ctx.webhook_event_id
        ),
        order_id: row.order_id,
        refund_id: Some(row.id),
        return_id: None,
        amount: row.amount.map(Into::into),
        currency: row.currency.clone(),
        detail,
    }
}

pub async fn apply(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    f: &RefundFacts,
    summary: &mut ApplySummary,
) -> Result<(), ApplyError> {
    let order_id = resolve_order(db, ctx, f).await?;
    let existing =
        store::refunds::find_by_provider_id(db, ctx.provider, &f.provider_refund_id).await?;
    let merged = merge(existing.as_ref(), ctx, f, order_id)?;
    let row = match existing {
        None => merged.am.clone().insert(db).await?,
        Some(_) => merged.am.clone().update(db).await?,
    };
    let hist = history_row(ctx, f, row.id, &merged).insert(db).await?;
    let (decision, previous) = (merged.decision, merged.previous);
    summary.refund_id = Some(row.id);
    summary.touched_refunds.push(row.id);
    summary.touched_orders.extend(row.order_id);
    match decision {
        StatusDecision::Apply => {
            summary.refund_change = Some(RefundChange {
                history_id: hist.id,
                refund_id: row.id,
                previous,
                status: f.status,
                occurred_at: ctx.occurred_at,
            });
        }
        StatusDecision::Stale => summary.not_applied += 1,
        StatusDecision::Conflict => {
            summary.not_applied += 1;
            let id = discrepancies::raise(db, conflict(ctx, f, &row), ctx.now).await?;
            summary.discrepancies_raised.extend(id);
        }
    }
    Ok(())
}
