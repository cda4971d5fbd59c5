//! Builds realistic data through the webhook routes.

#![allow(dead_code)]

use serde_json::{Value, json};

use crate::{helpers::TestApp, webhooks::fixture_json};

/// A Rainforest refund event for `order_number`, `minor` cents in `currency`.
pub fn rainforest_refund(
    refund_id: &str,
    order_number: &str,
    minor: i64,
    currency: &str,
    status: &str,
) -> String {
    let event = match status {
        "CREATED" => "refund.created",
        "PROCESSING" => "refund.processing",
        "SUCCEEDED" => "refund.succeeded",
        "FAILED" => "refund.failed",
        "CANCELED" => "refund.canceled",
        "IN_REVIEW" => "refund.in_review",
        other => panic!("{other}"),
    };
    json!({
        "data": {
            "refund_id": refund_id,
            "payin_id": format!("pyi_{refund_id}"),
            "amount": minor,
            "currency_code": currency,
            "status": status,
            "metadata": {"order_number": order_number},
            "created_at": "2026-11-20T10:00:00Z",
            "updated_at": "2026-11-20T10:00:00Z"
        },
        "event_type": event
    })
    .to_string()
}

/// A ReBound return for `order_number` (creates the order with a `tiktok_order` ref).
pub fn rebound_return(return_id: &str, order_number: &str, event: &str, amount: &str) -> String {
    let mut v: Value = fixture_json("rebound/received.json");
    v["event_id"] = json!(format!("evt_{return_id}_{event}"));
    v["event"] = json!(format!("return.{event}"));
    v["order"]["order_number"] = json!(order_number);
    v["order"]["external_order_id"] = json!(format!("tt_{order_number}"));
    v["return"]["return_id"] = json!(return_id);
    v["refund"]["amount"] = json!(amount);
    v.to_string()
}

/// A UniPayment refund in USD for an invoice.
pub fn unipayment_refund(refund_id: &str, invoice: &str, amount: &str, status: &str) -> String {
    let mut v: Value = fixture_json("unipayment/refund_approved.json");
    v["refund_id"] = json!(refund_id);
    v["invoice_id"] = json!(invoice);
    v["refund_price_amount"] = json!(amount);
    v["status"] = json!(status);
    v["notify_id"] = json!(format!("n-{refund_id}-{status}"));
    v.to_string()
}

impl TestApp {
    pub async fn seed_rainforest(
        &self,
        refund_id: &str,
        order: &str,
        minor: i64,
        currency: &str,
        status: &str,
    ) {
        self.rainforest(&rainforest_refund(
            refund_id, order, minor, currency, status,
        ))
        .await
        .assert(200, "accepted");
    }
}
