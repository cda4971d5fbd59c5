//! Group commit: webhooks that arrive while a commit is running are stored together in the
//! next transaction, and each is answered only after that commit. The writer is held on the
//! database's write lock so a batch forms deterministically.

use std::time::Duration;

use futures::future::join_all;
use sea_orm::DatabaseTransaction;

use crate::{helpers::*, seed::unipayment_refund, webhooks::Answer};

/// Takes what the writer needs (the write lock; on PostgreSQL also the feed lock).
async fn hold_writer(app: &TestApp) -> DatabaseTransaction {
    let txn = refund_recon::store::begin_write(&app.db).await.unwrap();
    refund_recon::events::begin_feed_write(&txn).await.unwrap();
    txn
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..400 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Sends `first` alone (the writer takes it and waits on the lock), then `rest` together
/// (they queue behind it), then lets the writer go. Returns the answers in order.
async fn two_batches(app: &TestApp, first: String, rest: Vec<String>) -> (Answer, Vec<Answer>) {
    let lock = hold_writer(app).await;
    let before = app.inbox.batches();
    let n = rest.len();
    let release = async {
        until("the first batch", || app.inbox.batches() == before + 1).await;
        until("the rest to queue", || app.inbox.waiting() == n).await;
        lock.rollback().await.unwrap();
    };
    let sends = async {
        let first = app.unipayment(&first);
        let rest = async {
            until("the first batch", || app.inbox.batches() == before + 1).await;
            join_all(rest.iter().map(|b| app.unipayment(b))).await
        };
        tokio::join!(first, rest)
    };
    let (_, answers) = tokio::join!(release, sends);
    assert_eq!(
        app.inbox.batches(),
        before + 2,
        "the queued webhooks were taken as one batch"
    );
    answers
}

#[tokio::test]
async fn webhooks_arriving_together_share_one_commit_and_each_gets_its_answer() {
    let app = spawn_app().await;
    let a = unipayment_refund("GC-A", "INV-GC", "10.00", "Approved");
    let mut rest = vec![a.clone()];
    for i in 1..=10 {
        rest.push(unipayment_refund(
            &format!("GC-{i}"),
            "INV-GC",
            "1.50",
            "Approved",
        ));
    }
    // The same delivery twice in one batch.
    rest.push(rest[5].clone());
    let (first, answers) = two_batches(&app, a, rest).await;
    first.assert(200, "accepted");
    answers[0].assert(200, "duplicate");
    assert_eq!(answers[0].event_id(), first.event_id());
    for (i, a) in answers[1..=10].iter().enumerate() {
        if i + 1 != 5 {
            a.assert(200, "accepted");
        }
    }
    // The twin deliveries: whichever reached the writer first is applied, the other is its
    // duplicate.
    let mut twins = [&answers[5], &answers[11]];
    twins.sort_by_key(|a| a.body["status"] != "accepted");
    twins[0].assert(200, "accepted");
    twins[1].assert(200, "duplicate");
    assert_eq!(twins[0].event_id(), twins[1].event_id());
    assert_eq!(app.count("webhook_events").await, 11);
    assert_eq!(app.count("refunds").await, 11);
    let r = app
        .graphql(
            "{ refunds(first: 50) { totalCount } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(r["data"]["refunds"]["totalCount"], 11, "{r}");
}

#[tokio::test]
async fn an_impossible_event_in_a_batch_costs_the_others_nothing() {
    let app = spawn_app().await;
    let first = unipayment_refund("GC-X", "INV-GX", "10.00", "Approved");
    let mut rest: Vec<String> = (1..=5)
        .map(|i| unipayment_refund(&format!("GX-{i}"), "INV-GX", "2.00", "Approved"))
        .collect();
    // Authentic, but beyond what the ledger stores exactly: 422, kept as rejected.
    rest.push(unipayment_refund(
        "GX-HUGE",
        "INV-GX",
        "2000000000000.00",
        "Approved",
    ));
    // Authentic, not JSON: 422, kept as rejected.
    rest.push("not json at all".into());
    let (first, answers) = two_batches(&app, first, rest).await;
    first.assert(200, "accepted");
    for a in &answers[..5] {
        a.assert(200, "accepted");
    }
    answers[5].assert(422, "unprocessable");
    answers[6].assert(422, "unprocessable");
    assert_eq!(app.count("webhook_events").await, 8);
    assert_eq!(
        app.count("refunds").await,
        6,
        "nothing of the impossible one"
    );
    let rejected = app
        .graphql(
            "{ webhookEvents(first: 10, filter: {outcome: REJECTED}) { totalCount } }",
            serde_json::json!({}),
        )
        .await;
    assert_eq!(
        rejected["data"]["webhookEvents"]["totalCount"], 2,
        "{rejected}"
    );
}

#[tokio::test]
async fn a_redelivery_of_an_applied_event_is_answered_without_the_database() {
    let app = spawn_app().await;
    let body = unipayment_refund("GC-R", "INV-GR", "3.00", "Approved");
    let first = app.unipayment(&body).await;
    first.assert(200, "accepted");
    // Background work (the startup sweep) may still be running: wait for quiet.
    let mut before = app.statements.load(std::sync::atomic::Ordering::Relaxed);
    loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = app.statements.load(std::sync::atomic::Ordering::Relaxed);
        if now == before {
            break;
        }
        before = now;
    }
    for _ in 0..3 {
        let again = app.unipayment(&body).await;
        again.assert(200, "duplicate");
        assert_eq!(again.event_id(), first.event_id());
    }
    assert_eq!(
        app.statements.load(std::sync::atomic::Ordering::Relaxed),
        before,
        "redeliveries ran SQL"
    );
}
