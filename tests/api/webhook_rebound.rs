//! ReBound: bearer token, optional HMAC, return milestones.

use sea_orm::EntityTrait;

use crate::{helpers::*, webhooks::fixture};

#[tokio::test]
async fn every_rebound_event_maps_to_a_return_status() {
    for (f, status) in [
        ("created", "REQUESTED"),
        ("in_transit", "IN_TRANSIT"),
        ("arrived_hub", "RECEIVED"),
        ("delivered", "RECEIVED"),
        ("received", "RECEIVED"),
        ("graded", "INSPECTED"),
        ("processed", "RESOLVED"),
    ] {
        let app = spawn_app().await;
        app.rebound(&fixture(&format!("rebound/{f}.json")))
            .await
            .assert(200, "accepted");
        let r = entity::returns::Entity::find()
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.status, status, "{f}");
        assert_eq!(r.provider_status, format!("return.{f}"), "{f}");
    }
}

#[tokio::test]
async fn rebound_received_creates_a_tiktok_order_with_expected_refund() {
    let app = spawn_app().await;
    app.rebound(&fixture("rebound/received.json"))
        .await
        .assert(200, "accepted");
    let r = entity::returns::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.expected_refund.unwrap().to_string(), "49.99");
    assert_eq!(r.currency.as_deref(), Some("EUR"));
    assert_eq!(r.carrier.as_deref(), Some("DPD"));
    let refs = entity::order_ref::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        (refs[0].kind.as_str(), refs[0].value.as_str()),
        ("tiktok_order", "5770012345")
    );
}

#[tokio::test]
async fn rebound_without_or_with_a_wrong_token_is_401() {
    let app = spawn_app().await;
    let body = fixture("rebound/received.json");
    app.post_webhook("rebound", &[], body.clone())
        .await
        .assert(401, "invalid_signature");
    app.post_webhook("rebound", &[("authorization", "Bearer nope".into())], body)
        .await
        .assert(401, "invalid_signature");
    assert_eq!(app.count("webhook_events").await, 0);
}

#[tokio::test]
async fn rebound_hmac_is_required_when_configured() {
    let mut raw = test_config();
    raw.rebound_hmac_secret = Some(REBOUND_HMAC.into());
    let app = spawn_app_with(raw).await;
    let body = fixture("rebound/received.json");
    app.rebound(&body).await.assert(401, "invalid_signature");
    app.rebound_signed(&body, "other-secret")
        .await
        .assert(401, "invalid_signature");
    app.rebound_signed(&body, REBOUND_HMAC)
        .await
        .assert(200, "accepted");
}

#[tokio::test]
async fn rebound_events_out_of_order_end_at_the_highest_status() {
    let app = spawn_app().await;
    for f in ["graded", "created", "in_transit", "received"] {
        app.rebound(&fixture(&format!("rebound/{f}.json")))
            .await
            .assert(200, "accepted");
    }
    let r = entity::returns::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.status, "INSPECTED");
    assert_eq!(app.count("return_status_history").await, 4);
}

#[tokio::test]
async fn rebound_unknown_event_is_422() {
    let app = spawn_app().await;
    app.rebound(&fixture("rebound/unknown_event.json"))
        .await
        .assert(422, "unprocessable");
}
