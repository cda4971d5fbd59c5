//! Baback: the body secret, return requests that create orders and returns.

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::{helpers::*, webhooks::fixture_json};

async fn the_return(app: &TestApp) -> entity::returns::Model {
    let all = entity::returns::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(all.len(), 1);
    all.into_iter().next().unwrap()
}

#[tokio::test]
async fn baback_create_makes_the_order_and_the_return() {
    let app = spawn_app().await;
    app.baback(fixture_json("baback/create.json"))
        .await
        .assert(200, "accepted");
    let r = the_return(&app).await;
    assert_eq!(r.provider, "baback");
    assert_eq!(r.provider_return_id, "return-request-12345");
    assert_eq!(r.status, "APPROVED");
    assert_eq!(r.provider_status, "waiting");
    assert_eq!(r.expected_refund.unwrap().to_string(), "49.99");
    let order = entity::order::Entity::find_by_id(r.order_id.unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.order_number.as_deref(), Some("#EXAMPLE-001"));
    assert_eq!(order.total_amount.unwrap().to_string(), "299");
    let refs = entity::order_ref::Entity::find()
        .filter(entity::order_ref::Column::OrderId.eq(order.id))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(refs[0].kind, "shopify_order");
    assert_eq!(refs[0].value, "9876543210987");
    assert_eq!(app.count("return_items").await, 1);
}

#[tokio::test]
async fn baback_stages_move_the_return_forward_and_error_keeps_it() {
    let app = spawn_app().await;
    for (f, status) in [
        ("create", "APPROVED"),
        ("update_shipped", "IN_TRANSIT"),
        ("logistician_approve", "RECEIVED"),
        ("update_error", "RECEIVED"),
        ("merchant_approve", "INSPECTED"),
        ("update_resolved", "RESOLVED"),
    ] {
        app.baback(fixture_json(&format!("baback/{f}.json")))
            .await
            .assert(200, "accepted");
        assert_eq!(the_return(&app).await.status, status, "{f}");
    }
    assert_eq!(app.count("orders").await, 1);
    // A late cancel after resolution is history only.
    app.baback(fixture_json("baback/cancel.json"))
        .await
        .assert(200, "accepted");
    assert_eq!(the_return(&app).await.status, "RESOLVED");
}

#[tokio::test]
async fn baback_secret_is_never_stored() {
    let app = spawn_app().await;
    app.baback(fixture_json("baback/create.json"))
        .await
        .assert(200, "accepted");
    let ev = entity::webhook_event::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!ev.raw_body.contains(BABACK_SECRET));
    assert!(ev.raw_body.contains("[redacted]"));
}

#[tokio::test]
async fn baback_wrong_missing_secret_or_bad_json() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    let mut p = fixture_json("baback/create.json");
    p["data"]["secret"] = json!("your-webhook-secret");
    app.post_webhook("baback", &[], p.to_string())
        .await
        .assert(401, "invalid_signature");
    p["data"].as_object_mut().unwrap().remove("secret");
    app.post_webhook("baback", &[], p.to_string())
        .await
        .assert(401, "invalid_signature");
    app.post_webhook("baback", &[], "{\"data\": ")
        .await
        .assert(400, "malformed_payload");
    app.post_webhook("baback", &[], "{\"nodata\": 1}")
        .await
        .assert(400, "malformed_payload");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn baback_unknown_action_is_422() {
    let app = spawn_app().await;
    app.baback(fixture_json("baback/unknown_action.json"))
        .await
        .assert(422, "unprocessable");
    assert_eq!(app.count("returns").await, 0);
}
