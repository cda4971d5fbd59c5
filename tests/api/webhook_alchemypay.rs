//! Alchemy Pay: the SHA-512 `sign` field, fiat and crypto legs, both spellings.

use serde_json::json;

use crate::{helpers::*, webhooks::fixture_json};

#[tokio::test]
async fn alchemypay_completed_refund_keeps_fiat_amount_and_crypto_leg() {
    let app = spawn_app().await;
    let a = app
        .alchemypay(fixture_json("alchemypay/completed.json"))
        .await;
    a.assert(200, "accepted");
    let r = app.only_refund().await;
    assert_eq!(r["provider"], "ALCHEMYPAY");
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(r["providerStatus"], "COMPLETED");
    assert_eq!(r["amount"], json!({"amount": "9.90", "currency": "USD"}));
    assert_eq!(r["crypto"]["token"], "USDT");
    assert_eq!(r["crypto"]["network"], "TRX");
    assert_eq!(r["crypto"]["amount"], "8.40000000");
    assert_eq!(
        r["orderReference"],
        json!({"kind": "merchant_order_no", "value": "17304484880000"})
    );
}

#[tokio::test]
async fn alchemypay_body_answers_contain_success_so_it_stops_retrying() {
    let app = spawn_app().await;
    let a = app
        .alchemypay(fixture_json("alchemypay/completed.json"))
        .await;
    assert!(a.body.to_string().contains("success"));
    let again = app
        .alchemypay(fixture_json("alchemypay/completed.json"))
        .await;
    again.assert(200, "duplicate");
}

#[tokio::test]
async fn alchemypay_failed_with_fiat_amount_spelling_is_failed() {
    let app = spawn_app().await;
    app.alchemypay(fixture_json("alchemypay/failed_fiat_amount.json"))
        .await
        .assert(200, "accepted");
    let r = app.only_refund().await;
    assert_eq!(r["status"], "FAILED");
    assert_eq!(r["amount"]["amount"], "25.00");
}

#[tokio::test]
async fn alchemypay_completed_then_failed_for_the_same_refund_is_two_events() {
    // The idempotency key is refundOrderNo + orderStatus: both are stored.
    let app = spawn_app().await;
    let mut p = fixture_json("alchemypay/completed.json");
    app.alchemypay(p.clone()).await.assert(200, "accepted");
    p["orderStatus"] = json!("FAILED");
    app.alchemypay(p).await.assert(200, "accepted");
    let r = app.only_refund().await;
    assert_eq!(r["status"], "SUCCEEDED");
    assert_eq!(r["history"][1]["note"], "conflict");
}

#[tokio::test]
async fn alchemypay_forged_missing_or_malformed_sign() {
    let app = spawn_app().await;
    let before = app.snapshot().await;
    // The seed's own sign was made with another secret.
    let seed = fixture_json("alchemypay/seed_example.json");
    app.post_webhook("alchemypay", &[], seed.to_string())
        .await
        .assert(401, "invalid_signature");
    let mut no_sign = fixture_json("alchemypay/completed.json");
    no_sign.as_object_mut().unwrap().remove("sign");
    app.post_webhook("alchemypay", &[], no_sign.to_string())
        .await
        .assert(401, "invalid_signature");
    let mut tampered = fixture_json("alchemypay/completed.json");
    tampered["faitAmount"] = json!("99.90000000");
    app.post_webhook("alchemypay", &[], tampered.to_string())
        .await
        .assert(401, "invalid_signature");
    app.post_webhook("alchemypay", &[], "not json")
        .await
        .assert(400, "malformed_payload");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn alchemypay_unknown_status_or_currency_is_422() {
    let app = spawn_app().await;
    app.alchemypay(fixture_json("alchemypay/unknown_status.json"))
        .await
        .assert(422, "unprocessable");
    app.alchemypay(fixture_json("alchemypay/unknown_currency.json"))
        .await
        .assert(422, "unprocessable");
    assert_eq!(app.count("refunds").await, 0);
    assert_eq!(app.count("webhook_events").await, 2);
}
