//! UniPayment: `hmac_signature`, refund IPNs, and invoice IPNs that create orders.

use serde_json::json;

use crate::{helpers::*, webhooks::fixture};

#[tokio::test]
async fn every_unipayment_refund_status_is_normalized() {
    for (file, status, raw) in [
        ("refund_created", "PENDING", "New"),
        ("refund_claimed", "PENDING", "Claimed"),
        ("refund_approved", "APPROVED", "Approved"),
        ("refund_completed", "SUCCEEDED", "Completed"),
        ("refund_rejected", "REJECTED", "Rejected"),
        ("refund_canceled", "CANCELED", "Canceled"),
        ("refund_failed", "FAILED", "Failed"),
    ] {
        let app = spawn_app().await;
        app.unipayment(&fixture(&format!("unipayment/{file}.json")))
            .await
            .assert(200, "accepted");
        let r = app.only_refund().await;
        assert_eq!(r["status"], status, "{file}");
        assert_eq!(r["providerStatus"], raw, "{file}");
        assert_eq!(r["provider"], "UNIPAYMENT");
    }
}

#[tokio::test]
async fn unipayment_amounts_as_strings_or_numbers_are_exact() {
    let app = spawn_app().await;
    app.unipayment(&fixture("unipayment/refund_uppercase_numbers.json"))
        .await
        .assert(200, "accepted");
    let r = app.only_refund().await;
    assert_eq!(r["amount"], json!({"amount": "15.00", "currency": "USD"}));
    assert_eq!(r["fee"], json!({"amount": "0.25", "currency": "USD"}));
    assert_eq!(r["status"], "APPROVED");
    assert_eq!(
        r["orderReference"],
        json!({"kind": "unipayment_invoice", "value": "XjKBNrQ2Cd8xCBa9H3yD9a"})
    );
}

#[tokio::test]
async fn unipayment_bad_or_missing_signature_is_401_and_changes_nothing() {
    let app = spawn_app().await;
    let body = fixture("unipayment/refund_approved.json");
    let before = app.snapshot().await;
    let a = app.post_webhook("unipayment", &[], body.clone()).await;
    a.assert(401, "invalid_signature");
    assert!(
        a.body["message"]
            .as_str()
            .unwrap()
            .contains("hmac_signature")
    );
    let forged = refund_recon::providers::unipayment::sign("not-the-secret", body.as_bytes());
    app.post_webhook("unipayment", &[("hmac_signature", forged)], body.clone())
        .await
        .assert(401, "invalid_signature");
    let good = refund_recon::providers::unipayment::sign(UNIPAYMENT_SECRET, body.as_bytes());
    app.post_webhook(
        "unipayment",
        &[("hmac_signature", good)],
        body.replace("15.00000000", "150.00000000"),
    )
    .await
    .assert(401, "invalid_signature");
    assert_eq!(app.snapshot().await, before);
}

#[tokio::test]
async fn refund_waiting_for_its_invoice_is_linked_when_the_invoice_ipn_arrives() {
    let app = spawn_app().await;
    app.unipayment(&fixture("unipayment/refund_approved.json"))
        .await
        .assert(200, "accepted");
    assert!(app.only_refund().await["order"].is_null());
    let mut invoice: serde_json::Value =
        serde_json::from_str(&fixture("unipayment/invoice_created.json")).unwrap();
    invoice["invoice_id"] = json!("XjKBNrQ2Cd8xCBa9H3yD9a");
    invoice["order_id"] = json!("ORDER-4242");
    invoice["price_amount"] = json!("30.00");
    app.unipayment(&invoice.to_string())
        .await
        .assert(200, "accepted");
    let r = app.only_refund().await;
    assert_eq!(r["order"]["orderNumber"], "ORDER-4242");
    assert_eq!(
        r["order"]["total"],
        json!({"amount": "30.00", "currency": "USD"})
    );
    assert_eq!(
        r["order"]["refs"],
        json!([{"kind": "unipayment_invoice", "value": "XjKBNrQ2Cd8xCBa9H3yD9a"}])
    );
}

#[tokio::test]
async fn published_sdk_payload_and_signature_are_accepted_end_to_end() {
    let app = spawn_app().await;
    // The UniPayment SDK's test payload, byte for byte, with its published signature.
    let body = fixture("unipayment/invoice_created_sdk_raw.json");
    let a = app
        .post_webhook(
            "unipayment",
            &[(
                "hmac_signature",
                "cWcyVMKMQS8M+zwlUxPuROjF3hLWzAL6TSvWKC8K3FE=".into(),
            )],
            body,
        )
        .await;
    a.assert(200, "accepted");
    use sea_orm::EntityTrait;
    let order = entity::order::Entity::find()
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        order.order_number.as_deref(),
        Some("b49f70e5-a0da-4450-ae86-69b0a81708cc")
    );
}

#[tokio::test]
async fn unknown_unipayment_status_is_422() {
    let app = spawn_app().await;
    app.unipayment(&fixture("unipayment/unknown_status.json"))
        .await
        .assert(422, "unprocessable");
}

#[tokio::test]
async fn the_raw_status_follows_the_latest_event_within_one_normalized_status() {
    let app = spawn_app().await;
    app.unipayment(&fixture("unipayment/refund_created.json"))
        .await
        .assert(200, "accepted");
    app.unipayment(&fixture("unipayment/refund_claimed.json"))
        .await
        .assert(200, "accepted");
    let r = app.only_refund().await;
    assert_eq!(
        (r["status"].as_str(), r["providerStatus"].as_str()),
        (Some("PENDING"), Some("Claimed")),
        "{r}"
    );
}

#[tokio::test]
async fn amounts_the_ledger_cannot_sum_exactly_are_unprocessable() {
    let app = spawn_app().await;
    let mut v: serde_json::Value =
        serde_json::from_str(&fixture("unipayment/refund_approved.json")).unwrap();
    v["refund_price_amount"] = json!("33.3333333333");
    let a = app.unipayment(&v.to_string()).await;
    a.assert(422, "unprocessable");
    assert!(
        a.body["message"]
            .as_str()
            .unwrap()
            .contains("decimal places"),
        "{:?}",
        a.body
    );
    v["refund_price_amount"] = json!("1000000000000");
    v["notify_id"] = json!("another");
    app.unipayment(&v.to_string())
        .await
        .assert(422, "unprocessable");
    assert_eq!(app.count("refunds").await, 0);
}
