//! Live subscriptions over real WebSockets, both sub-protocols.

use serde_json::json;

use crate::{
    helpers::*,
    webhooks::fixture,
    ws::{LEGACY_WS, TRANSPORT_WS, Ws},
};

/// A cursor before the first change: tests replay from the start of their (fresh) database,
/// so a subscription that starts late misses nothing.
const FEED_START: &str = "MHxyZWZ1bmQtZmVlZA";

const REFUNDS: &str = "subscription($f: RefundFilter, $since: String) {
    refundStatusChanged(filter: $f, since: $since) {
        cursor previousStatus status occurredAt refund { providerRefundId provider status } } }";

#[tokio::test]
async fn refund_status_changes_arrive_in_order_over_both_protocols() {
    let app = spawn_app().await;
    for proto in [TRANSPORT_WS, LEGACY_WS] {
        let mut ws = Ws::connect(&app, proto, None).await.unwrap();
        ws.subscribe(
            "1",
            REFUNDS,
            json!({"f": {"provider": [proto_provider(proto)]}, "since": FEED_START}),
        )
        .await;
        // Give the subscription a moment to take its starting cursor.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let (created, processing) = match proto {
            TRANSPORT_WS => ("rainforest/created.json", "rainforest/processing.json"),
            _ => (
                "unipayment/refund_created.json",
                "unipayment/refund_approved.json",
            ),
        };
        send(&app, created).await;
        send(&app, processing).await;
        let ev = ws.take(2).await;
        let e0 = &ev[0]["refundStatusChanged"];
        let e1 = &ev[1]["refundStatusChanged"];
        assert!(e0["previousStatus"].is_null(), "{proto}: {ev:?}");
        assert_eq!(e0["status"], "PENDING", "{proto}");
        assert_eq!(e1["previousStatus"], "PENDING", "{proto}");
        assert!(
            e1["status"] == "PROCESSING" || e1["status"] == "APPROVED",
            "{proto}: {e1}"
        );
        ws.close().await;
    }
}

fn proto_provider(proto: &str) -> &'static str {
    if proto == TRANSPORT_WS {
        "RAINFOREST"
    } else {
        "UNIPAYMENT"
    }
}

async fn send(app: &TestApp, f: &str) {
    let body = fixture(f);
    let a = if f.starts_with("rainforest") {
        app.rainforest(&body).await
    } else {
        app.unipayment(&body).await
    };
    a.assert(200, "accepted");
}

#[tokio::test]
async fn filters_apply_and_late_events_publish_nothing() {
    let app = spawn_app().await;
    let mut ws = Ws::connect(&app, TRANSPORT_WS, None).await.unwrap();
    ws.subscribe(
        "1",
        REFUNDS,
        json!({"f": {"provider": ["RAINFOREST"], "status": ["SUCCEEDED"]}, "since": FEED_START}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    send(&app, "unipayment/refund_completed.json").await; // other provider
    send(&app, "rainforest/processing.json").await; // other status
    send(&app, "rainforest/succeeded.json").await;
    send(&app, "rainforest/created.json").await; // late: kept in history, not applied
    let ev = ws.take(1).await;
    assert_eq!(ev[0]["refundStatusChanged"]["status"], "SUCCEEDED");
    ws.assert_quiet().await;
}

#[tokio::test]
async fn a_bad_key_is_refused_and_a_viewer_may_subscribe() {
    let mut raw = test_config();
    raw.api_keys = Some("viewer:viewer-key-0001".into());
    let app = spawn_app_with(raw).await;
    for proto in [TRANSPORT_WS, LEGACY_WS] {
        assert!(
            Ws::connect(&app, proto, None).await.is_err(),
            "{proto} without key"
        );
        assert!(
            Ws::connect(&app, proto, Some("wrong-key-123"))
                .await
                .is_err(),
            "{proto} bad key"
        );
        let mut ws = Ws::connect(&app, proto, Some("viewer-key-0001"))
            .await
            .unwrap();
        ws.subscribe("1", REFUNDS, json!({"since": FEED_START}))
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        app.rainforest(&crate::seed::rainforest_refund(
            &format!("k-{proto}"),
            "#K",
            100,
            "USD",
            "CREATED",
        ))
        .await
        .assert(200, "accepted");
        assert_eq!(
            ws.take(1).await[0]["refundStatusChanged"]["status"],
            "PENDING"
        );
        ws.close().await;
    }
}

#[tokio::test]
async fn resuming_with_since_replays_what_was_missed_once_then_goes_live() {
    let app = spawn_app().await;
    let mut ws = Ws::connect(&app, TRANSPORT_WS, None).await.unwrap();
    ws.subscribe("1", REFUNDS, json!({"since": FEED_START}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    app.seed_rainforest("a", "#R", 100, "USD", "CREATED").await;
    let first = ws.take(1).await;
    let cursor = first[0]["refundStatusChanged"]["cursor"]
        .as_str()
        .unwrap()
        .to_owned();
    ws.close().await;
    // While disconnected.
    app.seed_rainforest("a", "#R", 100, "USD", "PROCESSING")
        .await;
    app.seed_rainforest("b", "#R", 200, "USD", "CREATED").await;
    let mut ws = Ws::connect(&app, LEGACY_WS, None).await.unwrap();
    ws.subscribe("2", REFUNDS, json!({"since": cursor})).await;
    let missed = ws.take(2).await;
    let got: Vec<(String, String)> = missed
        .iter()
        .map(|e| {
            let e = &e["refundStatusChanged"];
            (
                e["refund"]["providerRefundId"].as_str().unwrap().to_owned(),
                e["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("a".into(), "PROCESSING".into()),
            ("b".into(), "PENDING".into())
        ]
    );
    app.seed_rainforest("a", "#R", 100, "USD", "SUCCEEDED")
        .await;
    assert_eq!(
        ws.take(1).await[0]["refundStatusChanged"]["status"],
        "SUCCEEDED"
    );
    ws.assert_quiet().await;
    // A cursor from elsewhere is refused.
    let mut ws = Ws::connect(&app, TRANSPORT_WS, None).await.unwrap();
    ws.subscribe("3", REFUNDS, json!({"since": "garbage"}))
        .await;
    assert!(matches!(
        ws.next_event(std::time::Duration::from_secs(5)).await,
        Some(Err(_))
    ));
}

#[tokio::test]
async fn discrepancy_changes_are_published() {
    let mut raw = test_config();
    raw.orphan_grace = Some("0s".into());
    let app = spawn_app_with(raw).await;
    let mut ws = Ws::connect(&app, TRANSPORT_WS, None).await.unwrap();
    ws.subscribe("1", "subscription { discrepancyChanged(filter: {kind: [ORPHAN_REFUND]}) { kind status refund { providerRefundId } } }", json!({})).await;
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    app.seed_rainforest("orph", "#NONE", 100, "USD", "SUCCEEDED")
        .await;
    let ev = ws.take(1).await;
    assert_eq!(ev[0]["discrepancyChanged"]["kind"], "ORPHAN_REFUND");
    assert_eq!(ev[0]["discrepancyChanged"]["status"], "OPEN");
}

#[tokio::test]
async fn an_event_ingested_on_one_instance_reaches_a_subscriber_on_another() {
    // Two instances on one database (PostgreSQL: LISTEN/NOTIFY; SQLite: the shared file).
    let a = spawn_app().await;
    let b = spawn_app_on(test_config(), a.database_url.clone(), None).await;
    let mut ws = Ws::connect(&b, TRANSPORT_WS, None).await.unwrap();
    ws.subscribe("1", REFUNDS, json!({"since": FEED_START}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    a.seed_rainforest("x", "#X", 100, "USD", "CREATED").await;
    let ev = ws.take(1).await;
    assert_eq!(
        ev[0]["refundStatusChanged"]["refund"]["providerRefundId"],
        "x"
    );
}

#[tokio::test]
async fn a_slow_client_gets_every_event_in_order_and_slows_nobody() {
    let app = spawn_app().await;
    let mut slow = Ws::connect(&app, TRANSPORT_WS, None).await.unwrap();
    slow.subscribe("1", REFUNDS, json!({"since": FEED_START}))
        .await;
    let mut fast = Ws::connect(&app, LEGACY_WS, None).await.unwrap();
    fast.subscribe("1", REFUNDS, json!({"since": FEED_START}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // 60 refunds while the slow client reads nothing.
    for i in 0..60 {
        app.seed_rainforest(&format!("s{i:03}"), "#SLOW", 100, "USD", "CREATED")
            .await;
    }
    let fast_ids: Vec<String> = fast
        .take(60)
        .await
        .iter()
        .map(|e| {
            e["refundStatusChanged"]["refund"]["providerRefundId"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let slow_ids: Vec<String> = slow
        .take(60)
        .await
        .iter()
        .map(|e| {
            e["refundStatusChanged"]["refund"]["providerRefundId"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let expected: Vec<String> = (0..60).map(|i| format!("s{i:03}")).collect();
    assert_eq!(fast_ids, expected);
    assert_eq!(slow_ids, expected);
}

#[tokio::test]
async fn a_discrepancy_status_filter_applies_to_each_change() {
    let mut raw = test_config();
    raw.orphan_grace = Some("0s".into());
    let app = spawn_app_with(raw).await;
    let mut ws = Ws::connect(&app, TRANSPORT_WS, None).await.unwrap();
    ws.subscribe(
        "1",
        "subscription { discrepancyChanged(filter: {status: [OPEN]}) { kind } }",
        json!({}),
    )
    .await;
    tokio::time::sleep(std::time::Duration::from_millis(1000)).await;
    app.seed_rainforest("o1", "#LATER", 100, "USD", "SUCCEEDED")
        .await; // raised: OPEN
    assert_eq!(
        ws.take(1).await[0]["discrepancyChanged"]["kind"],
        "ORPHAN_REFUND"
    );
    // Closed by the system when the order arrives: a RESOLVED change, filtered out.
    app.graphql(
        "mutation { upsertOrders(orders: [{orderNumber: \"#LATER\", total: \"1.00\", currency: \"USD\"}]) { orders { id } } }",
        json!({}),
    )
    .await;
    ws.assert_quiet().await;
}

#[tokio::test]
async fn errors_over_websocket_carry_a_code_on_both_protocols() {
    let app = spawn_app().await;
    for proto in [TRANSPORT_WS, LEGACY_WS] {
        // Refused by validation (no such field), by the limits (too deep), and by the
        // resolver (a cursor from elsewhere): each error says why in `extensions.code`.
        let deep = format!(
            "subscription {{ refundStatusChanged {{ refund {} }} }}",
            "{ order { refunds ".repeat(8) + "{ id }" + &" } }".repeat(8)
        );
        for (query, vars) in [
            (
                "subscription { refundStatusChanged { noSuchField } }".to_owned(),
                json!({}),
            ),
            (deep, json!({})),
            (REFUNDS.to_owned(), json!({"since": "garbage"})),
        ] {
            let mut ws = Ws::connect(&app, proto, None).await.unwrap();
            ws.subscribe("1", &query, vars).await;
            let errors = match ws.next_event(std::time::Duration::from_secs(5)).await {
                Some(Err(e)) => e,
                other => panic!("{proto}: expected an error for {query}, got {other:?}"),
            };
            let errors = errors.as_array().cloned().unwrap_or_else(|| vec![errors]);
            assert!(!errors.is_empty(), "{proto}: {query}");
            for e in &errors {
                assert_eq!(
                    e["extensions"]["code"], "BAD_USER_INPUT",
                    "{proto}: {query}: {e}"
                );
            }
            ws.close().await;
        }
    }
}
