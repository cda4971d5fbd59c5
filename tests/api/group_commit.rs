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

/// Polls `f` until `done` (it must not finish first: the writer is held).
async fn poll_until<F: futures::Stream + Unpin>(
    f: &mut F,
    what: &str,
    mut done: impl FnMut() -> bool,
) {
    use futures::StreamExt;
    for _ in 0..2000 {
        tokio::select! {
            _ = f.next() => panic!("answered while the writer was held ({what})"),
            _ = tokio::time::sleep(Duration::from_millis(5)) => if done() { return },
        }
    }
    panic!("timed out waiting for {what}");
}

/// As `two_batches`, with `rest` reaching the writer in the order given: each is sent once
/// the previous one is queued.
async fn ordered_batch(app: &TestApp, first: String, rest: &[String]) -> (Answer, Vec<Answer>) {
    use futures::{StreamExt, stream::FuturesOrdered};
    let lock = hold_writer(app).await;
    let before = app.inbox.batches();
    let mut head = FuturesOrdered::new();
    head.push_back(app.unipayment(&first));
    poll_until(&mut head, "the first batch", || {
        app.inbox.batches() == before + 1
    })
    .await;
    let mut queued = FuturesOrdered::new();
    for (i, b) in rest.iter().enumerate() {
        queued.push_back(app.unipayment(b));
        poll_until(&mut queued, "the next to queue", || {
            app.inbox.waiting() == i + 1
        })
        .await;
    }
    lock.rollback().await.unwrap();
    let (head, answers) = tokio::join!(head.collect::<Vec<_>>(), queued.collect::<Vec<_>>());
    assert_eq!(
        app.inbox.batches(),
        before + 2,
        "the queued webhooks were one batch"
    );
    (head.into_iter().next().unwrap(), answers)
}

/// A UniPayment refund event at `notify_time`, linked by invoice and, when given, by
/// order number.
fn refund_at(
    id: &str,
    invoice: &str,
    order: Option<&str>,
    amount: &str,
    status: &str,
    at: &str,
) -> String {
    let mut v: serde_json::Value =
        serde_json::from_str(&unipayment_refund(id, invoice, amount, status)).unwrap();
    v["notify_time"] = serde_json::json!(at);
    v["notify_id"] = serde_json::json!(format!("n-{id}-{status}-{at}"));
    if let Some(o) = order {
        v["order_id"] = serde_json::json!(o);
    }
    v.to_string()
}

/// An answer's code and word (`status`, or `error` when it is not 2xx).
fn label(a: &Answer) -> (u16, String) {
    let word = if a.status == 200 {
        &a.body["status"]
    } else {
        &a.body["error"]
    };
    (a.status, word.as_str().unwrap_or_default().to_owned())
}

/// Everything the events left, as a client sees it: refunds with their history, order
/// links and references, and the discrepancies with their status and trail (not its notes: a
/// batch evaluates the rules once, on its final state, so a discrepancy opened by the
/// first of several events is opened with the last one's words — see `ingest/bulk.rs`).
async fn state(app: &TestApp) -> serde_json::Value {
    let mut v = serde_json::json!({});
    for (list, query, sort) in [
        (
            // In the list's own order (newest first): creation order and ids must agree.
            "refunds",
            "{ refunds(first: 30) { nodes { provider providerRefundId status providerStatus
               amount { amount currency } fee { amount currency } reason
               order { orderNumber } orderReference { kind value }
               history { status providerStatus occurredAt applied note } } } }",
            None,
        ),
        (
            // Equal amounts are ordered by id: ids must follow arrival too.
            "refunds",
            "{ refunds(first: 30, orderBy: {field: AMOUNT, direction: ASC}) { nodes { providerRefundId } } }",
            None,
        ),
        (
            "orders",
            "{ orders(first: 20) { nodes { orderNumber refs { kind value } } } }",
            Some("orderNumber"),
        ),
        (
            "discrepancies",
            "{ discrepancies(first: 30) { nodes {
               kind status detail amount { amount currency } history { status actor }
               refund { providerRefundId } order { orderNumber } } } }",
            Some("detail"),
        ),
    ] {
        let r = app.graphql(query, serde_json::json!({})).await;
        assert!(r.get("errors").is_none(), "{r}");
        let mut nodes = r["data"][list]["nodes"].as_array().unwrap().clone();
        if let Some(key) = sort {
            nodes.sort_by_key(|n| (n["kind"].to_string(), n[key].to_string()));
        }
        let name = if v.get(list).is_some() {
            format!("{list} by amount")
        } else {
            list.to_owned()
        };
        v[name] = serde_json::Value::Array(nodes);
    }
    v
}

#[tokio::test]
async fn a_batch_stores_exactly_what_the_same_events_store_one_by_one() {
    let orders = "mutation { upsertOrders(orders: [
        {orderNumber: \"ORD-1\", total: \"10.00\", currency: \"USD\",
         refs: [{kind: \"unipayment_invoice\", value: \"INV-1\"}]},
        {orderNumber: \"ORD-2\", total: \"50.00\", currency: \"USD\"},
        {orderNumber: \"ORD-3\", total: \"100.00\", currency: \"USD\"}]) { orders { id } } }";
    let t = |s: u32| format!("2026-11-20T10:00:{s:02}Z");
    // Stored before the batch, the same way on both sides.
    let before = [
        // An existing refund the batch completes (its STUCK_REFUND then closes).
        refund_at("B-0", "INV-1", None, "3.00", "Approved", &t(0)),
    ];
    let head = refund_at("B-H", "INV-0", None, "1.00", "Approved", &t(0));
    let mut events = vec![
        // Linked by reference; then applied; then a late event that is stale.
        refund_at("B-1", "INV-1", None, "15.00", "New", &t(1)),
        refund_at("B-1", "INV-1", None, "15.00", "Approved", &t(2)),
        // Linked by number; the order then also answers to INV-NEW ...
        refund_at("B-2", "INV-NEW", Some("ORD-2"), "20.00", "Completed", &t(3)),
        // ... which links this one, in the same batch.
        refund_at("B-3", "INV-NEW", None, "5.00", "Approved", &t(4)),
        refund_at("B-1", "INV-1", None, "15.00", "New", &t(0)),
        // No order anywhere.
        refund_at("B-4", "INV-UNKNOWN", None, "7.00", "Approved", &t(5)),
        // Final, then contradicted.
        refund_at("B-5", "INV-1", None, "1.00", "Completed", &t(6)),
        refund_at("B-5", "INV-1", None, "1.00", "Failed", &t(7)),
        // Authentic, not JSON.
        "not json at all".into(),
        // The refund stored before the batch, completed.
        refund_at("B-0", "INV-1", None, "3.00", "Completed", &t(8)),
        // A refund, then a failed one created after it on the same order: FAILED_REFUND
        // (which looks at which was created first).
        refund_at("B-7", "INV-3", Some("ORD-3"), "4.00", "Completed", &t(9)),
        refund_at("B-8", "INV-3", Some("ORD-3"), "4.00", "Failed", &t(10)),
    ];
    // The same delivery twice.
    events.push(events[1].clone());

    // One by one: each answered before the next is sent.
    let alone = spawn_app().await;
    setup_orders(&alone, orders, &before).await;
    alone.unipayment(&head).await.assert(200, "accepted");
    let mut answers_alone = Vec::new();
    for e in &events {
        let a = alone.unipayment(e).await;
        answers_alone.push(label(&a));
    }
    let batches_alone = alone.inbox.batches();

    // Together: one batch behind the head event.
    let together = spawn_app().await;
    setup_orders(&together, orders, &before).await;
    let (head, answers) = ordered_batch(&together, head, &events).await;
    head.assert(200, "accepted");
    let answers_together: Vec<_> = answers.iter().map(label).collect();

    assert_eq!(
        together.inbox.set_based_batches(),
        1,
        "the batch was stored set-based"
    );
    assert_eq!(answers_together, answers_alone);
    let words: Vec<&str> = answers_alone.iter().map(|a| a.1.as_str()).collect();
    let mut want = vec!["accepted"; events.len()];
    want[8] = "unprocessable";
    want[events.len() - 1] = "duplicate";
    assert_eq!(words, want);
    // Each its own batch (the redelivery is answered from memory, without the writer),
    // after the one of the head and the one of each event stored before.
    assert_eq!(batches_alone, (events.len() - 1 + 1 + before.len()) as u64);
    assert_eq!(alone.inbox.set_based_batches(), 0);
    let (a, b) = (state(&alone).await, state(&together).await);
    assert_eq!(a, b, "one by one:\n{a:#}\n\ntogether:\n{b:#}");
    // What the comparison stands on.
    let found = |kind: &str, status: &str| {
        a["discrepancies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["kind"] == kind && d["status"] == status)
    };
    for (kind, status) in [
        ("OVER_REFUND", "OPEN"),
        ("STATUS_CONFLICT", "OPEN"),
        ("STUCK_REFUND", "OPEN"),
        ("STUCK_REFUND", "RESOLVED"),
        ("FAILED_REFUND", "OPEN"),
    ] {
        assert!(
            found(kind, status),
            "{kind} {status} in {:#}",
            a["discrepancies"]
        );
    }
    let b3 = a["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["providerRefundId"] == "B-3")
        .unwrap();
    assert_eq!(b3["order"]["orderNumber"], "ORD-2", "{b3}");
}

/// The orders, then the deliveries stored before the batch.
async fn setup_orders(app: &TestApp, orders: &str, before: &[String]) {
    let v = app.graphql(orders, serde_json::json!({})).await;
    assert!(v.get("errors").is_none(), "{v}");
    for e in before {
        app.unipayment(e).await.assert(200, "accepted");
    }
}

#[tokio::test]
async fn a_batch_with_a_redelivery_of_a_rejected_event_goes_event_by_event_and_loses_nothing() {
    let app = spawn_app().await;
    // Authentic but not understood (no such UniPayment status): stored as rejected.
    let odd = unipayment_refund("GR-ODD", "INV-GR", "2.00", "Sideways");
    app.unipayment(&odd).await.assert(422, "unprocessable");
    let head = unipayment_refund("GR-H", "INV-GR", "1.00", "Approved");
    let rest = vec![
        unipayment_refund("GR-1", "INV-GR", "3.00", "Approved"),
        // The provider's retry of the rejected delivery, twice, inside the batch.
        odd.clone(),
        odd.clone(),
        unipayment_refund("GR-2", "INV-GR", "4.00", "Approved"),
    ];
    let (head, answers) = ordered_batch(&app, head, &rest).await;
    head.assert(200, "accepted");
    // Not set-based: that path leaves a redelivery of a stored event to the per-event
    // rules (which retry it with today's parser).
    assert_eq!(app.inbox.set_based_batches(), 0);
    answers[0].assert(200, "accepted");
    answers[1].assert(422, "unprocessable");
    answers[2].assert(422, "unprocessable");
    answers[3].assert(200, "accepted");
    assert_eq!(answers[1].event_id(), answers[2].event_id());
    assert_eq!(app.count("webhook_events").await, 4, "one row per event");
    assert_eq!(app.count("refunds").await, 3);
}

#[tokio::test]
async fn a_redelivery_this_instance_does_not_remember_is_a_duplicate_inside_a_set_based_batch() {
    let a = spawn_app().await;
    let known = unipayment_refund("GD-K", "INV-GD", "5.00", "Approved");
    let first = a.unipayment(&known).await;
    first.assert(200, "accepted");
    // `b` shares the database, not `a`'s memory of applied events: the redelivery reaches
    // its writer, and the batch's inbox insert finds the event there.
    let b = spawn_app_on(test_config(), a.database_url.clone(), None).await;
    let head = unipayment_refund("GD-H", "INV-GD", "1.00", "Approved");
    let rest = vec![
        unipayment_refund("GD-1", "INV-GD", "3.00", "Approved"),
        known.clone(),
        known.clone(),
        unipayment_refund("GD-2", "INV-GD", "4.00", "Approved"),
    ];
    let (head, answers) = ordered_batch(&b, head, &rest).await;
    head.assert(200, "accepted");
    assert_eq!(
        b.inbox.set_based_batches(),
        1,
        "the batch was stored set-based"
    );
    answers[0].assert(200, "accepted");
    for again in &answers[1..3] {
        again.assert(200, "duplicate");
        assert_eq!(again.event_id(), first.event_id());
    }
    answers[3].assert(200, "accepted");
    assert_eq!(b.count("webhook_events").await, 4, "one row per event");
    assert_eq!(b.count("refunds").await, 4);
    assert_eq!(
        b.count("refund_status_history").await,
        4,
        "the redeliveries changed nothing"
    );
}
