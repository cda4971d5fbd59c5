//! Reconciliation states and discrepancies, from realistic multi-provider stories.

use serde_json::{Value, json};

use crate::{
    helpers::*,
    seed::{rebound_return, unipayment_refund},
    webhooks::fixture_json,
};

/// Grace periods of zero so time-based rules apply at once.
pub async fn recon_app() -> TestApp {
    let mut raw = test_config();
    raw.under_refund_grace = Some("0s".into());
    raw.orphan_grace = Some("0s".into());
    spawn_app_with(raw).await
}

impl TestApp {
    pub async fn upsert_order(
        &self,
        number: &str,
        total: &str,
        currency: &str,
        refs: Value,
    ) -> Value {
        let v = self
            .graphql(
                "mutation($o: [OrderInput!]!) { upsertOrders(orders: $o) { orders { id orderNumber total { amount currency } refs { kind value } } } }",
                json!({"o": [{"orderNumber": number, "total": total, "currency": currency, "refs": refs}]}),
            )
            .await;
        assert!(v["errors"].is_null(), "{v}");
        v["data"]["upsertOrders"]["orders"][0].clone()
    }

    /// The reconciliation rows of one order.
    pub async fn recon(&self, number: &str) -> Vec<Value> {
        let v = self
            .graphql(
                "query($n: String) { order(orderNumber: $n) { reconciliation { currency state
                   orderTotal { amount } expectedRefund { amount } refunded { amount }
                   pendingRefund { amount } outstanding { amount } discrepancies { kind } } } }",
                json!({"n": number}),
            )
            .await;
        assert!(v["errors"].is_null(), "{v}");
        v["data"]["order"]["reconciliation"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub async fn state_of(&self, number: &str) -> String {
        let rows = self.recon(number).await;
        assert_eq!(rows.len(), 1, "{rows:?}");
        rows[0]["state"].as_str().unwrap().to_owned()
    }

    /// Open (or acknowledged) discrepancy kinds, sorted.
    pub async fn open_kinds(&self) -> Vec<String> {
        let v = self
            .graphql(
                "{ discrepancies(filter: {status: [OPEN, ACKNOWLEDGED]}, first: 100) { edges { node { kind } } } }",
                json!({}),
            )
            .await;
        assert!(v["errors"].is_null(), "{v}");
        let mut k: Vec<String> = v["data"]["discrepancies"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["kind"].as_str().unwrap().to_owned())
            .collect();
        k.sort();
        k
    }
}

fn alchemy(order_no: &str, refund_no: &str, amount: &str, status: &str) -> Value {
    let mut p = fixture_json("alchemypay/completed.json");
    p["merchantOrderNo"] = json!(order_no);
    p["refundOrderNo"] = json!(refund_no);
    p["faitAmount"] = json!(amount);
    p["orderStatus"] = json!(status);
    p
}

#[tokio::test]
async fn baback_return_refunded_through_rainforest_is_balanced() {
    let app = recon_app().await;
    app.baback(fixture_json("baback/create.json"))
        .await
        .assert(200, "accepted");
    app.baback(fixture_json("baback/merchant_approve.json"))
        .await
        .assert(200, "accepted");
    assert_eq!(app.state_of("#EXAMPLE-001").await, "UNDER_REFUNDED");
    assert!(app.open_kinds().await.contains(&"UNDER_REFUND".to_owned()));
    // The merchant approved a refund of 45.00 (financialInformations.refund.amount).
    app.seed_rainforest("rb1", "#EXAMPLE-001", 4500, "USD", "SUCCEEDED")
        .await;
    let r = &app.recon("#EXAMPLE-001").await[0];
    assert_eq!(r["state"], "BALANCED", "{r}");
    assert_eq!(r["orderTotal"]["amount"], "299.00");
    assert_eq!(r["expectedRefund"]["amount"], "45.00");
    assert_eq!(r["refunded"]["amount"], "45.00");
    assert_eq!(r["outstanding"]["amount"], "0.00");
    // The UNDER_REFUND closed itself, with the system in its trail.
    assert!(
        app.open_kinds().await.is_empty(),
        "{:?}",
        app.open_kinds().await
    );
}

#[tokio::test]
async fn partial_refunds_summing_to_the_expected_amount_balance() {
    let app = recon_app().await;
    app.rebound(&rebound_return("RB-P", "#P1", "received", "50.00"))
        .await
        .assert(200, "accepted");
    app.upsert_order("#P1", "80.00", "EUR", json!([])).await;
    app.seed_rainforest("p1", "#P1", 2000, "EUR", "SUCCEEDED")
        .await;
    assert_eq!(app.state_of("#P1").await, "UNDER_REFUNDED");
    app.seed_rainforest("p2", "#P1", 3000, "EUR", "PROCESSING")
        .await;
    assert_eq!(app.state_of("#P1").await, "PENDING");
    app.seed_rainforest("p2", "#P1", 3000, "EUR", "SUCCEEDED")
        .await;
    assert_eq!(app.state_of("#P1").await, "BALANCED");
    assert!(
        app.open_kinds().await.is_empty(),
        "{:?}",
        app.open_kinds().await
    );
}

#[tokio::test]
async fn rebound_return_refunded_twice_by_rainforest_and_alchemypay() {
    let app = recon_app().await;
    let mut ret: Value =
        serde_json::from_str(&rebound_return("RB-2", "#D1", "received", "49.99")).unwrap();
    ret["refund"]["currency"] = json!("USD");
    ret["items"][0]["currency"] = json!("USD");
    app.rebound(&ret.to_string()).await.assert(200, "accepted");
    app.upsert_order(
        "#D1",
        "49.99",
        "USD",
        json!([{"kind": "merchant_order_no", "value": "ACH-D1"}]),
    )
    .await;
    app.seed_rainforest("d1", "#D1", 4999, "USD", "SUCCEEDED")
        .await;
    assert_eq!(app.state_of("#D1").await, "BALANCED");
    app.alchemypay(alchemy("ACH-D1", "ACH-R-1", "49.99", "COMPLETED"))
        .await
        .assert(200, "accepted");
    let r = &app.recon("#D1").await[0];
    assert_eq!(r["state"], "OVER_REFUNDED", "{r}");
    assert_eq!(r["refunded"]["amount"], "99.98");
    let kinds = app.open_kinds().await;
    for k in ["AMOUNT_MISMATCH", "DUPLICATE_REFUND", "OVER_REFUND"] {
        assert!(kinds.contains(&k.to_owned()), "{k}: {kinds:?}");
    }
}

#[tokio::test]
async fn unipayment_refund_that_failed_and_was_retried() {
    let app = recon_app().await;
    let mut invoice = fixture_json("unipayment/invoice_created.json");
    invoice["invoice_id"] = json!("INV-F");
    invoice["order_id"] = json!("#F1");
    invoice["price_amount"] = json!("15.00");
    app.unipayment(&invoice.to_string())
        .await
        .assert(200, "accepted");
    assert_eq!(app.state_of("#F1").await, "NO_ACTIVITY");
    app.unipayment(&unipayment_refund("UF1", "INV-F", "15.00", "Failed"))
        .await
        .assert(200, "accepted");
    assert_eq!(app.open_kinds().await, vec!["FAILED_REFUND"]);
    app.unipayment(&unipayment_refund("UF2", "INV-F", "15.00", "Completed"))
        .await
        .assert(200, "accepted");
    assert!(
        app.open_kinds().await.is_empty(),
        "{:?}",
        app.open_kinds().await
    );
    assert_eq!(app.state_of("#F1").await, "BALANCED");
}

#[tokio::test]
async fn refund_whose_order_is_imported_later_is_orphan_until_then() {
    let app = recon_app().await;
    app.seed_rainforest("o1", "#LATE", 1000, "USD", "SUCCEEDED")
        .await;
    assert_eq!(app.open_kinds().await, vec!["ORPHAN_REFUND"]);
    let o = app.upsert_order("#LATE", "10.00", "USD", json!([])).await;
    assert_eq!(o["orderNumber"], "#LATE");
    assert!(
        app.open_kinds().await.is_empty(),
        "{:?}",
        app.open_kinds().await
    );
    assert_eq!(app.state_of("#LATE").await, "BALANCED");
    let v = app
        .graphql("{ discrepancies(filter: {kind: [ORPHAN_REFUND]}) { edges { node { status history { status actor note } } } } }", json!({}))
        .await;
    let h = &v["data"]["discrepancies"]["edges"][0]["node"];
    assert_eq!(h["status"], "RESOLVED", "{v}");
    assert_eq!(h["history"][1]["actor"], "system");
}

#[tokio::test]
async fn refund_in_another_currency_is_a_mismatch() {
    let app = recon_app().await;
    app.upsert_order("#CUR", "100.00", "USD", json!([])).await;
    app.seed_rainforest("c1", "#CUR", 2000, "EUR", "SUCCEEDED")
        .await;
    let rows = app.recon("#CUR").await;
    let eur = rows.iter().find(|r| r["currency"] == "EUR").unwrap();
    assert_eq!(eur["state"], "MISMATCH", "{rows:?}");
    assert!(
        app.open_kinds()
            .await
            .contains(&"CURRENCY_MISMATCH".to_owned())
    );
}

#[tokio::test]
async fn refunds_without_a_known_total_are_unverified_and_orders_alone_have_no_activity() {
    let app = recon_app().await;
    app.rebound(&rebound_return("RB-U", "#U1", "created", "10.00"))
        .await
        .assert(200, "accepted");
    assert_eq!(app.state_of("#U1").await, "NO_ACTIVITY");
    app.seed_rainforest("u1", "#U1", 1000, "EUR", "SUCCEEDED")
        .await;
    assert_eq!(app.state_of("#U1").await, "UNVERIFIED");
}

#[tokio::test]
async fn a_refund_pending_past_its_limit_is_stuck() {
    let mut raw = test_config();
    raw.stuck_after = Some("0s".into());
    let app = spawn_app_with(raw).await;
    app.seed_rainforest("s1", "#S1", 1000, "USD", "PROCESSING")
        .await;
    assert!(app.open_kinds().await.contains(&"STUCK_REFUND".to_owned()));
    app.seed_rainforest("s1", "#S1", 1000, "USD", "SUCCEEDED")
        .await;
    assert!(!app.open_kinds().await.contains(&"STUCK_REFUND".to_owned()));
}

#[tokio::test]
async fn the_periodic_sweep_raises_time_based_discrepancies() {
    let mut raw = test_config();
    raw.orphan_grace = Some("1s".into());
    raw.sweep_interval = Some("1s".into());
    let app = spawn_app_with(raw).await;
    app.seed_rainforest("w1", "#NOPE", 1000, "USD", "SUCCEEDED")
        .await;
    assert!(app.open_kinds().await.is_empty());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        if app.open_kinds().await == vec!["ORPHAN_REFUND"] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the sweep never raised ORPHAN_REFUND"
        );
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
}

#[tokio::test]
async fn reconciliation_list_filters_by_state_currency_and_provider() {
    let app = recon_app().await;
    app.upsert_order("#L1", "10.00", "USD", json!([])).await;
    app.upsert_order("#L2", "10.00", "USD", json!([])).await;
    app.upsert_order("#L3", "10.00", "EUR", json!([])).await;
    app.seed_rainforest("l1", "#L1", 1000, "USD", "PROCESSING")
        .await;
    app.unipayment(&unipayment_refund("l3", "INV-L3", "5.00", "Completed"))
        .await
        .assert(200, "accepted");
    let q = "query($f: ReconciliationFilter, $a: String) { reconciliation(filter: $f, first: 1, after: $a) {
               totalCount edges { cursor node { order { orderNumber } currency state } } pageInfo { hasNextPage endCursor } } }";
    let v = app
        .graphql(q, json!({"f": {"state": ["NO_ACTIVITY"]}}))
        .await;
    assert_eq!(v["data"]["reconciliation"]["totalCount"], 2, "{v}");
    let a = v["data"]["reconciliation"]["pageInfo"]["endCursor"].clone();
    let v2 = app
        .graphql(q, json!({"f": {"state": ["NO_ACTIVITY"]}, "a": a}))
        .await;
    let first = v["data"]["reconciliation"]["edges"][0]["node"]["order"]["orderNumber"].clone();
    let second = v2["data"]["reconciliation"]["edges"][0]["node"]["order"]["orderNumber"].clone();
    assert_ne!(first, second, "{v} {v2}");
    assert_eq!(
        v2["data"]["reconciliation"]["pageInfo"]["hasNextPage"],
        false
    );
    let v = app
        .graphql(q, json!({"f": {"provider": ["RAINFOREST"]}}))
        .await;
    assert_eq!(
        v["data"]["reconciliation"]["edges"][0]["node"]["state"], "PENDING",
        "{v}"
    );
    let v = app.graphql(q, json!({"f": {"currency": "EUR"}})).await;
    assert_eq!(v["data"]["reconciliation"]["totalCount"], 1, "{v}");
}

#[tokio::test]
async fn reconciliation_summary_by_currency_state_and_provider() {
    let app = recon_app().await;
    app.upsert_order("#S1", "10.00", "USD", json!([])).await;
    app.upsert_order("#S2", "20.00", "USD", json!([])).await;
    app.upsert_order("#S3", "30.00", "EUR", json!([])).await;
    app.seed_rainforest("s1", "#S1", 1000, "USD", "SUCCEEDED")
        .await;
    app.seed_rainforest("s2", "#S2", 500, "USD", "PROCESSING")
        .await;
    let v = app
        .graphql("{ reconciliationSummary { currency state orders refunded { amount } pendingRefund { amount } } }", json!({}))
        .await;
    let rows = v["data"]["reconciliationSummary"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"));
    let find = |c: &str, s: &str| {
        rows.iter()
            .find(|r| r["currency"] == c && r["state"] == s)
            .cloned()
    };
    assert_eq!(
        find("USD", "BALANCED").unwrap()["refunded"]["amount"],
        "10.00",
        "{v}"
    );
    assert_eq!(
        find("USD", "PENDING").unwrap()["pendingRefund"]["amount"],
        "5.00"
    );
    assert_eq!(find("EUR", "NO_ACTIVITY").unwrap()["orders"], 1);
    let v = app
        .graphql(
            "{ reconciliationSummary(byProvider: true) { provider currency state orders } }",
            json!({}),
        )
        .await;
    let rows = v["data"]["reconciliationSummary"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    assert!(rows.iter().all(|r| r["provider"] == "RAINFOREST"));
}

/// The export (one ordered pass, classified in Rust) and the paged list (windows
/// classified in SQL) are two implementations of one report: every row must agree.
#[tokio::test]
async fn the_export_and_the_paged_list_agree_row_for_row() {
    use futures::TryStreamExt;
    use rust_decimal::Decimal;
    let app = recon_app().await;
    // A refund in another currency: a row per currency.
    app.upsert_order("#G1", "100.00", "USD", json!([])).await;
    app.seed_rainforest("g1", "#G1", 2000, "EUR", "SUCCEEDED")
        .await;
    // Owed by a return, partly refunded, partly in flight.
    app.rebound(&rebound_return("RB-G2", "#G2", "received", "50.00"))
        .await
        .assert(200, "accepted");
    app.upsert_order("#G2", "80.00", "EUR", json!([])).await;
    app.seed_rainforest("g2a", "#G2", 2000, "EUR", "SUCCEEDED")
        .await;
    app.seed_rainforest("g2b", "#G2", 3000, "EUR", "PROCESSING")
        .await;
    // No known total.
    app.rebound(&rebound_return("RB-G3", "#G3", "created", "10.00"))
        .await
        .assert(200, "accepted");
    app.seed_rainforest("g3", "#G3", 1000, "EUR", "SUCCEEDED")
        .await;
    // Nothing at all, over-refunded, failed, and an orphan that belongs to no row.
    app.upsert_order("#G4", "10.00", "USD", json!([])).await;
    app.upsert_order("#G5", "10.00", "USD", json!([])).await;
    app.seed_rainforest("g5", "#G5", 1500, "USD", "SUCCEEDED")
        .await;
    app.upsert_order("#G6", "12.34", "GBP", json!([])).await;
    app.seed_rainforest("g6", "#G6", 1234, "GBP", "FAILED")
        .await;
    app.seed_rainforest("g7", "#NOWHERE", 700, "USD", "SUCCEEDED")
        .await;

    let dec = |v: &Value| -> Option<Decimal> { v.as_str().map(|s| s.parse().unwrap()) };
    let csv_dec = |s: &str| -> Option<Decimal> { (!s.is_empty()).then(|| s.parse().unwrap()) };
    type Row = (String, String, String, [Option<Decimal>; 5]);
    let listed = |filter: Value| {
        let app = &app;
        async move {
            let v = app
                .graphql(
                    "query($f: ReconciliationFilter) { reconciliation(filter: $f, first: 100) { edges { node {
                       order { orderNumber } currency state orderTotal { amount } expectedRefund { amount }
                       refunded { amount } pendingRefund { amount } outstanding { amount } } } } }",
                    json!({"f": filter}),
                )
                .await;
            assert!(v["errors"].is_null(), "{v}");
            v["data"]["reconciliation"]["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    let n = &e["node"];
                    (
                        n["order"]["orderNumber"].as_str().unwrap().to_owned(),
                        n["currency"].as_str().unwrap_or_default().to_owned(),
                        n["state"].as_str().unwrap().to_owned(),
                        [
                            dec(&n["orderTotal"]["amount"]),
                            dec(&n["expectedRefund"]["amount"]),
                            dec(&n["refunded"]["amount"]),
                            dec(&n["pendingRefund"]["amount"]),
                            dec(&n["outstanding"]["amount"]),
                        ],
                    )
                })
                .collect::<Vec<Row>>()
        }
    };
    let exported = |q: &'static str| {
        let app = &app;
        async move {
            let r = app
                .client
                .get(format!("{}/exports/reconciliation.csv{q}", app.address))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let text = r.text().await.unwrap();
            let mut reader = csv::Reader::from_reader(text.as_bytes());
            reader
                .records()
                .map(|rec| {
                    let rec = rec.unwrap();
                    (
                        rec[1].to_owned(),
                        rec[2].to_owned(),
                        rec[3].to_owned(),
                        [4, 5, 6, 7, 8].map(|i| csv_dec(&rec[i])),
                    )
                })
                .collect::<Vec<Row>>()
        }
    };
    let all = exported("").await;
    assert_eq!(all, listed(json!({})).await);
    // The same rows when read two orders at a time (windows on SQLite, batches on PostgreSQL).
    let small: Vec<Row> = refund_recon::reconcile::scan::batches(
        app.db.clone(),
        rust_decimal::Decimal::new(1, 2),
        Default::default(),
        2,
    )
    .map_ok(|rows| futures::stream::iter(rows.into_iter().map(Ok::<_, sea_orm::DbErr>)))
    .try_flatten()
    .map_ok(|r| {
        let p = &r.position;
        (
            r.order_number.unwrap_or_default(),
            p.currency.clone().unwrap_or_default(),
            r.state.as_str().to_owned(),
            [
                p.total,
                Some(p.expected),
                Some(p.refunded),
                Some(p.pending),
                Some(p.outstanding()),
            ],
        )
    })
    .try_collect()
    .await
    .unwrap();
    assert_eq!(small, all);
    // Every story above is in it: both currencies of #G1, and no row for the orphan.
    let states: Vec<(&str, &str, &str)> = all
        .iter()
        .map(|(n, c, s, _)| (n.as_str(), c.as_str(), s.as_str()))
        .collect();
    for want in [
        ("#G1", "EUR", "MISMATCH"),
        ("#G1", "USD", "NO_ACTIVITY"),
        ("#G2", "EUR", "PENDING"),
        ("#G3", "EUR", "UNVERIFIED"),
        ("#G4", "USD", "NO_ACTIVITY"),
        ("#G5", "USD", "OVER_REFUNDED"),
    ] {
        assert!(states.contains(&want), "{want:?} not in {states:?}");
    }
    assert!(!states.iter().any(|(n, _, _)| *n == "#NOWHERE"));
    assert_eq!(
        exported("?state=NO_ACTIVITY,MISMATCH").await,
        listed(json!({"state": ["NO_ACTIVITY", "MISMATCH"]})).await
    );
    assert_eq!(
        exported("?currency=eur").await,
        listed(json!({"currency": "EUR"})).await
    );
    assert_eq!(
        exported("?provider=RAINFOREST").await,
        listed(json!({"provider": ["RAINFOREST"]})).await
    );
}
