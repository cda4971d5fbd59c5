//! Subscriptions: `refundStatusChanged(filter, since)` and `discrepancyChanged(filter)`.
//! Events are only ever read back from committed rows of the change-feed tables. Refund
//! changes come from the instance's feed hub (one reader for all subscribers, see
//! `crate::events::hub`), after a catch-up from the database for `since`; discrepancy
//! changes are read per subscriber, woken by commits (see `crate::events`).

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
    events::{self, Notifier, hub::FeedHub},
    store::{
        feed::{self, RefundChange},
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
        let mut rx = ctx.data_unchecked::<Notifier>().subscribe();
        let mut filter = filter.unwrap_or_default();
        // The status filter applies to each change (the status it moved to).
        let statuses: Vec<&'static str> = filter
            .status
            .take()
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.as_db())
            .collect();
        let cond = filter.condition();
        let mut cursor = feed::last_discrepancy_change(&db).await.gql()?;
        Ok(async_stream::stream! {
            loop {
                match feed::discrepancy_changes(&db, cond.clone(), &statuses, cursor, BATCH).await {
                    Ok(page) if page.rows.is_empty() => {
                        cursor = page.scanned_to;
                        events::wait(&mut rx).await
                    }
                    Ok(page) => {
                        cursor = page.scanned_to;
                        for (_, d) in page.rows {
                            yield Ok(DiscrepancyGql(d));
                        }
                    }
                    Err(e) => {
                        yield Err(Error::from(e)).gql();
                        break;
                    }
                }
            }
        })
    }
}
