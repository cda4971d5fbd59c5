//! Applies what an event says about a return: status by the transition rule, items and
//! expected refund filled in or replaced, never erased by a partial update.

use entity::{return_item, return_status_history, returns};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use super::{
    apply::{ApplyError, ApplySummary},
    refund::Ctx,
};
use crate::{
    domain::{ReturnFacts, ReturnStatus, StatusDecision, next_state},
    store,
};

pub async fn apply(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    f: &ReturnFacts,
    summary: &mut ApplySummary,
) -> Result<(), ApplyError> {
    let existing =
        store::returns::find_by_provider_id(db, ctx.provider, &f.provider_return_id).await?;
    let currency = f.expected_refund.map(|m| m.currency.code().to_owned());
    let (ret, decision) = match existing {
        None => {
            let status = f.status.unwrap_or(ReturnStatus::Requested);
            let m = returns::ActiveModel {
                provider: Set(ctx.provider.slug().to_owned()),
                provider_return_id: Set(f.provider_return_id.clone()),
                order_id: Set(ctx.order_id),
                status: Set(status.as_str().to_owned()),
                provider_status: Set(f.provider_status.clone()),
                status_occurred_at: Set(ctx.occurred_at),
                expected_refund: Set(f.expected_refund.map(|m| m.amount.into())),
                currency: Set(currency),
                carrier: Set(f.carrier.clone()),
                tracking_number: Set(f.tracking_number.clone()),
                created_at: Set(ctx.now),
                updated_at: Set(ctx.now),
                ..Default::default()
            }
            .insert(db)
            .await?;
            (m, StatusDecision::Apply)
        }
        Some(cur) => {
            let cur_status: ReturnStatus = cur
                .status
                .parse()
                .map_err(|e: String| ApplyError::Db(sea_orm::DbErr::Custom(e)))?;
            let (decision, current_at) = match f.status {
                Some(s) => {
                    let (d, (_, at)) = next_state(
                        Some((cur_status, cur.status_occurred_at)),
                        s,
                        ctx.occurred_at,
                    );
                    (d, at)
                }
                None => (StatusDecision::Stale, cur.status_occurred_at),
            };
            // Newer facts overwrite; older ones only fill what is still unknown.
            let newer = decision.applied() || ctx.occurred_at >= cur.status_occurred_at;
            let mut am: returns::ActiveModel = cur.clone().into();
            if decision.applied() {
                am.status = Set(f.status.unwrap_or(cur_status).as_str().to_owned());
            }
            am.status_occurred_at = Set(current_at);
            if newer {
                am.provider_status = Set(f.provider_status.clone());
            }
            if let Some(m) = f.expected_refund
                && (newer || cur.expected_refund.is_none())
            {
                am.expected_refund = Set(Some(m.amount.into()));
                am.currency = Set(Some(m.currency.code().to_owned()));
            }
            if f.carrier.is_some() && (newer || cur.carrier.is_none()) {
                am.carrier = Set(f.carrier.clone());
            }
            if f.tracking_number.is_some() && (newer || cur.tracking_number.is_none()) {
                am.tracking_number = Set(f.tracking_number.clone());
            }
            if cur.order_id.is_none() && ctx.order_id.is_some() {
                am.order_id = Set(ctx.order_id);
            }
            am.updated_at = Set(ctx.now);
            (am.update(db).await?, decision)
        }
    };
    let newer_items = decision.applied() || ctx.occurred_at >= ret.status_occurred_at;
    if let Some(items) = &f.items {
        let known = store::returns::items(db, ret.id).await?;
        if newer_items || known.is_empty() {
            return_item::Entity::delete_many()
                .filter(return_item::Column::ReturnId.eq(ret.id))
                .exec(db)
                .await?;
            for (i, it) in items.iter().enumerate() {
                return_item::ActiveModel {
                    return_id: Set(ret.id),
                    position: Set(i as i32),
                    sku: Set(it.sku.clone()),
                    title: Set(it.title.clone()),
                    quantity: Set(it.quantity),
                    unit_price: Set(it.unit_price.map(|m| m.amount.into())),
                    currency: Set(it.unit_price.map(|m| m.currency.code().to_owned())),
                    condition: Set(it.condition.clone()),
                    resolution: Set(it.resolution.clone()),
                    ..Default::default()
                }
                .insert(db)
                .await?;
            }
        }
    }
    return_status_history::ActiveModel {
        return_id: Set(ret.id),
        webhook_event_id: Set(Some(ctx.webhook_event_id)),
        status: Set(f.status.map(|s| s.as_str().to_owned())),
        provider_status: Set(f.provider_status.clone()),
        occurred_at: Set(ctx.occurred_at),
        received_at: Set(ctx.received_at),
        applied: Set(decision.applied()),
        note: Set(note(decision)),
        ..Default::default()
    }
    .insert(db)
    .await?;
    if !decision.applied() {
        summary.not_applied += 1;
    }
    summary.return_id = Some(ret.id);
    summary.touched_orders.extend(ret.order_id);
    Ok(())
}

pub fn note(d: StatusDecision) -> Option<String> {
    match d {
        StatusDecision::Apply => None,
        StatusDecision::Stale => Some("stale".into()),
        StatusDecision::Conflict => Some("conflict".into()),
    }
}
