//! The change feed. Changes live in tables whose ids only grow — `refund_status_history`
//! (applied rows) for refund status changes, `discrepancy_history` for discrepancies — so a
//! reader (the instance's feed hub for refunds, see `hub`; each subscriber for discrepancies)
//! reads them from its own cursor: nothing is skipped, nothing comes twice, and `since`
//! resumes exactly. What travels between writers and readers is only a wake-up:
//! a `watch` channel in-process (one slot: a slow reader never blocks a writer), and
//! PostgreSQL `NOTIFY`, sent inside the writing transaction so it is delivered only on
//! commit, to every instance. A periodic re-check covers instances that share a SQLite file
//! and any lost notification.

pub mod hub;

use std::time::Duration;

use sea_orm::{ConnectionTrait, DbErr};
use tokio::sync::watch;

/// The PostgreSQL channel all instances listen on.
pub const CHANNEL: &str = "refund_recon_changes";

/// How often subscribers re-check the tables even without a wake-up.
pub const RECHECK: Duration = Duration::from_secs(1);

/// Wakes subscribers after a commit.
#[derive(Clone)]
pub struct Notifier {
    tx: watch::Sender<u64>,
}

impl Default for Notifier {
    fn default() -> Self {
        Notifier {
            tx: watch::channel(0).0,
        }
    }
}

impl Notifier {
    /// Something was committed: wake every subscriber of this instance.
    pub fn notify(&self) {
        self.tx.send_modify(|n| *n = n.wrapping_add(1));
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.tx.subscribe()
    }

    /// Subscribers of this instance open now.
    pub fn receivers(&self) -> usize {
        self.tx.receiver_count()
    }

    /// On PostgreSQL, relays `NOTIFY` from every instance to this one's subscribers.
    pub fn listen_postgres(&self, url: &str) -> Option<tokio::task::JoinHandle<()>> {
        if !url.starts_with("postgres") {
            return None;
        }
        let url = url.to_owned();
        let me = self.clone();
        Some(tokio::spawn(async move {
            loop {
                match sea_orm::sqlx::postgres::PgListener::connect(&url).await {
                    Ok(mut l) => {
                        if let Err(e) = l.listen(CHANNEL).await {
                            tracing::warn!(error = %e, "cannot LISTEN; retrying");
                        } else {
                            // Changes may have happened while we were not listening.
                            me.notify();
                            while l.recv().await.is_ok() {
                                me.notify();
                            }
                            tracing::warn!("LISTEN connection lost; reconnecting");
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot connect to LISTEN; retrying"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }))
    }
}

/// Inside a writing transaction: orders change-feed rows by commit (PostgreSQL assigns ids
/// before commit, so two concurrent writers could otherwise commit ids out of order and a
/// reader past the later id would never see the earlier one), and queues the `NOTIFY` that
/// PostgreSQL delivers on commit. SQLite has a single writer, so ids already commit in order.
pub async fn begin_feed_write(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if crate::store::is_postgres(db) {
        db.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock(7274727); NOTIFY {CHANNEL}"
        ))
        .await?;
    }
    Ok(())
}

/// Waits for a wake-up or the periodic re-check, whichever comes first.
pub async fn wait(rx: &mut watch::Receiver<u64>) {
    let _ = tokio::time::timeout(RECHECK, rx.changed()).await;
}
