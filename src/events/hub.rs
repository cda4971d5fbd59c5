//! One change-feed reader per instance, fanned out to every subscriber. The hub waits for
//! wake-ups (see `crate::events`), reads the changes after its position once, unfiltered,
//! and publishes them in id order on a `broadcast` channel; each subscriber filters in
//! memory. A commit then costs one read, not one per subscriber.
//!
//! Hand-over: `join` takes the receiver and the published position under the same lock the
//! hub publishes under, so every change is either at or before that position (the joiner
//! reads it from the database, as for `since`) or in its receiver — never neither. A
//! subscriber that lags behind the channel's capacity re-joins and reads the gap from the
//! database: slow clients lose nothing and never hold up the hub.

use std::{
    future::Future,
    sync::{Arc, Mutex},
};

use futures::Stream;
use sea_orm::DbErr;
use tokio::{
    sync::broadcast::{self, error::RecvError},
    task::JoinHandle,
};

use super::Notifier;
use crate::store::feed::{DiscrepancyChange, FeedPage, RefundChange};

/// A change with its position in the feed (ids only grow).
pub trait FeedRow: Send + Sync + 'static {
    fn feed_id(&self) -> i64;
}

impl FeedRow for RefundChange {
    fn feed_id(&self) -> i64 {
        self.history.id
    }
}

impl FeedRow for DiscrepancyChange {
    fn feed_id(&self) -> i64 {
        self.history.id
    }
}

/// What the hub sends: a change, or word that it skipped ahead without sending (it reads
/// nothing while nobody listens), so receivers re-join and read the gap themselves.
enum Published<T> {
    Change(Arc<T>),
    Skipped,
}

impl<T> Clone for Published<T> {
    fn clone(&self) -> Self {
        match self {
            Published::Change(c) => Published::Change(c.clone()),
            Published::Skipped => Published::Skipped,
        }
    }
}

/// Rows the hub reads per round trip.
const PAGE: u64 = 500;

/// A subscriber's place in the fan-out: a receiver of every change published from now on,
/// and the position up to which changes were published before it (read those from the
/// database).
pub struct Joined<T> {
    live: broadcast::Receiver<Published<T>>,
    pub published: i64,
}

/// The fan-out of one feed; cheap to clone.
pub struct FeedHub<T> {
    inner: Arc<Inner<T>>,
}

struct Inner<T> {
    tx: broadcast::Sender<Published<T>>,
    /// Every change up to here has been sent (or was before the hub started).
    position: Mutex<i64>,
}

impl<T> Clone for FeedHub<T> {
    fn clone(&self) -> Self {
        FeedHub {
            inner: self.inner.clone(),
        }
    }
}

impl<T: FeedRow> FeedHub<T> {
    /// `capacity`: changes kept for subscribers that fall behind; past it they re-read.
    pub fn new(capacity: usize) -> Self {
        FeedHub {
            inner: Arc::new(Inner {
                tx: broadcast::channel(capacity.max(1)).0,
                position: Mutex::new(0),
            }),
        }
    }

    /// Joins the fan-out: see `Joined`.
    pub fn join(&self) -> Joined<T> {
        let position = self.lock();
        Joined {
            live: self.inner.tx.subscribe(),
            published: *position,
        }
    }

    /// The changes after `cursor` that `matches`, in id order: first those up to where the
    /// hub was when `joined`, read with `read(after)` (filtered by the database), then the
    /// hub's, skipping what the reads already covered. A read error is yielded and ends the
    /// stream (the client resumes from its last event).
    pub fn follow<R, Fut, M>(
        &self,
        joined: Joined<T>,
        mut cursor: i64,
        read: R,
        matches: M,
    ) -> impl Stream<Item = Result<Arc<T>, DbErr>> + Send + use<T, R, Fut, M>
    where
        R: Fn(i64) -> Fut + Send + 'static,
        Fut: Future<Output = Result<FeedPage<T>, DbErr>> + Send,
        M: Fn(&T) -> bool + Send + 'static,
    {
        let hub = self.clone();
        let Joined {
            mut live,
            mut published,
        } = joined;
        async_stream::stream! {
            loop {
                while cursor < published {
                    match read(cursor).await {
                        Ok(page) => {
                            cursor = page.scanned_to;
                            for row in page.rows {
                                yield Ok(Arc::new(row));
                            }
                        }
                        Err(e) => {
                            yield Err(e);
                            return;
                        }
                    }
                }
                loop {
                    match live.recv().await {
                        Ok(Published::Change(row)) if row.feed_id() <= cursor => {}
                        Ok(Published::Change(row)) => {
                            cursor = row.feed_id();
                            if matches(&row) {
                                yield Ok(row);
                            }
                        }
                        Ok(Published::Skipped) => {
                            Joined { live, published } = hub.join();
                            break;
                        }
                        Err(RecvError::Lagged(n)) => {
                            // Fell behind the buffer: re-join and read the gap.
                            tracing::debug!(missed = n, cursor, "subscriber lagged; reading the gap");
                            metrics::counter!("refund_recon_subscription_lags_total").increment(1);
                            Joined { live, published } = hub.join();
                            break;
                        }
                        Err(RecvError::Closed) => return,
                    }
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, i64> {
        // The guarded value is a plain integer: a panic elsewhere cannot leave it torn.
        self.inner
            .position
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    fn publish(&self, rows: Vec<T>, scanned_to: i64) {
        let rows: Vec<Published<T>> = rows
            .into_iter()
            .map(|r| Published::Change(Arc::new(r)))
            .collect();
        let mut position = self.lock();
        for r in rows {
            // No receiver is not an error: everybody may have left since.
            let _ = self.inner.tx.send(r);
        }
        *position = scanned_to.max(*position);
    }

    /// Reads and publishes pages after `position` until none is left; returns the new
    /// position. A failed read is retried at the next wake-up or re-check.
    async fn read_to_end<F, Fut>(&self, read: &F, mut position: i64) -> i64
    where
        F: Fn(i64, u64) -> Fut,
        Fut: Future<Output = Result<FeedPage<T>, DbErr>>,
    {
        loop {
            match read(position, PAGE).await {
                Ok(page) => {
                    let more = page.rows.len() as u64 >= PAGE;
                    position = page.scanned_to;
                    self.publish(page.rows, position);
                    if !more {
                        return position;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "change feed read failed");
                    return position;
                }
            }
        }
    }

    fn skip_to(&self, end: i64) {
        let mut position = self.lock();
        if end > *position {
            *position = end;
            let _ = self.inner.tx.send(Published::Skipped);
        }
    }

    /// Starts the reader at `start` (the current end of the feed): on every wake-up of
    /// `notifier` (or the periodic re-check) it reads pages with `read(after, limit)` until
    /// none is left. While nobody listens it reads nothing; when someone joins, it skips to
    /// the feed's `end()` and tells them to read what lies before from the database.
    pub fn start<F, Fut, E, EFut>(
        &self,
        start: i64,
        notifier: &Notifier,
        read: F,
        end: E,
    ) -> JoinHandle<()>
    where
        F: Fn(i64, u64) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<FeedPage<T>, DbErr>> + Send,
        E: Fn() -> EFut + Send + 'static,
        EFut: Future<Output = Result<i64, DbErr>> + Send,
    {
        *self.lock() = start;
        let hub = self.clone();
        let mut wake = notifier.subscribe();
        tokio::spawn(async move {
            let (mut position, mut idle) = (start, false);
            loop {
                if hub.inner.tx.receiver_count() == 0 {
                    idle = true;
                } else if idle {
                    match end().await {
                        Ok(e) => {
                            position = position.max(e);
                            hub.skip_to(position);
                            idle = false;
                        }
                        Err(e) => tracing::warn!(error = %e, "change feed read failed"),
                    }
                }
                if !idle {
                    position = hub.read_to_end(&read, position).await;
                }
                super::wait(&mut wake).await;
            }
        })
    }
}

#[cfg(test)]
mod tests;
