//! Refunds whose order arrives later are linked automatically.

use serde_json::json;

use crate::{
    helpers::*,
    webhooks::{fixture, fixture_json},
};

#[tokio::test]
async fn rainforest_refund_links_when_a_baback_return_brings_its_order() {
    let app = spawn_app().await;
    let mut refund: serde_json::Value =
        serde_json::from_str(&fixture("rainforest/created.json")).unwrap();
    refund["data"]["metadata"]["order_number"] = json!("#EXAMPLE-001");
    app.rainforest(&refund.to_string())
        .await
        .assert(200, "accepted");
    assert!(app.only_refund().await["order"].is_null());
    app.baback(fixture_json("baback/create.json"))
        .await
        .assert(200, "accepted");
    let r = app.only_refund().await;
    assert_eq!(r["order"]["orderNumber"], "#EXAMPLE-001");
    // The order now also answers to the payin reference.
    let kinds: Vec<&str> = r["order"]["refs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"shopify_order"), "{kinds:?}");
}

#[tokio::test]
async fn refund_arriving_after_its_order_links_immediately() {
    let app = spawn_app().await;
    app.rebound(&fixture("rebound/received.json"))
        .await
        .assert(200, "accepted");
    app.rainforest(&fixture("rainforest/created.json"))
        .await
        .assert(200, "accepted");
    let r = app.only_refund().await;
    assert_eq!(r["order"]["orderNumber"], "#1001");
    let refs = r["order"]["refs"].to_string();
    assert!(
        refs.contains("rainforest_payin") && refs.contains("tiktok_order"),
        "{refs}"
    );
}
