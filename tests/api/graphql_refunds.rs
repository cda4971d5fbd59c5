//! The first query over real data: `refund` and `refunds` read the table.

use serde_json::json;

use crate::helpers::{error_code, spawn_app};

#[tokio::test]
async fn refunds_of_an_empty_ledger_is_an_empty_connection() {
    let app = spawn_app().await;
    let v = app
        .graphql(
            "{ refunds { totalCount edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }",
            json!({}),
        )
        .await;
    assert_eq!(v["data"]["refunds"]["totalCount"], 0, "{v}");
    assert_eq!(v["data"]["refunds"]["pageInfo"]["hasNextPage"], false);
}

#[tokio::test]
async fn unknown_refund_is_null_and_a_bad_id_is_bad_user_input() {
    let app = spawn_app().await;
    let v = app
        .graphql("{ refund(id: \"999\") { id } }", json!({}))
        .await;
    assert!(v["data"]["refund"].is_null(), "{v}");
    let v = app
        .graphql("{ refund(id: \"abc\") { id } }", json!({}))
        .await;
    assert_eq!(error_code(&v), Some("BAD_USER_INPUT"), "{v}");
}

#[tokio::test]
async fn a_page_larger_than_the_limit_is_refused_not_clamped() {
    let app = spawn_app().await;
    let v = app
        .graphql("{ refunds(first: 201) { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&v), Some("BAD_USER_INPUT"), "{v}");
}

/// A page over several providers × statuses (merged index ranges, rows read by id) with
/// each refund's order read for the whole page at once: right rows, right orders, newest
/// first, every refund once across pages, and no statement per row.
#[tokio::test]
async fn pages_over_several_statuses_carry_their_orders_and_cost_the_same_at_any_size() {
    let app = spawn_app().await;
    app.upsert_order("#Q1", "100.00", "USD", json!([])).await;
    app.upsert_order("#Q2", "100.00", "USD", json!([])).await;
    let seeded = [
        ("q1", "#Q1", "SUCCEEDED"),
        ("q2", "#Q1", "PROCESSING"),
        ("q3", "#Q2", "SUCCEEDED"),
        ("q4", "#NONE", "SUCCEEDED"),
        ("q5", "#Q2", "FAILED"),
        ("q6", "#Q2", "PROCESSING"),
    ];
    for (id, order, status) in seeded {
        app.seed_rainforest(id, order, 1000, "USD", status).await;
    }
    let q = "query($a: String, $n: Int) { refunds(filter: {provider: [RAINFOREST], status: [SUCCEEDED, PROCESSING]}, first: $n, after: $a) {
               edges { node { providerRefundId order { orderNumber } } } pageInfo { hasNextPage endCursor } } }";
    let page = |n: i64, after: serde_json::Value| {
        let app = &app;
        async move {
            let before = app.statements.load(std::sync::atomic::Ordering::Relaxed);
            let v = app.graphql(q, json!({"n": n, "a": after})).await;
            assert!(v["errors"].is_null(), "{v}");
            let used = app.statements.load(std::sync::atomic::Ordering::Relaxed) - before;
            (v["data"]["refunds"].clone(), used)
        }
    };
    // Newest first; FAILED is filtered out; the orphan has no order.
    let (all, used_all) = page(10, serde_json::Value::Null).await;
    let got: Vec<(String, serde_json::Value)> = all["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["node"]["providerRefundId"].as_str().unwrap().to_owned(),
                e["node"]["order"]["orderNumber"].clone(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("q6".to_owned(), json!("#Q2")),
            ("q4".to_owned(), serde_json::Value::Null),
            ("q3".to_owned(), json!("#Q2")),
            ("q2".to_owned(), json!("#Q1")),
            ("q1".to_owned(), json!("#Q1")),
        ]
    );
    // A page of one costs the statements a page of five does.
    let (one, used_one) = page(1, serde_json::Value::Null).await;
    assert_eq!(used_one, used_all);
    // Walking one at a time meets every refund once, in the same order.
    let mut walked = vec![one["edges"][0]["node"]["providerRefundId"].clone()];
    let mut after = one["pageInfo"]["endCursor"].clone();
    while walked.len() < 10 {
        let (p, _) = page(1, after.clone()).await;
        if let Some(e) = p["edges"].as_array().and_then(|a| a.first()) {
            walked.push(e["node"]["providerRefundId"].clone());
        }
        if p["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = p["pageInfo"]["endCursor"].clone();
    }
    assert_eq!(
        walked,
        json!(["q6", "q4", "q3", "q2", "q1"])
            .as_array()
            .unwrap()
            .clone()
    );
}
