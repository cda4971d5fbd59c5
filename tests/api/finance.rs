//! Finance workflows: the discrepancy queue, linking refunds, the order book, exports.

use std::process::Command;

use serde_json::json;

use crate::{helpers::*, reconciliation::recon_app};

const VIEWER: &str = "viewer-key-0001";
const FINANCE: &str = "finance-key-0001";

async fn keyed_app() -> TestApp {
    let mut raw = test_config();
    raw.api_keys = Some(format!("viewer:{VIEWER},finance:{FINANCE}"));
    raw.orphan_grace = Some("0s".into());
    spawn_app_with(raw).await
}

#[tokio::test]
async fn finance_works_a_discrepancy_through_its_lifecycle_with_an_audit_trail() {
    let app = keyed_app().await;
    app.seed_rainforest("x1", "#X", 1000, "USD", "SUCCEEDED")
        .await;
    let v = app
        .graphql_as(Some(VIEWER), "{ discrepancies { edges { node { id kind status amount { amount currency } refund { providerRefundId } detail } } } }", json!({}))
        .await;
    let d = &v["data"]["discrepancies"]["edges"][0]["node"];
    assert_eq!(d["kind"], "ORPHAN_REFUND", "{v}");
    assert_eq!(d["amount"], json!({"amount": "10.00", "currency": "USD"}));
    assert_eq!(d["refund"]["providerRefundId"], "x1");
    let id = d["id"].as_str().unwrap().to_owned();
    let m = "mutation($id: ID!, $s: DiscrepancyStatus!, $n: String) { updateDiscrepancy(id: $id, status: $s, note: $n) { status history { status note actor } } }";
    // A viewer may not.
    let v = app
        .graphql_as(Some(VIEWER), m, json!({"id": id, "s": "ACKNOWLEDGED"}))
        .await;
    assert_eq!(error_code(&v), Some("FORBIDDEN"), "{v}");
    let v = app
        .graphql_as(
            Some(FINANCE),
            m,
            json!({"id": id, "s": "ACKNOWLEDGED", "n": "asking the shop"}),
        )
        .await;
    assert_eq!(
        v["data"]["updateDiscrepancy"]["status"], "ACKNOWLEDGED",
        "{v}"
    );
    let v = app
        .graphql_as(
            Some(FINANCE),
            m,
            json!({"id": id, "s": "IGNORED", "n": "test order"}),
        )
        .await;
    let h = &v["data"]["updateDiscrepancy"]["history"];
    assert_eq!(
        h[1],
        json!({"status": "ACKNOWLEDGED", "note": "asking the shop", "actor": "finance"})
    );
    assert_eq!(h[2]["status"], "IGNORED");
    // IGNORED → ACKNOWLEDGED is not a move of the lifecycle.
    let v = app
        .graphql_as(Some(FINANCE), m, json!({"id": id, "s": "ACKNOWLEDGED"}))
        .await;
    assert_eq!(error_code(&v), Some("BAD_USER_INPUT"), "{v}");
    let v = app
        .graphql_as(Some(FINANCE), m, json!({"id": "999999", "s": "RESOLVED"}))
        .await;
    assert_eq!(error_code(&v), Some("NOT_FOUND"), "{v}");
}

#[tokio::test]
async fn link_refund_attaches_an_orphan_and_closes_its_discrepancy() {
    let app = keyed_app().await;
    app.seed_rainforest("y1", "#WRONG", 1000, "USD", "SUCCEEDED")
        .await;
    let order = app
        .graphql_as(
            Some(FINANCE),
            "mutation { upsertOrders(orders: [{orderNumber: \"#RIGHT\", total: \"10.00\", currency: \"USD\"}]) { orders { id } } }",
            json!({}),
        )
        .await;
    let order_id = order["data"]["upsertOrders"]["orders"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let refund = app
        .graphql_as(
            Some(VIEWER),
            "{ refunds { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let refund_id = refund["data"]["refunds"]["edges"][0]["node"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = "mutation($r: ID!, $o: ID!) { linkRefund(refundId: $r, orderId: $o) { order { orderNumber refs { kind value } } } }";
    let v = app
        .graphql_as(Some(VIEWER), m, json!({"r": refund_id, "o": order_id}))
        .await;
    assert_eq!(error_code(&v), Some("FORBIDDEN"));
    let v = app
        .graphql_as(Some(FINANCE), m, json!({"r": refund_id, "o": order_id}))
        .await;
    assert_eq!(
        v["data"]["linkRefund"]["order"]["orderNumber"], "#RIGHT",
        "{v}"
    );
    assert!(
        v["data"]["linkRefund"]["order"]["refs"]
            .to_string()
            .contains("rainforest_payin")
    );
    let v = app
        .graphql_as(
            Some(VIEWER),
            "{ discrepancies(filter: {status: [OPEN]}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(v["data"]["discrepancies"]["totalCount"], 0, "{v}");
    let v = app
        .graphql_as(Some(FINANCE), m, json!({"r": refund_id, "o": "424242"}))
        .await;
    assert_eq!(error_code(&v), Some("NOT_FOUND"));
}

#[tokio::test]
async fn upsert_orders_validates_adds_refs_and_never_drops_them() {
    let app = recon_app().await;
    app.upsert_order(
        "#U",
        "10.00",
        "USD",
        json!([{"kind": "shopify_order", "value": "1"}]),
    )
    .await;
    let o = app
        .upsert_order(
            "#U",
            "12.50",
            "USD",
            json!([{"kind": "erp", "value": "E1"}]),
        )
        .await;
    assert_eq!(o["total"], json!({"amount": "12.50", "currency": "USD"}));
    assert_eq!(o["refs"].as_array().unwrap().len(), 2, "{o}");
    for (total, currency) in [("-1", "USD"), ("1", "XXX1"), ("abc", "USD")] {
        let v = app
            .graphql(
                "mutation($o: [OrderInput!]!) { upsertOrders(orders: $o) { orders { id } } }",
                json!({"o": [{"orderNumber": "#V", "total": total, "currency": currency}]}),
            )
            .await;
        assert_eq!(
            error_code(&v),
            Some("BAD_USER_INPUT"),
            "{total} {currency}: {v}"
        );
    }
    assert_eq!(app.count("orders").await, 1);
}

#[tokio::test]
async fn csv_export_streams_the_report_for_finance_only() {
    let app = keyed_app().await;
    app.graphql_as(
        Some(FINANCE),
        "mutation { upsertOrders(orders: [{orderNumber: \"#E1\", total: \"10.00\", currency: \"USD\"}, {orderNumber: \"#E2\", total: \"5.00\", currency: \"USD\"}]) { orders { id } } }",
        json!({}),
    )
    .await;
    app.seed_rainforest("e1", "#E1", 1500, "USD", "SUCCEEDED")
        .await;
    let get = |key: Option<&str>, q: &str| {
        let mut r = app
            .client
            .get(format!("{}/exports/reconciliation.csv{q}", app.address));
        if let Some(k) = key {
            r = r.bearer_auth(k);
        }
        r.send()
    };
    assert_eq!(get(None, "").await.unwrap().status(), 401);
    assert_eq!(get(Some(VIEWER), "").await.unwrap().status(), 403);
    let r = get(Some(FINANCE), "").await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = r.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "order_id,order_number,currency,state,order_total,expected_refund,refunded,pending_refund,outstanding,order_currency"
    );
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        text.contains("#E1,USD,OVER_REFUNDED,10,0,15,0,-15,USD"),
        "{text}"
    );
    let text = get(Some(FINANCE), "?state=NO_ACTIVITY")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("#E2"));
    // Spreadsheet formulas are defused.
    app.graphql_as(
        Some(FINANCE),
        "mutation { upsertOrders(orders: [{orderNumber: \"=HYPERLINK(1)\", total: \"1.00\", currency: \"USD\"}]) { orders { id } } }",
        json!({}),
    )
    .await;
    let text = get(Some(FINANCE), "?state=NO_ACTIVITY")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains(",'=HYPERLINK(1),"), "{text}");
    let r = get(Some(FINANCE), "?state=BOGUS").await.unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn import_orders_and_reconcile_from_the_command_line() {
    let app = recon_app().await;
    app.seed_rainforest("i1", "#I1", 1000, "USD", "SUCCEEDED")
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("orders.csv");
    std::fs::write(
        &file,
        "order_number,total,currency,placed_at,refs\n#I1,10.00,USD,2026-11-01T00:00:00Z,shopify_order:77\n#I2,oops,USD,,\n#I3,3.00,EUR,,\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_refund-recon"))
            .args(args)
            .env("DATABASE_URL", &app.database_url)
            .env("REFUND_RECON_LOG", "warn")
            .output()
            .unwrap()
    };
    for _ in 0..2 {
        // Twice: the second import changes nothing.
        let o = run(&["import-orders", "--quiet", file.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(3), "{err}");
        assert!(err.contains("orders.csv:3:"), "{err}");
        assert!(err.contains("imported 2 orders, 1 rows rejected"), "{err}");
        assert_eq!(app.count("orders").await, 2);
    }
    assert_eq!(app.state_of("#I1").await, "BALANCED");
    let out = dir.path().join("report.csv");
    let o = run(&[
        "reconcile",
        "--sweep",
        "--output",
        out.to_str().unwrap(),
        "--currency",
        "EUR",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let report = std::fs::read_to_string(out).unwrap();
    assert_eq!(report.lines().count(), 2, "{report}");
    assert!(report.contains("#I3,EUR,NO_ACTIVITY"), "{report}");
}

#[tokio::test]
async fn the_order_book_upserts_by_number_and_never_takes_another_orders_reference() {
    let app = recon_app().await;
    app.upsert_order(
        "#999",
        "5.00",
        "USD",
        json!([{"kind": "erp", "value": "E-1"}]),
    )
    .await;
    let o = app
        .upsert_order(
            "#1001",
            "10000000000",
            "IDR",
            json!([{"kind": "erp", "value": "E-1"}]),
        )
        .await;
    assert_eq!(o["orderNumber"], "#1001");
    assert_eq!(
        o["total"],
        json!({"amount": "10000000000.00", "currency": "IDR"})
    );
    assert_eq!(app.count("orders").await, 2);
    let v = app
        .graphql(
            "{ order(orderNumber: \"#999\") { total { amount } refs { value } } }",
            json!({}),
        )
        .await;
    assert_eq!(v["data"]["order"]["total"]["amount"], "5.00", "{v}");
    // A large total in a currency of small units reconciles exactly on every database.
    app.seed_rainforest("idr", "#1001", 250_000_000, "IDR", "SUCCEEDED")
        .await;
    let r = &app.recon("#1001").await[0];
    assert_eq!(r["refunded"]["amount"], "2500000.00", "{r}");
    assert_eq!(r["state"], "BALANCED");
}
