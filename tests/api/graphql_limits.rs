//! Depth, complexity and page-size limits, and the N+1 guard.

use std::sync::atomic::Ordering;

use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_query_deeper_than_the_limit_is_refused() {
    let app = spawn_app().await;
    // refunds > edges > node > order > refunds > order > refunds > order > refunds > order > refunds > order > id
    let deep = "{ refunds { edges { node { order { refunds { order { refunds { order { refunds { order { refunds { order { id } } } } } } } } } } } } }";
    let v = app.graphql(deep, json!({})).await;
    assert_eq!(error_code(&v), Some("BAD_USER_INPUT"), "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("nested"),
        "{v}"
    );
    let ok = "{ refunds { edges { node { order { refunds { id } } } } } }";
    assert!(app.graphql(ok, json!({})).await["errors"].is_null());
}

#[tokio::test]
async fn a_query_more_complex_than_the_limit_is_refused() {
    let app = spawn_app().await;
    // A list costs its page size times what each item selects: 3 × 200 × 6 > 2000.
    let fields = (0..3)
        .map(|i| format!("a{i}: refunds(first: 200) {{ edges {{ node {{ id status provider providerRefundId }} }} }}"))
        .collect::<Vec<_>>()
        .join(" ");
    let v = app.graphql(&format!("{{ {fields} }}"), json!({})).await;
    assert_eq!(error_code(&v), Some("BAD_USER_INPUT"), "{v}");
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("complex"),
        "{v}"
    );
}

#[tokio::test]
async fn limits_are_configurable() {
    let mut raw = test_config();
    raw.graphql_max_depth = Some("3".into());
    raw.graphql_max_page_size = Some("10".into());
    raw.graphql_default_page_size = Some("5".into());
    let app = spawn_app_with(raw).await;
    let v = app
        .graphql("{ refunds { edges { node { id } } } }", json!({}))
        .await;
    assert_eq!(error_code(&v), Some("BAD_USER_INPUT"), "{v}");
    let v = app
        .graphql("{ refunds(first: 11) { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&v), Some("BAD_USER_INPUT"), "{v}");
    let v = app
        .graphql("{ refunds(first: 10) { totalCount } }", json!({}))
        .await;
    assert!(v["errors"].is_null(), "{v}");
}

/// Statements run by one GraphQL query.
async fn statements_for(app: &TestApp, query: &str) -> u64 {
    let before = app.statements.load(Ordering::SeqCst);
    let v = app.graphql(query, json!({})).await;
    assert!(v["errors"].is_null(), "{v}");
    app.statements.load(Ordering::SeqCst) - before
}

#[tokio::test]
async fn a_page_of_refunds_with_orders_costs_a_constant_number_of_statements() {
    let app = spawn_app().await;
    // 200 × 9 fields fits the complexity limit of 2000.
    let query = "{ refunds(first: 200) { edges { node { id order { orderNumber refs { kind } }
                   history { status } } } } }";
    let mut counts = Vec::new();
    for batch in [5, 40] {
        let start = app.count("refunds").await;
        for i in start..start + batch {
            app.rebound(&crate::seed::rebound_return(
                &format!("RB{i}"),
                &format!("#N{i}"),
                "received",
                "5.00",
            ))
            .await
            .assert(200, "accepted");
            app.seed_rainforest(&format!("n{i}"), &format!("#N{i}"), 500, "EUR", "SUCCEEDED")
                .await;
        }
        counts.push(statements_for(&app, query).await);
        eprintln!(
            "statements for {} refunds: {}",
            app.count("refunds").await,
            counts.last().unwrap()
        );
    }
    // 5 refunds or 45 refunds: the same handful of statements (the page, then one batch
    // per loader; a loader may split a batch in two when rows resolve far apart in time).
    assert!(counts[1] <= 8, "{counts:?}");
    assert!(counts[1] <= counts[0] + 2, "{counts:?}");
}

#[tokio::test]
async fn a_batch_of_queries_is_answered_as_a_batch() {
    let app = spawn_app().await;
    let r: serde_json::Value = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!([{ "query": "{ refunds { totalCount } }" }, { "query": "{ orders { totalCount } }" }]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r[0]["data"]["refunds"]["totalCount"], 0, "{r}");
    assert_eq!(r[1]["data"]["orders"]["totalCount"], 0, "{r}");
}
