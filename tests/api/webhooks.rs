//! Helpers to deliver signed webhooks as each provider would.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};

use refund_recon::providers::{alchemypay, rainforest, rebound, unipayment};
use serde_json::Value;

use crate::helpers::*;

pub fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

pub fn fixture_json(path: &str) -> Value {
    serde_json::from_str(&fixture(path)).unwrap()
}

/// An answer: status code and JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn event_id(&self) -> &str {
        self.body["eventId"].as_str().unwrap_or_default()
    }
    #[track_caller]
    pub fn assert(&self, status: u16, what: &str) -> &Self {
        assert_eq!(self.status, status, "{:?}", self.body);
        let got = if status == 200 {
            &self.body["status"]
        } else {
            &self.body["error"]
        };
        assert_eq!(got, what, "{:?}", self.body);
        if status == 200 {
            assert_eq!(self.body["result"], "success");
        }
        self
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

pub fn new_svix_id() -> String {
    format!(
        "msg_test{}_{}",
        std::process::id(),
        NEXT_ID.fetch_add(1, Ordering::SeqCst)
    )
}

impl TestApp {
    pub async fn post_webhook(
        &self,
        slug: &str,
        headers: &[(&str, String)],
        body: impl Into<reqwest::Body>,
    ) -> Answer {
        let mut req = self
            .client
            .post(format!("{}/webhooks/{slug}", self.address))
            .header("content-type", "application/json")
            .body(body);
        for (k, v) in headers {
            req = req.header(*k, v);
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        let text = r.text().await.unwrap_or_default();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    /// A Rainforest delivery with a given message id and timestamp, correctly signed.
    pub async fn rainforest_at(&self, id: &str, ts: i64, body: &str) -> Answer {
        let sig = rainforest::sign(RAINFOREST_SECRET, id, ts, body.as_bytes());
        self.post_webhook(
            "rainforest",
            &[
                ("svix-id", id.to_owned()),
                ("svix-timestamp", ts.to_string()),
                ("svix-signature", sig),
            ],
            body.to_owned(),
        )
        .await
    }

    pub async fn rainforest(&self, body: &str) -> Answer {
        self.rainforest_at(&new_svix_id(), chrono::Utc::now().timestamp(), body)
            .await
    }

    pub async fn unipayment(&self, body: &str) -> Answer {
        let sig = unipayment::sign(UNIPAYMENT_SECRET, body.as_bytes());
        self.post_webhook("unipayment", &[("hmac_signature", sig)], body.to_owned())
            .await
    }

    /// Alchemy Pay: `sign` computed over the payload (any existing `sign` replaced).
    pub async fn alchemypay(&self, mut payload: Value) -> Answer {
        payload.as_object_mut().unwrap().remove("sign");
        let sign = alchemypay::sign(ALCHEMYPAY_SECRET, &payload);
        payload["sign"] = Value::String(sign);
        self.post_webhook("alchemypay", &[], payload.to_string())
            .await
    }

    /// Baback: the configured secret put in `data.secret`.
    pub async fn baback(&self, mut payload: Value) -> Answer {
        payload["data"]["secret"] = Value::String(BABACK_SECRET.into());
        self.post_webhook("baback", &[], payload.to_string()).await
    }

    pub async fn rebound(&self, body: &str) -> Answer {
        self.post_webhook(
            "rebound",
            &[("authorization", format!("Bearer {REBOUND_TOKEN}"))],
            body.to_owned(),
        )
        .await
    }

    pub async fn rebound_signed(&self, body: &str, secret: &str) -> Answer {
        self.post_webhook(
            "rebound",
            &[
                ("authorization", format!("Bearer {REBOUND_TOKEN}")),
                (
                    "x-rebound-signature",
                    rebound::sign(secret, body.as_bytes()),
                ),
            ],
            body.to_owned(),
        )
        .await
    }

    /// The refunds page as a dashboard reads it.
    pub async fn refunds(&self) -> Vec<Value> {
        let v = self
            .graphql(
                "{ refunds(first: 50) { edges { node { id provider providerRefundId status providerStatus
                   amount { amount currency } fee { amount currency } reason
                   crypto { amount token network txHash }
                   order { id orderNumber total { amount currency } refs { kind value } }
                   orderReference { kind value }
                   history { status providerStatus applied note occurredAt } } } } }",
                serde_json::json!({}),
            )
            .await;
        assert!(v["errors"].is_null(), "{v}");
        v["data"]["refunds"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"].clone())
            .collect()
    }

    pub async fn only_refund(&self) -> Value {
        let mut r = self.refunds().await;
        assert_eq!(r.len(), 1, "{r:?}");
        r.remove(0)
    }

    /// Number of rows in each table that events touch, to prove nothing changed.
    pub async fn snapshot(&self) -> Vec<i64> {
        let mut v = Vec::new();
        for t in [
            "orders",
            "order_refs",
            "returns",
            "return_items",
            "return_status_history",
            "refunds",
            "refund_status_history",
            "webhook_events",
            "discrepancies",
        ] {
            v.push(self.count(t).await);
        }
        v
    }
}
