//! Rainforest Pay: Svix signatures, the refund lifecycle, partial and out-of-order events.

use refund_recon::providers::rainforest;
use serde_json::json;

use crate::{
    helpers::*,
    webhooks::{fixture, new_svix_id},
};

#[tokio::test]
async fn rainforest_refund_lifecycle_keeps_fields_and_history() {
    let app = spawn_app().await;
    for f in ["created", "processing", "succeeded"] {
        app.rainforest(&fixture(&format!("rainforest/{f}.json")))
            .await
            .assert(200, "accepted");
    }
    let r = app.only_refund().await;
    assert_eq!(r["provider"], "RAINFOREST");
    assert_eq!(r["providerRefundId"], "rfd_2sPMefai6yWsyp4MSGUkAo32pp7");
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(r["providerStatus"], "SUCCEEDED");
    // Minor units (4999 cents) → 49.99; later partial events did not erase it.
    assert_eq!(r["amount"], json!({"amount": "49.99", "currency": "USD"}));
    assert_eq!(r["fee"], json!({"amount": "0.30", "currency": "USD"}));
    assert_eq!(r["reason"], "Customer returned the item");
    assert_eq!(
        r["orderReference"],
        json!({"kind": "order_number", "value": "#1001"})
    );
    let h = r["history"].as_array().unwrap();
    assert_eq!(h.len(), 3);
    assert!(h.iter().all(|e| e["applied"] == true));
    assert_eq!(h[0]["status"], "PENDING");
    assert_eq!(h[0]["providerStatus"], "CREATED");
}

#[tokio::test]
async fn every_rainforest_status_is_normalized() {
    for (file, status) in [
        ("created", "PENDING"),
        ("processing", "PROCESSING"),
        ("in_review", "IN_REVIEW"),
        ("succeeded", "SUCCEEDED"),
        ("failed", "FAILED"),
        ("canceled", "CANCELED"),
    ] {
        let app = spawn_app().await;
        app.rainforest(&fixture(&format!("rainforest/{file}.json")))
            .await
            .assert(200, "accepted");
        assert_eq!(app.only_refund().await["status"], status, "{file}");
    }
}

#[tokio::test]
async fn late_created_after_succeeded_fills_fields_but_not_status() {
    let app = spawn_app().await;
    app.rainforest(&fixture("rainforest/succeeded.json"))
        .await
        .assert(200, "accepted");
    app.rainforest(&fixture("rainforest/processing.json"))
        .await
        .assert(200, "accepted");
    app.rainforest(&fixture("rainforest/created.json"))
        .await
        .assert(200, "accepted");
    let r = app.only_refund().await;
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(r["amount"]["amount"], "49.99");
    let applied: Vec<bool> = r["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["applied"].as_bool().unwrap())
        .collect();
    assert_eq!(applied, vec![true, false, false]);
    assert_eq!(r["history"][1]["note"], "stale");
}

#[tokio::test]
async fn contradicting_terminal_event_is_kept_not_applied_and_raises_a_conflict() {
    let app = spawn_app().await;
    app.rainforest(&fixture("rainforest/succeeded.json"))
        .await
        .assert(200, "accepted");
    app.rainforest(&fixture("rainforest/failed.json"))
        .await
        .assert(200, "accepted");
    let r = app.only_refund().await;
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(r["history"][1]["applied"], false);
    assert_eq!(r["history"][1]["note"], "conflict");
    use sea_orm::EntityTrait;
    let d = entity::discrepancy::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].kind, "STATUS_CONFLICT");
    assert_eq!(d[0].status, "OPEN");
    // Each contradicting event is its own record; a redelivery of one is not.
    let id = new_svix_id();
    let ts = chrono::Utc::now().timestamp();
    let canceled = fixture("rainforest/canceled.json");
    app.rainforest_at(&id, ts, &canceled)
        .await
        .assert(200, "accepted");
    app.rainforest_at(&id, ts, &canceled)
        .await
        .assert(200, "duplicate");
    assert_eq!(app.count("discrepancies").await, 2);
}

#[tokio::test]
async fn forged_tampered_or_stale_rainforest_requests_are_401_and_change_nothing() {
    let app = spawn_app().await;
    let body = fixture("rainforest/created.json");
    let before = app.snapshot().await;
    let now = chrono::Utc::now().timestamp();
    let id = new_svix_id();
    let good = rainforest::sign(RAINFOREST_SECRET, &id, now, body.as_bytes());
    let forged = rainforest::sign("whsec_c29tZW9uZSBlbHNl", &id, now, body.as_bytes());
    type Headers = Vec<(&'static str, String)>;
    let cases: Vec<(&str, Headers, String)> = vec![
        ("missing headers", vec![], body.clone()),
        (
            "forged",
            vec![
                ("svix-id", id.clone()),
                ("svix-timestamp", now.to_string()),
                ("svix-signature", forged),
            ],
            body.clone(),
        ),
        (
            "tampered body",
            vec![
                ("svix-id", id.clone()),
                ("svix-timestamp", now.to_string()),
                ("svix-signature", good.clone()),
            ],
            body.replace("4999", "9999"),
        ),
        (
            "other id",
            vec![
                ("svix-id", new_svix_id()),
                ("svix-timestamp", now.to_string()),
                ("svix-signature", good.clone()),
            ],
            body.clone(),
        ),
    ];
    for (what, headers, b) in cases {
        let a = app.post_webhook("rainforest", &headers, b).await;
        assert_eq!(a.status, 401, "{what}: {:?}", a.body);
        assert_eq!(a.body["error"], "invalid_signature", "{what}");
    }
    // Replayed outside the ±5 min tolerance, even with a valid signature.
    for ts in [now - 812, now + 400] {
        let a = app.rainforest_at(&new_svix_id(), ts, &body).await;
        a.assert(401, "invalid_signature");
        assert!(
            a.body["message"].as_str().unwrap().contains("tolerance"),
            "{:?}",
            a.body
        );
    }
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn standard_webhooks_header_names_and_several_signatures_are_accepted() {
    let app = spawn_app().await;
    let body = fixture("rainforest/created.json");
    let id = new_svix_id();
    let now = chrono::Utc::now().timestamp();
    let good = rainforest::sign(RAINFOREST_SECRET, &id, now, body.as_bytes());
    let a = app
        .post_webhook(
            "rainforest",
            &[
                ("webhook-id", id),
                ("webhook-timestamp", now.to_string()),
                ("webhook-signature", format!("v1,bm90IGl0 {good}")),
            ],
            body,
        )
        .await;
    a.assert(200, "accepted");
}

#[tokio::test]
async fn rotated_rainforest_secrets_both_verify() {
    let mut raw = test_config();
    raw.rainforest_secret = Some(format!("whsec_c2Vjb25kLXNlY3JldA== {RAINFOREST_SECRET}"));
    let app = spawn_app_with(raw).await;
    let body = fixture("rainforest/created.json");
    let id = new_svix_id();
    let now = chrono::Utc::now().timestamp();
    let sig = rainforest::sign("whsec_c2Vjb25kLXNlY3JldA==", &id, now, body.as_bytes());
    app.post_webhook(
        "rainforest",
        &[
            ("svix-id", id),
            ("svix-timestamp", now.to_string()),
            ("svix-signature", sig),
        ],
        body.clone(),
    )
    .await
    .assert(200, "accepted");
    app.rainforest(&fixture("rainforest/succeeded.json"))
        .await
        .assert(200, "accepted");
}

#[tokio::test]
async fn unknown_rainforest_event_is_422_and_kept_for_replay() {
    let app = spawn_app().await;
    let a = app
        .rainforest(&fixture("rainforest/unknown_event_type.json"))
        .await;
    a.assert(422, "unprocessable");
    assert!(
        a.body["message"].as_str().unwrap().contains("event_type"),
        "{:?}",
        a.body
    );
    assert_eq!(app.count("webhook_events").await, 1);
    assert_eq!(app.count("refunds").await, 0);
    let a = app
        .rainforest(&fixture("rainforest/missing_refund_id.json"))
        .await;
    a.assert(422, "unprocessable");
    assert!(
        a.body["message"].as_str().unwrap().contains("refund_id"),
        "{:?}",
        a.body
    );
}

#[tokio::test]
async fn signed_body_that_is_not_json_is_422_not_lost() {
    let app = spawn_app().await;
    let a = app.rainforest("this is not json").await;
    a.assert(422, "unprocessable");
    assert_eq!(app.count("webhook_events").await, 1);
}

#[tokio::test]
async fn a_refund_changing_currency_is_unprocessable_and_leaves_no_effect() {
    let app = spawn_app().await;
    app.rainforest(&fixture("rainforest/created.json"))
        .await
        .assert(200, "accepted");
    let before = app.snapshot().await;
    let eur = fixture("rainforest/succeeded_full_with_order_id.json");
    let mut v: serde_json::Value = serde_json::from_str(&eur).unwrap();
    v["data"]["refund_id"] = json!("rfd_2sPMefai6yWsyp4MSGUkAo32pp7");
    v["data"]["currency_code"] = json!("EUR");
    let a = app.rainforest(&v.to_string()).await;
    a.assert(422, "unprocessable");
    assert!(a.body["message"].as_str().unwrap().contains("EUR"));
    let after = app.snapshot().await;
    // Only the rejected inbox row was added.
    let mut expected = before.clone();
    expected[7] += 1;
    assert_eq!(after, expected);
    assert_eq!(app.only_refund().await["status"], "PENDING");
}

fn rf_event(status: &str, at: &str) -> String {
    json!({"data": {"refund_id": "rfd_order", "status": status, "updated_at": at},
           "event_type": format!("refund.{}", status.to_lowercase())})
    .to_string()
}

#[tokio::test]
async fn same_rank_events_end_at_the_latest_occurrence_whatever_the_arrival_order() {
    for order in [[0, 1, 2], [0, 2, 1], [2, 1, 0], [1, 2, 0]] {
        let app = spawn_app().await;
        let events = [
            rf_event("PROCESSING", "2026-11-20T10:01:00Z"),
            rf_event("IN_REVIEW", "2026-11-20T10:05:00Z"),
            rf_event("PROCESSING", "2026-11-20T10:10:00Z"),
        ];
        for i in order {
            app.rainforest(&events[i]).await.assert(200, "accepted");
        }
        assert_eq!(app.only_refund().await["status"], "PROCESSING", "{order:?}");
    }
}
