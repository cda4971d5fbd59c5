//! Subscriptions: `refundStatusChanged(filter, since)` and `discrepancyChanged(filter)`.
//! Events are only ever read back from committed rows of the change-feed tables. Refund
//! changes come from the instance's feed hub (one reader for all subscribers, see
//! `crate::events::hub`), after a catch-up from the database for `since`; discrepancy
//! changes from the instance's discrepancy hub likewise.

use async_graphql::{Context, SimpleObject, Subscription};
use futures::{Stream, StreamExt};
use sea_orm::DatabaseConnection;

use super::{
    auth::RoleGuard,
    pagination::Cursor,
    query::{reconciliation::DiscrepancyFilter, refunds::RefundFilter},
    types::{DiscrepancyGql, RefundGql, RefundStatusGql, enums::refund_status_from_db},
};
use crate::{
    config::Role,
    error::{Error, GqlResultExt},
    events::hub::FeedHub,
    store::{
        feed::{self, DiscrepancyChange, RefundChange},
        refunds::RefundQuery,
    },
};

fn refund_event(c: &RefundChange) -> RefundStatusEvent {
    let h = &c.history;
    RefundStatusEvent {
        cursor: Cursor {
            key: FEED_KEY.into(),
            id: h.id,
        }
        .encode(),
        previous_status: h.previous_status.as_deref().map(refund_status_from_db),
        status: refund_status_from_db(&h.status),
        occurred_at: h.occurred_at,
        refund: RefundGql::from(c.refund.clone()),
    }
}

/// Rows read per round trip.
const BATCH: u64 = 500;
const FEED_KEY: &str = "refund-feed";

/// A refund's status became current. Its creation is its first change (no previous status).
#[derive(SimpleObject)]
pub struct RefundStatusEvent {
    /// Pass as `since` to resume after this event.
    pub cursor: String,
    pub refund: RefundGql,
    pub previous_status: Option<RefundStatusGql>,
    pub status: RefundStatusGql,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Default)]
pub struct Subscription;

#[Subscription]
impl Subscription {
    /// Refund status changes matching the filter. With `since` (a `cursor` from an earlier
    /// event) every change after it is replayed in order first, then changes follow live:
    /// a client that reconnects misses nothing and sees nothing twice.
    #[graphql(guard = "RoleGuard(Role::Viewer)")]
    async fn refund_status_changed(
        &self,
        ctx: &Context<'_>,
        filter: Option<RefundFilter>,
        since: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<RefundStatusEvent>>> {
        let db = ctx.data_unchecked::<DatabaseConnection>().clone();
        let hub = ctx.data_unchecked::<FeedHub<RefundChange>>().clone();
        let q: RefundQuery = filter.unwrap_or_default().into();
        // Joined before the starting point is read: nothing can fall between the two.
        let joined = hub.join();
        let cursor = match since {
            Some(s) => {
                let c = Cursor::decode(&s).gql()?;
                if c.key != FEED_KEY {
                    return Err(Error::BadRequest(
                        "`since` is not a refund event cursor".into(),
                    ))
                    .gql();
                }
                c.id
            }
            None => feed::last_refund_change(&db)
                .await
                .gql()?
                .max(joined.published),
        };
        let read_q = q.clone();
        let read = move |after| {
            let (db, q) = (db.clone(), read_q.clone());
            async move { feed::refund_changes(&db, &q, after, BATCH).await }
        };
        let matches = move |c: &RefundChange| {
            q.matches(&c.history.status, &c.refund, c.order_number.as_deref())
        };
        Ok(hub.follow(joined, cursor, read, matches).map(|c| match c {
            Ok(c) => Ok(refund_event(&c)),
            // Told, not skipped: the client resumes with its last cursor.
            Err(e) => Err(Error::from(e)).gql(),
        }))
    }

    /// Discrepancies as they are raised, change status or are closed.
    #[graphql(guard = "RoleGuard(Role::Viewer)")]
    async fn discrepancy_changed(
        &self,
        ctx: &Context<'_>,
        filter: Option<DiscrepancyFilter>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<DiscrepancyGql>>> {
        let db = ctx.data_unchecked::<DatabaseConnection>().clone();
        let hub = ctx.data_unchecked::<FeedHub<DiscrepancyChange>>().clone();
        let mut filter = filter.unwrap_or_default();
        let matcher = filter.matcher();
        // The status filter applies to each change (the status it moved to).
        let statuses = matcher.statuses.clone();
        filter.status = None;
        let cond = filter.condition();
        // Joined before the starting point is read: nothing can fall between the two.
        let joined = hub.join();
        let cursor = feed::last_discrepancy_change(&db)
            .await
            .gql()?
            .max(joined.published);
        let read = move |after| {
            let (db, cond, statuses) = (db.clone(), cond.clone(), statuses.clone());
            async move { feed::discrepancy_changes(&db, cond, &statuses, after, BATCH).await }
        };
        Ok(hub
            .follow(joined, cursor, read, move |c| matcher.matches(c))
            .map(|c| match c {
                Ok(c) => Ok(DiscrepancyGql(c.discrepancy.clone())),
                Err(e) => Err(Error::from(e)).gql(),
            }))
    }
}
