//! The subscription hub's guarantees seen from clients: the hand-over from a `since`
//! catch-up to the live fan-out, subscribers that fall behind its buffer, and per-subscriber
//! filters over one shared feed.

use std::collections::HashSet;

use futures::future::join_all;
use refund_recon::graphql::pagination::Cursor;
use serde_json::{Value, json};

use crate::{
    helpers::*,
    seed::{rainforest_refund, unipayment_refund},
    ws::{LEGACY_WS, TRANSPORT_WS, Ws},
};

const FEED_START: &str = "MHxyZWZ1bmQtZmVlZA";

const REFUNDS: &str = "subscription($f: RefundFilter, $since: String) {
    refundStatusChanged(filter: $f, since: $since) {
        cursor status refund { providerRefundId } } }";

/// (feed id, provider refund id, status) of each event.
fn summary(events: &[Value]) -> Vec<(i64, String, String)> {
    events
        .iter()
        .map(|e| {
            let e = &e["refundStatusChanged"];
            (
                Cursor::decode(e["cursor"].as_str().unwrap()).unwrap().id,
                e["refund"]["providerRefundId"].as_str().unwrap().to_owned(),
                e["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// Exactly the refunds `ids`, each once, in feed order.
fn assert_each_once_in_order(events: &[Value], ids: &HashSet<String>) {
    let got = summary(events);
    assert!(
        got.windows(2).all(|w| w[0].0 < w[1].0),
        "out of order: {got:?}"
    );
    let distinct: HashSet<String> = got.iter().map(|g| g.1.clone()).collect();
    assert_eq!(distinct.len(), got.len(), "duplicates: {got:?}");
    assert_eq!(&distinct, ids);
}

/// `n` refunds created from `senders` concurrent clients.
async fn burst(app: &TestApp, prefix: &str, n: usize, senders: usize) -> HashSet<String> {
    let ids: Vec<String> = (0..n).map(|i| format!("{prefix}{i:03}")).collect();
    join_all((0..senders).map(|s| {
        let ids = &ids;
        async move {
            for id in ids.iter().skip(s).step_by(senders) {
                app.rainforest(&rainforest_refund(id, "#B", 100, "USD", "CREATED"))
                    .await
                    .assert(200, "accepted");
            }
        }
    }))
    .await;
    ids.into_iter().collect()
}

#[tokio::test]
async fn subscribers_joining_with_since_during_a_burst_get_every_event_once() {
    let app = spawn_app().await;
    let mut expected = burst(&app, "before", 20, 1).await;
    let during = async {
        // Subscribers join while the burst is being committed and published.
        let mut subs = vec![];
        for i in 0..6 {
            tokio::time::sleep(std::time::Duration::from_millis(40)).await;
            let proto = if i % 2 == 0 { TRANSPORT_WS } else { LEGACY_WS };
            let mut ws = Ws::connect(&app, proto, None).await.unwrap();
            ws.subscribe("1", REFUNDS, json!({"since": FEED_START}))
                .await;
            subs.push(ws);
        }
        subs
    };
    let (mut subs, ids) = tokio::join!(during, burst(&app, "during", 100, 4));
    expected.extend(ids);
    expected.extend(burst(&app, "after", 10, 2).await);
    for ws in &mut subs {
        let events = ws.take(expected.len()).await;
        assert_each_once_in_order(&events, &expected);
    }
    join_all(subs.iter_mut().map(|ws| ws.assert_quiet())).await;
}

#[tokio::test]
async fn a_subscriber_behind_a_tiny_buffer_still_gets_everything_in_order() {
    // A buffer of one change: any page of two or more overflows it. Writes go through a
    // second instance, so on SQLite this one reads them in pages at its re-check.
    let (url, dir) = fresh_database().await;
    let app = spawn_app_tuned(test_config(), url.clone(), dir, |c| c.feed_buffer = 1).await;
    let writer = spawn_app_on(test_config(), url, None).await;
    let mut subs = vec![];
    for proto in [TRANSPORT_WS, LEGACY_WS] {
        let mut ws = Ws::connect(&app, proto, None).await.unwrap();
        ws.subscribe("1", REFUNDS, json!({})).await;
        subs.push(ws);
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let expected = burst(&writer, "lag", 80, 8).await;
    for ws in &mut subs {
        let events = ws.take(expected.len()).await;
        assert_each_once_in_order(&events, &expected);
    }
    subs[0].assert_quiet().await;
}

/// (filter, which of `events()` it matches).
type Case = (Value, fn(&Ev) -> bool);

/// (provider, refund id, order number, minor units, currency, resulting status).
type Ev = (
    &'static str,
    &'static str,
    &'static str,
    i64,
    &'static str,
    &'static str,
);

fn events() -> Vec<Ev> {
    vec![
        ("rainforest", "f1", "#A", 100, "USD", "CREATED"),
        ("rainforest", "f2", "#B", 5000, "EUR", "CREATED"),
        ("unipayment", "u1", "", 1250, "USD", "Approved"),
        ("rainforest", "f1", "#A", 100, "USD", "SUCCEEDED"),
        ("rainforest", "f3", "#A", 2000, "EUR", "CREATED"),
        ("unipayment", "u2", "", 99, "USD", "Approved"),
        ("rainforest", "f2", "#B", 5000, "EUR", "FAILED"),
    ]
}

fn cases() -> Vec<Case> {
    vec![
        (json!({}), |_| true),
        (json!({"provider": ["RAINFOREST"]}), |e| e.0 == "rainforest"),
        (json!({"provider": ["UNIPAYMENT"]}), |e| e.0 == "unipayment"),
        (json!({"status": ["SUCCEEDED", "FAILED"]}), |e| {
            matches!(e.5, "SUCCEEDED" | "FAILED")
        }),
        (json!({"orderNumber": "#A"}), |e| e.2 == "#A"),
        (json!({"currency": "eur"}), |e| e.4 == "EUR"),
        (json!({"minAmount": "12.50"}), |e| e.3 >= 1250),
        (
            json!({"provider": ["RAINFOREST"], "status": ["PENDING"], "currency": "USD"}),
            |e| e.0 == "rainforest" && e.5 == "CREATED" && e.4 == "USD",
        ),
        (json!({"orderNumber": "#NONE"}), |_| false),
    ]
}

#[tokio::test]
async fn many_subscribers_with_different_filters_each_see_exactly_their_matches() {
    let app = spawn_app().await;
    let mut subs = vec![];
    for (i, (filter, _)) in cases().into_iter().enumerate() {
        for (j, proto) in [TRANSPORT_WS, LEGACY_WS, TRANSPORT_WS]
            .into_iter()
            .enumerate()
        {
            let mut ws = Ws::connect(&app, proto, None).await.unwrap();
            // Some start live, some replay from the start: both see the same events.
            let since = if j == 2 {
                json!(FEED_START)
            } else {
                Value::Null
            };
            ws.subscribe("1", REFUNDS, json!({"f": filter, "since": since}))
                .await;
            subs.push((i, ws));
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    for (provider, id, order, minor, currency, status) in events() {
        let answer = if provider == "rainforest" {
            app.rainforest(&rainforest_refund(id, order, minor, currency, status))
                .await
        } else {
            let amount = format!("{}.{:02}", minor / 100, minor % 100);
            app.unipayment(&unipayment_refund(
                id,
                &format!("inv-{id}"),
                &amount,
                status,
            ))
            .await
        };
        answer.assert(200, "accepted");
    }
    let cases = cases();
    join_all(subs.iter_mut().map(|(i, ws)| {
        let want: Vec<&str> = events()
            .into_iter()
            .filter(|e| (cases[*i].1)(e))
            .map(|e| e.1)
            .collect();
        let filter = cases[*i].0.clone();
        async move {
            let got = summary(&ws.take(want.len()).await);
            let got: Vec<&str> = got.iter().map(|g| g.1.as_str()).collect();
            assert_eq!(got, want, "{filter}");
            ws.assert_quiet().await;
        }
    }))
    .await;
}

#[tokio::test]
async fn discrepancy_subscribers_share_one_reader_and_each_see_exactly_their_matches() {
    let mut raw = test_config();
    // Refunds without an order are ORPHAN_REFUND at once.
    raw.orphan_grace = Some("0s".into());
    let app = spawn_app_with(raw).await;
    app.upsert_order("#DX", "1.00", "USD", json!([])).await;
    let filters = [
        json!({}),
        json!({"kind": ["ORPHAN_REFUND"]}),
        json!({"provider": ["RAINFOREST"]}),
        json!({"provider": ["UNIPAYMENT"]}),
        json!({"orderNumber": "#DX"}),
        json!({"kind": ["UNDER_REFUND"]}),
        json!({"status": ["OPEN"], "kind": ["OVER_REFUND", "ORPHAN_REFUND"]}),
    ];
    const EACH: usize = 8;
    let mut subs = vec![];
    for (i, f) in filters.iter().enumerate() {
        for j in 0..EACH {
            let proto = if j % 2 == 0 { TRANSPORT_WS } else { LEGACY_WS };
            let mut ws = Ws::connect(&app, proto, None).await.unwrap();
            ws.subscribe(
                "1",
                "subscription($f: DiscrepancyFilter) { discrepancyChanged(filter: $f) { id } }",
                json!({"f": f}),
            )
            .await;
            subs.push((i, ws));
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    // The hub reads nothing while nobody listens; the first commit after subscribers join
    // wakes it, and each of them reads what came before from the database once.
    app.rainforest(&rainforest_refund("dw0", "#NONE", 100, "USD", "SUCCEEDED"))
        .await
        .assert(200, "accepted");
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let before = app.statements.load(std::sync::atomic::Ordering::Relaxed);
    // An orphan at each provider, and a refund over its order's total.
    app.rainforest(&rainforest_refund("dr1", "#NONE", 100, "USD", "SUCCEEDED"))
        .await
        .assert(200, "accepted");
    app.unipayment(&unipayment_refund("du1", "inv-none", "2.00", "Completed"))
        .await
        .assert(200, "accepted");
    app.rainforest(&rainforest_refund("dr2", "#DX", 500, "USD", "SUCCEEDED"))
        .await
        .assert(200, "accepted");
    // Time for every subscriber to be woken and served.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let used = app.statements.load(std::sync::atomic::Ordering::Relaxed) - before;
    // What each filter finds in the list (every change here opened a discrepancy).
    let mut want = vec![];
    for f in &filters {
        let v = app
            .graphql(
                "query($f: DiscrepancyFilter) { discrepancies(filter: $f, first: 100) { nodes { id } } }",
                json!({"f": f}),
            )
            .await;
        let mut ids: Vec<String> = v["data"]["discrepancies"]["nodes"]
            .as_array()
            .unwrap_or_else(|| panic!("{v}"))
            .iter()
            .map(|n| n["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        want.push(ids);
    }
    assert!(want[0].len() >= 3, "orphans and an over-refund: {want:?}");
    assert!(want[5].is_empty());
    join_all(subs.iter_mut().map(|(i, ws)| {
        let (want, filter) = (want[*i].clone(), filters[*i].clone());
        async move {
            let mut got: Vec<String> = ws
                .take(want.len())
                .await
                .iter()
                .map(|e| e["discrepancyChanged"]["id"].as_str().unwrap().to_owned())
                .collect();
            got.sort();
            assert_eq!(got, want, "{filter}");
            ws.assert_quiet().await;
        }
    }))
    .await;
    // One reader for all of them: reading each subscriber's changes on its own would take
    // at least one statement per subscriber per commit.
    assert!(
        used < (filters.len() * EACH) as u64 * 2,
        "{used} statements for 3 webhooks and {} subscribers",
        filters.len() * EACH
    );
}
