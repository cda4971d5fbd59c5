//! `updateDiscrepancy` and `linkRefund` (finance).

use async_graphql::{Context, ID, Object};
use chrono::Utc;
use entity::{discrepancy, order, refund};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};

use crate::{
    config::{Config, Role},
    domain::ExternalRef,
    error::{Error, GqlResultExt},
    graphql::{
        auth::{Caller, RoleGuard},
        types::{DiscrepancyGql, DiscrepancyStatusGql, RefundGql, parse_id},
    },
    reconcile::{discrepancies::set_status, evaluate},
    store,
};

/// Moves allowed by the lifecycle OPEN → ACKNOWLEDGED → RESOLVED | IGNORED; a closed one
/// may be reopened.
fn allowed(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("OPEN", "ACKNOWLEDGED" | "RESOLVED" | "IGNORED")
            | ("ACKNOWLEDGED", "RESOLVED" | "IGNORED" | "OPEN")
            | ("RESOLVED" | "IGNORED", "OPEN")
    )
}

fn actor(ctx: &Context<'_>) -> String {
    match ctx.data_opt::<Caller>() {
        Some(Caller::Authenticated(r)) => r.as_str().to_owned(),
        _ => "unknown".to_owned(),
    }
}

#[derive(Default)]
pub struct DiscrepancyMutations;

#[Object]
impl DiscrepancyMutations {
    /// Moves a discrepancy through its lifecycle, with a note for the audit trail. The same
    /// status again only adds the note.
    #[graphql(guard = "RoleGuard(Role::Finance)")]
    async fn update_discrepancy(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: DiscrepancyStatusGql,
        note: Option<String>,
    ) -> async_graphql::Result<DiscrepancyGql> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let id = parse_id(&id).gql()?;
        // Read and check inside the writing transaction (serialised with every other writer
        // of the feed), so two concurrent edits cannot both pass the lifecycle check.
        let txn = crate::store::begin_write(db).await.gql()?;
        crate::events::begin_feed_write(&txn).await.gql()?;
        let d = discrepancy::Entity::find_by_id(id)
            .one(&txn)
            .await
            .gql()?
            .ok_or_else(|| Error::NotFound(format!("no discrepancy {id}")))
            .gql()?;
        let to = status.as_db();
        if d.status == to && note.is_none() {
            return Err(Error::BadRequest(format!(
                "discrepancy {id} is already {to}"
            )))
            .gql();
        }
        if d.status != to && !allowed(&d.status, to) {
            return Err(Error::BadRequest(format!(
                "cannot move from {} to {to}",
                d.status
            )))
            .gql();
        }
        let updated = set_status(&txn, &d, to, note, &actor(ctx), Utc::now())
            .await
            .gql()?;
        txn.commit().await.gql()?;
        ctx.data_unchecked::<crate::events::Notifier>().notify();
        Ok(DiscrepancyGql(updated))
    }

    /// Links a refund to an order by hand (e.g. an orphan whose reference was wrong). The
    /// refund's reference is added to the order so later events link by themselves.
    #[graphql(guard = "RoleGuard(Role::Finance)")]
    async fn link_refund(
        &self,
        ctx: &Context<'_>,
        refund_id: ID,
        order_id: ID,
    ) -> async_graphql::Result<RefundGql> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let settings = &ctx.data_unchecked::<std::sync::Arc<Config>>().recon;
        let (rid, oid) = (parse_id(&refund_id).gql()?, parse_id(&order_id).gql()?);
        let now = Utc::now();
        let txn = crate::store::begin_write(db).await.gql()?;
        crate::events::begin_feed_write(&txn).await.gql()?;
        let r = refund::Entity::find_by_id(rid)
            .one(&txn)
            .await
            .gql()?
            .ok_or_else(|| Error::NotFound(format!("no refund {rid}")))
            .gql()?;
        order::Entity::find_by_id(oid)
            .one(&txn)
            .await
            .gql()?
            .ok_or_else(|| Error::NotFound(format!("no order {oid}")))
            .gql()?;
        let previous = r.order_id;
        if let (Some(k), Some(v)) = (&r.link_ref_kind, &r.link_ref_value) {
            store::orders::add_refs(&txn, oid, &[ExternalRef::new(k, v)], now)
                .await
                .gql()?;
        }
        let mut am: refund::ActiveModel = r.into();
        am.order_id = Set(Some(oid));
        am.updated_at = Set(now);
        let r = am.update(&txn).await.gql()?;
        for o in previous.into_iter().chain([oid]) {
            evaluate::evaluate_order(&txn, o, settings, now)
                .await
                .gql()?;
        }
        evaluate::evaluate_refund(&txn, rid, settings, now)
            .await
            .gql()?;
        txn.commit().await.gql()?;
        ctx.data_unchecked::<crate::events::Notifier>().notify();
        Ok(RefundGql::from(r))
    }
}

#[cfg(test)]
mod tests {
    use super::allowed;

    #[test]
    fn lifecycle_moves() {
        assert!(allowed("OPEN", "ACKNOWLEDGED"));
        assert!(allowed("ACKNOWLEDGED", "RESOLVED"));
        assert!(allowed("OPEN", "IGNORED"));
        assert!(allowed("RESOLVED", "OPEN"));
        assert!(!allowed("RESOLVED", "IGNORED"));
        assert!(!allowed("IGNORED", "ACKNOWLEDGED"));
    }
}
