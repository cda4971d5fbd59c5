//! What every webhook route shares: routing, size limit, idempotency under concurrency.

use serde_json::json;

use crate::{
    helpers::*,
    webhooks::{fixture, new_svix_id},
};

#[tokio::test]
async fn unknown_provider_slug_is_404_unknown_provider() {
    let app = spawn_app().await;
    let a = app.post_webhook("stripe", &[], "{}").await;
    a.assert(404, "unknown_provider");
    assert!(a.body["message"].as_str().unwrap().contains("rainforest"));
}

#[tokio::test]
async fn provider_without_secret_is_404_naming_the_variable() {
    let app = spawn_app_with(refund_recon::config::RawConfig {
        log: Some("warn".into()),
        ..Default::default()
    })
    .await;
    for (slug, var) in [
        ("rebound", "REFUND_RECON_REBOUND_TOKEN"),
        ("rainforest", "REFUND_RECON_RAINFOREST_SECRET"),
        ("baback", "REFUND_RECON_BABACK_SECRET"),
        ("alchemypay", "REFUND_RECON_ALCHEMYPAY_SECRET"),
        ("unipayment", "REFUND_RECON_UNIPAYMENT_SECRET"),
    ] {
        let a = app.post_webhook(slug, &[], "{}").await;
        a.assert(404, "provider_not_configured");
        assert!(
            a.body["message"].as_str().unwrap().contains(var),
            "{:?}",
            a.body
        );
    }
    assert_eq!(app.count("webhook_events").await, 0);
}

#[tokio::test]
async fn body_over_one_mebibyte_is_413_and_stores_nothing() {
    let app = spawn_app().await;
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(1024 * 1024));
    let a = app.unipayment(&big).await;
    a.assert(413, "payload_too_large");
    // Also without a Content-Length (chunked): the limit holds while reading.
    let stream = futures::stream::iter(
        (0..20).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 64 * 1024]))),
    );
    let a = app
        .post_webhook("unipayment", &[], reqwest::Body::wrap_stream(stream))
        .await;
    a.assert(413, "payload_too_large");
    assert_eq!(app.count("webhook_events").await, 0);
}

#[tokio::test]
async fn the_same_event_twice_is_applied_once_and_answered_duplicate() {
    let app = spawn_app().await;
    let body = fixture("rainforest/created.json");
    let id = new_svix_id();
    let ts = chrono::Utc::now().timestamp();
    let first = app.rainforest_at(&id, ts, &body).await;
    first.assert(200, "accepted");
    let before = app.snapshot().await;
    let second = app.rainforest_at(&id, ts, &body).await;
    second.assert(200, "duplicate");
    assert_eq!(first.event_id(), second.event_id());
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn fifty_concurrent_deliveries_of_one_event_leave_exactly_one_effect() {
    let app = std::sync::Arc::new(spawn_app().await);
    let body = fixture("unipayment/refund_created.json");
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let app = app.clone();
        let body = body.clone();
        tasks.push(tokio::spawn(async move { app.unipayment(&body).await }));
    }
    let mut accepted = 0;
    let mut duplicate = 0;
    for t in tasks {
        let a = t.await.unwrap();
        assert_eq!(a.status, 200, "{:?}", a.body);
        match a.body["status"].as_str().unwrap() {
            "accepted" => accepted += 1,
            "duplicate" => duplicate += 1,
            other => panic!("{other}"),
        }
    }
    assert_eq!((accepted, duplicate), (1, 49));
    assert_eq!(app.count("webhook_events").await, 1);
    assert_eq!(app.count("refunds").await, 1);
    assert_eq!(app.count("refund_status_history").await, 1);
}

#[tokio::test]
async fn unprocessable_event_is_stored_rejected_and_accepted_once_it_parses() {
    let app = spawn_app().await;
    let body = fixture("unipayment/unknown_ipn_type.json");
    let a = app.unipayment(&body).await;
    a.assert(422, "unprocessable");
    let event_id = a.event_id().to_owned();
    assert!(!event_id.is_empty());
    assert_eq!(app.count("webhook_events").await, 1);
    assert_eq!(app.count("refunds").await, 0);
    // The provider retries the same event: still rejected, still one row, same id.
    let again = app.unipayment(&body).await;
    again.assert(422, "unprocessable");
    assert_eq!(again.event_id(), event_id);
    assert_eq!(app.count("webhook_events").await, 1);
    let stored = entity_row(&app, &event_id).await;
    assert_eq!(stored.outcome, "rejected");
    assert!(stored.error.unwrap().contains("ipn_type"));
}

async fn entity_row(app: &TestApp, id: &str) -> entity::webhook_event::Model {
    use sea_orm::EntityTrait;
    entity::webhook_event::Entity::find_by_id(id.parse::<i64>().unwrap())
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn answers_never_leak_a_secret() {
    let app = spawn_app().await;
    let mut payload = crate::webhooks::fixture_json("baback/create.json");
    payload["data"]["secret"] = json!("wrong-secret");
    let a = app.post_webhook("baback", &[], payload.to_string()).await;
    a.assert(401, "invalid_signature");
    let text = a.body.to_string();
    assert!(
        !text.contains(BABACK_SECRET) && !text.contains("wrong-secret"),
        "{text}"
    );
}

#[tokio::test]
async fn different_events_of_one_refund_arriving_together_all_apply() {
    // Six events of one refund at the same moment: each creates-or-updates the same row.
    let app = std::sync::Arc::new(spawn_app().await);
    let mut tasks = Vec::new();
    for f in [
        "created",
        "processing",
        "in_review",
        "succeeded",
        "failed",
        "canceled",
    ] {
        let app = app.clone();
        let body = fixture(&format!("rainforest/{f}.json"));
        tasks.push(tokio::spawn(async move { app.rainforest(&body).await }));
    }
    for t in tasks {
        t.await.unwrap().assert(200, "accepted");
    }
    assert_eq!(app.count("refunds").await, 1);
    assert_eq!(app.count("refund_status_history").await, 6);
    assert_eq!(app.count("webhook_events").await, 6);
}
