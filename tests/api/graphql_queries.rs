//! Every query, filter and ordering through real HTTP.

use serde_json::{Value, json};

use crate::{
    helpers::*,
    seed::{rebound_return, unipayment_refund},
    webhooks::fixture,
};

fn ids(v: &Value, field: &str) -> Vec<String> {
    v["data"][field]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"))
        .iter()
        .map(|e| {
            e["node"]["providerRefundId"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

async fn seeded() -> TestApp {
    let app = spawn_app().await;
    app.seed_rainforest("r1", "#A1", 1000, "USD", "SUCCEEDED")
        .await;
    app.seed_rainforest("r2", "#A2", 2550, "USD", "CREATED")
        .await;
    app.seed_rainforest("r3", "#A3", 10, "EUR", "FAILED").await;
    app.unipayment(&unipayment_refund("u1", "inv1", "0.20", "Completed"))
        .await
        .assert(200, "accepted");
    app.unipayment(&unipayment_refund("u2", "inv2", "0.10", "Completed"))
        .await
        .assert(200, "accepted");
    app
}

const REFUND_IDS: &str = "edges { node { providerRefundId } } totalCount";

#[tokio::test]
async fn refunds_filter_by_provider_status_currency_and_order_number() {
    let app = seeded().await;
    let q = |f: &str| {
        format!(
            "{{ refunds(filter: {f}, orderBy: {{field: AMOUNT, direction: ASC}}) {{ {REFUND_IDS} }} }}"
        )
    };
    let v = app.graphql(&q("{provider: [UNIPAYMENT]}"), json!({})).await;
    assert_eq!(ids(&v, "refunds"), ["u2", "u1"]);
    assert_eq!(v["data"]["refunds"]["totalCount"], 2);
    let v = app.graphql(&q("{status: [SUCCEEDED]}"), json!({})).await;
    assert_eq!(ids(&v, "refunds"), ["u2", "u1", "r1"]);
    let v = app.graphql(&q("{currency: \"eur\"}"), json!({})).await;
    assert_eq!(ids(&v, "refunds"), ["r3"]);
    let v = app.graphql(&q("{orderNumber: \"#A2\"}"), json!({})).await;
    assert_eq!(ids(&v, "refunds"), ["r2"]);
    let v = app
        .graphql(
            &q("{provider: [RAINFOREST], status: [SUCCEEDED, PENDING]}"),
            json!({}),
        )
        .await;
    assert_eq!(ids(&v, "refunds"), ["r1", "r2"]);
}

#[tokio::test]
async fn refunds_filter_by_amount_range_and_creation_time() {
    let app = seeded().await;
    let v = app
        .graphql(
            &format!("{{ refunds(filter: {{minAmount: \"0.20\", maxAmount: \"10.00\"}}, orderBy: {{field: AMOUNT}}) {{ {REFUND_IDS} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(ids(&v, "refunds"), ["r1", "u1"]);
    let v = app
        .graphql(
            &format!("{{ refunds(filter: {{createdAfter: \"2000-01-01T00:00:00Z\", createdBefore: \"2001-01-01T00:00:00Z\"}}) {{ {REFUND_IDS} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(v["data"]["refunds"]["totalCount"], 0);
    let v = app
        .graphql(
            &format!("{{ refunds(filter: {{createdAfter: \"2000-01-01T00:00:00Z\"}}) {{ {REFUND_IDS} }} }}"),
            json!({}),
        )
        .await;
    assert_eq!(v["data"]["refunds"]["totalCount"], 5);
    // Money is a string: a number is refused rather than read through a float.
    let v = app
        .graphql(
            "{ refunds(filter: {minAmount: 0.2}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&v), Some("BAD_USER_INPUT"), "{v}");
}

#[tokio::test]
async fn refunds_order_by_created_updated_and_amount_both_ways() {
    let app = seeded().await;
    let order = |o: &str| format!("{{ refunds(orderBy: {o}) {{ {REFUND_IDS} }} }}");
    let v = app
        .graphql(&order("{field: CREATED_AT, direction: ASC}"), json!({}))
        .await;
    assert_eq!(ids(&v, "refunds"), ["r1", "r2", "r3", "u1", "u2"]);
    let v = app.graphql(&order("{field: CREATED_AT}"), json!({})).await;
    assert_eq!(ids(&v, "refunds"), ["u2", "u1", "r3", "r2", "r1"]);
    let v = app
        .graphql(&order("{field: UPDATED_AT, direction: DESC}"), json!({}))
        .await;
    assert_eq!(ids(&v, "refunds"), ["u2", "u1", "r3", "r2", "r1"]);
    let v = app
        .graphql(&order("{field: AMOUNT, direction: DESC}"), json!({}))
        .await;
    // Equal amounts (0.10 EUR, 0.10 USD) are ordered by id, the same direction.
    assert_eq!(ids(&v, "refunds"), ["r2", "r1", "u1", "u2", "r3"]);
}

#[tokio::test]
async fn pages_stay_correct_while_new_refunds_arrive() {
    let app = spawn_app().await;
    for i in 0..5 {
        app.seed_rainforest(&format!("p{i}"), "#P", 100 + i, "USD", "CREATED")
            .await;
    }
    for order in ["{field: CREATED_AT}", "{field: AMOUNT, direction: ASC}"] {
        let page = |after: Option<String>| {
            let app = &app;
            let order = order.to_owned();
            async move {
                app.graphql(
                    &format!("query($after: String) {{ refunds(first: 2, after: $after, orderBy: {order}) {{ {REFUND_IDS} pageInfo {{ hasNextPage endCursor }} }} }}"),
                    json!({ "after": after }),
                )
                .await
            }
        };
        let mut seen = Vec::new();
        let mut after = None;
        let mut pages = 0;
        loop {
            let v = page(after.clone()).await;
            seen.extend(ids(&v, "refunds"));
            pages += 1;
            if pages == 1 {
                // New refunds arrive between page 1 and page 2.
                app.seed_rainforest(&format!("new{order}"), "#P", 1, "USD", "CREATED")
                    .await;
            }
            let info = &v["data"]["refunds"]["pageInfo"];
            if info["hasNextPage"] != true {
                break;
            }
            after = info["endCursor"].as_str().map(str::to_owned);
        }
        let originals: Vec<&String> = seen.iter().filter(|s| s.starts_with('p')).collect();
        assert_eq!(originals.len(), 5, "{order}: {seen:?}");
        let mut dedup = seen.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), seen.len(), "no refund twice: {seen:?}");
    }
}

#[tokio::test]
async fn pages_of_several_providers_and_statuses_follow_the_full_order() {
    // Several providers × statuses are read as one ordered range each, then merged.
    let app = seeded().await;
    app.seed_rainforest("r4", "#A4", 500, "USD", "SUCCEEDED")
        .await;
    app.seed_rainforest("r5", "#A5", 700, "GBP", "CREATED")
        .await;
    let wanted = ["r1", "r2", "r4", "r5", "u1", "u2"];
    for dir in ["DESC", "ASC"] {
        let all = app
            .graphql(
                &format!("{{ refunds(first: 50, orderBy: {{field: CREATED_AT, direction: {dir}}}) {{ {REFUND_IDS} }} }}"),
                json!({}),
            )
            .await;
        let expected: Vec<String> = ids(&all, "refunds")
            .into_iter()
            .filter(|id| wanted.contains(&id.as_str()))
            .collect();
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let v = app
                .graphql(
                    &format!("query($after: String) {{ refunds(first: 1, after: $after, orderBy: {{field: CREATED_AT, direction: {dir}}}, filter: {{provider: [UNIPAYMENT, RAINFOREST], status: [SUCCEEDED, PENDING, SUCCEEDED]}}) {{ {REFUND_IDS} pageInfo {{ hasNextPage endCursor }} }} }}"),
                    json!({ "after": after }),
                )
                .await;
            assert_eq!(v["data"]["refunds"]["totalCount"], 6, "{v}");
            seen.extend(ids(&v, "refunds"));
            let info = &v["data"]["refunds"]["pageInfo"];
            if info["hasNextPage"] != true {
                break;
            }
            after = info["endCursor"].as_str().map(str::to_owned);
        }
        assert_eq!(seen, expected, "{dir}");
    }
}

#[tokio::test]
async fn a_bad_cursor_is_bad_user_input() {
    let app = spawn_app().await;
    let v = app
        .graphql("{ refunds(after: \"garbage\") { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&v), Some("BAD_USER_INPUT"), "{v}");
    let v = app
        .graphql("{ refunds(first: -1) { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&v), Some("BAD_USER_INPUT"), "{v}");
}

#[tokio::test]
async fn order_by_id_or_number_with_refs_returns_and_refunds() {
    let app = spawn_app().await;
    app.rebound(&rebound_return("RB-1", "#1001", "received", "49.99"))
        .await
        .assert(200, "accepted");
    app.rainforest(&fixture("rainforest/created.json"))
        .await
        .assert(200, "accepted");
    let query = "query($n: String, $id: ID) { order(orderNumber: $n, id: $id) { id orderNumber refs { kind value }
        returns { providerReturnId status providerStatus expectedRefund { amount currency }
                  items { sku quantity unitPrice { amount currency } condition } order { orderNumber } }
        refunds { providerRefundId status } } }";
    let v = app.graphql(query, json!({"n": "#1001"})).await;
    let o = &v["data"]["order"];
    assert_eq!(o["orderNumber"], "#1001", "{v}");
    assert_eq!(o["returns"][0]["status"], "RECEIVED");
    assert_eq!(
        o["returns"][0]["expectedRefund"],
        json!({"amount": "49.99", "currency": "EUR"})
    );
    assert_eq!(o["returns"][0]["items"][0]["sku"], "TEE-M");
    assert_eq!(o["returns"][0]["order"]["orderNumber"], "#1001");
    assert_eq!(
        o["refunds"][0]["providerRefundId"],
        "rfd_2sPMefai6yWsyp4MSGUkAo32pp7"
    );
    let id = o["id"].as_str().unwrap().to_owned();
    let v = app.graphql(query, json!({"id": id})).await;
    assert_eq!(v["data"]["order"]["orderNumber"], "#1001");
    let v = app.graphql(query, json!({"id": id, "n": "#1001"})).await;
    assert_eq!(error_code(&v), Some("BAD_USER_INPUT"));
    let v = app.graphql(query, json!({"n": "#nope"})).await;
    assert!(v["data"]["order"].is_null());
}

#[tokio::test]
async fn orders_and_returns_lists_filter_and_paginate() {
    let app = spawn_app().await;
    for (i, ev) in ["created", "received", "graded"].iter().enumerate() {
        app.rebound(&rebound_return(
            &format!("RB-{i}"),
            &format!("#O{i}"),
            ev,
            "10.00",
        ))
        .await
        .assert(200, "accepted");
    }
    app.seed_rainforest("rf", "#O1", 1000, "EUR", "SUCCEEDED")
        .await;
    let v = app
        .graphql("{ orders(first: 2) { totalCount edges { node { orderNumber } } pageInfo { hasNextPage endCursor } } }", json!({}))
        .await;
    assert_eq!(v["data"]["orders"]["totalCount"], 3, "{v}");
    assert_eq!(
        v["data"]["orders"]["edges"][0]["node"]["orderNumber"],
        "#O2"
    );
    let after = v["data"]["orders"]["pageInfo"]["endCursor"]
        .as_str()
        .unwrap();
    let v = app
        .graphql("query($a: String) { orders(first: 2, after: $a) { edges { node { orderNumber } } pageInfo { hasNextPage } } }", json!({"a": after}))
        .await;
    assert_eq!(
        v["data"]["orders"]["edges"][0]["node"]["orderNumber"],
        "#O0"
    );
    assert_eq!(v["data"]["orders"]["pageInfo"]["hasNextPage"], false);
    let v = app
        .graphql(
            "{ orders(filter: {provider: [RAINFOREST]}) { edges { node { orderNumber } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        v["data"]["orders"]["edges"][0]["node"]["orderNumber"],
        "#O1"
    );
    let v = app
        .graphql("{ returns(filter: {status: [RECEIVED, INSPECTED], provider: [REBOUND]}) { totalCount edges { node { providerReturnId status } } } }", json!({}))
        .await;
    assert_eq!(v["data"]["returns"]["totalCount"], 2, "{v}");
    let v = app
        .graphql(
            "{ returns(filter: {orderNumber: \"#O0\"}) { edges { node { status } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        v["data"]["returns"]["edges"][0]["node"]["status"],
        "REQUESTED"
    );
}

#[tokio::test]
async fn refund_summary_totals_are_exact_and_grouped() {
    let app = seeded().await;
    let v = app
        .graphql("{ refundSummary(groupBy: [PROVIDER, STATUS]) { provider status currency count total { amount currency } } }", json!({}))
        .await;
    let rows = v["data"]["refundSummary"]
        .as_array()
        .unwrap_or_else(|| panic!("{v}"));
    let find = |p: &str, s: &str| {
        rows.iter()
            .find(|r| r["provider"] == p && r["status"] == s)
            .unwrap_or_else(|| panic!("{p} {s}: {v}"))
    };
    // 0.20 + 0.10 summed exactly (a float sum would give 0.30000000000000004).
    assert_eq!(
        find("UNIPAYMENT", "SUCCEEDED")["total"],
        json!({"amount": "0.30", "currency": "USD"})
    );
    assert_eq!(find("UNIPAYMENT", "SUCCEEDED")["count"], 2);
    assert_eq!(find("RAINFOREST", "FAILED")["total"]["currency"], "EUR");
    let v = app
        .graphql("{ refundSummary(groupBy: [CURRENCY], filter: {status: [SUCCEEDED]}) { provider currency count total { amount } } }", json!({}))
        .await;
    assert_eq!(
        v["data"]["refundSummary"],
        json!([{"provider": null, "currency": "USD", "count": 3, "total": {"amount": "10.30"}}])
    );
    // Not grouped by currency: totals still never mix currencies.
    let v = app
        .graphql(
            "{ refundSummary(groupBy: [PROVIDER]) { provider currency count } }",
            json!({}),
        )
        .await;
    assert_eq!(
        v["data"]["refundSummary"].as_array().unwrap().len(),
        3,
        "{v}"
    );
}

#[tokio::test]
async fn webhook_events_list_filters_by_outcome_and_provider() {
    let app = spawn_app().await;
    app.unipayment(&fixture("unipayment/refund_approved.json"))
        .await
        .assert(200, "accepted");
    app.unipayment(&fixture("unipayment/unknown_ipn_type.json"))
        .await
        .assert(422, "unprocessable");
    app.rainforest(&fixture("rainforest/created.json"))
        .await
        .assert(200, "accepted");
    let v = app
        .graphql("{ webhookEvents(filter: {outcome: [REJECTED]}) { totalCount edges { node { provider outcome error eventType idempotencyKey receivedAt } } } }", json!({}))
        .await;
    assert_eq!(v["data"]["webhookEvents"]["totalCount"], 1, "{v}");
    let e = &v["data"]["webhookEvents"]["edges"][0]["node"];
    assert_eq!(e["provider"], "UNIPAYMENT");
    assert!(e["error"].as_str().unwrap().contains("ipn_type"));
    let v = app
        .graphql("{ webhookEvents(filter: {provider: [RAINFOREST]}) { totalCount edges { node { eventType } } } }", json!({}))
        .await;
    assert_eq!(
        v["data"]["webhookEvents"]["edges"][0]["node"]["eventType"],
        "refund.created"
    );
}

#[tokio::test]
async fn refund_summary_sums_negative_tiny_missing_and_updated_amounts_exactly() {
    use sea_orm::ConnectionTrait;
    let app = spawn_app().await;
    let ts = "2026-11-20T10:00:00+00:00";
    let values: Vec<String> = [("a", "'-0.5'"), ("b", "'12'"), ("c", "'0.000001'"), ("d", "NULL")]
        .iter()
        .map(|(id, amount)| {
            format!("('baback', 'sum-{id}', 'SUCCEEDED', 'SUCCEEDED', '{ts}', {amount}, 'USD', '{{}}', '{ts}', '{ts}')")
        })
        .collect();
    app.db
        .execute_unprepared(&format!(
            "INSERT INTO refunds (provider, provider_refund_id, status, provider_status, status_occurred_at, amount, currency, details, created_at, updated_at) VALUES {}",
            values.join(", ")
        ))
        .await
        .unwrap();
    // A later change of an amount is summed as changed.
    app.db
        .execute_unprepared(
            "UPDATE refunds SET amount = '12.25' WHERE provider_refund_id = 'sum-b'",
        )
        .await
        .unwrap();
    let v = app
        .graphql("{ refundSummary(filter: {provider: [BABACK]}, groupBy: [PROVIDER]) { count total { amount currency } } }", json!({}))
        .await;
    let row = &v["data"]["refundSummary"][0];
    assert_eq!(row["count"], 4, "{v}");
    let total: rust_decimal::Decimal = row["total"]["amount"].as_str().unwrap().parse().unwrap();
    assert_eq!(total, "11.750001".parse().unwrap(), "{v}");
}
