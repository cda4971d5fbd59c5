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
