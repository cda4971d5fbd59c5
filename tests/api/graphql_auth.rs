//! API keys and roles over HTTP.

use serde_json::json;

use crate::{helpers::*, webhooks::fixture};

const VIEWER: &str = "viewer-key-0001";
const FINANCE: &str = "finance-key-0001";
const ADMIN: &str = "admin-key-00001";

async fn app_with_keys() -> TestApp {
    let mut raw = test_config();
    raw.api_keys = Some(format!("viewer:{VIEWER},finance:{FINANCE},admin:{ADMIN}"));
    let app = spawn_app_with(raw).await;
    app.rainforest(&fixture("rainforest/created.json"))
        .await
        .assert(200, "accepted");
    app
}

#[tokio::test]
async fn without_a_key_or_with_a_wrong_one_queries_are_unauthenticated() {
    let app = app_with_keys().await;
    let v = app
        .graphql_as(None, "{ refunds { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&v), Some("UNAUTHENTICATED"), "{v}");
    let v = app
        .graphql_as(
            Some("nope-nope-nope"),
            "{ refunds { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&v), Some("UNAUTHENTICATED"), "{v}");
    assert!(v["data"].is_null() || v["data"]["refunds"].is_null());
}

#[tokio::test]
async fn every_role_reads_refunds_orders_returns_and_summaries() {
    let app = app_with_keys().await;
    for key in [VIEWER, FINANCE, ADMIN] {
        let v = app
            .graphql_as(
                Some(key),
                "{ refunds { totalCount } orders { totalCount } returns { totalCount }
                   refundSummary(groupBy: [PROVIDER]) { count } webhookEvents { totalCount } }",
                json!({}),
            )
            .await;
        assert!(v["errors"].is_null(), "{key}: {v}");
        assert_eq!(v["data"]["refunds"]["totalCount"], 1);
    }
}

#[tokio::test]
async fn raw_webhook_payloads_are_for_admins_only() {
    let app = app_with_keys().await;
    let q = "{ webhookEvents { edges { node { id provider rawBody headers } } } }";
    for key in [VIEWER, FINANCE] {
        let v = app.graphql_as(Some(key), q, json!({})).await;
        assert_eq!(error_code(&v), Some("FORBIDDEN"), "{key}: {v}");
    }
    let v = app.graphql_as(Some(ADMIN), q, json!({})).await;
    assert!(v["errors"].is_null(), "{v}");
    let node = &v["data"]["webhookEvents"]["edges"][0]["node"];
    assert!(
        node["rawBody"]
            .as_str()
            .unwrap()
            .contains("rfd_2sPMefai6yWsyp4MSGUkAo32pp7")
    );
    assert!(node["headers"].as_str().unwrap().contains("svix-id"));
    // Metadata without the payload is fine for a viewer.
    let v = app
        .graphql_as(
            Some(VIEWER),
            "{ webhookEvents { edges { node { provider outcome } } } }",
            json!({}),
        )
        .await;
    assert!(v["errors"].is_null(), "{v}");
}

#[tokio::test]
async fn without_configured_keys_on_loopback_everything_is_open() {
    let app = spawn_app().await;
    let v = app
        .graphql(
            "{ webhookEvents { edges { node { rawBody } } } }",
            json!({}),
        )
        .await;
    assert!(v["errors"].is_null(), "{v}");
}
