//! Baback: the body secret and its redaction, every action and status stage, and the
//! expected-refund rules.

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal_macros::dec;
use secrecy::SecretString;

use super::*;
use crate::providers::util::header_map;

const SECRET: &str = "your-webhook-secret";
const CREATE: &str = include_str!("../../../tests/fixtures/baback/create.json");

fn fixture(name: &str) -> &'static str {
    match name {
        "create" => CREATE,
        "approve" => include_str!("../../../tests/fixtures/baback/approve.json"),
        "cancel" => include_str!("../../../tests/fixtures/baback/cancel.json"),
        "update_shipped" => include_str!("../../../tests/fixtures/baback/update_shipped.json"),
        "logistician_approve" => {
            include_str!("../../../tests/fixtures/baback/logistician_approve.json")
        }
        "merchant_approve" => include_str!("../../../tests/fixtures/baback/merchant_approve.json"),
        "discount_create" => include_str!("../../../tests/fixtures/baback/discount_create.json"),
        "update_resolved" => include_str!("../../../tests/fixtures/baback/update_resolved.json"),
        "update_error" => include_str!("../../../tests/fixtures/baback/update_error.json"),
        "update_several_items" => {
            include_str!("../../../tests/fixtures/baback/update_several_items.json")
        }
        "unknown_action" => include_str!("../../../tests/fixtures/baback/unknown_action.json"),
        "missing_order_id" => include_str!("../../../tests/fixtures/baback/missing_order_id.json"),
        other => panic!("no fixture {other}"),
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2023, 1, 1, 0, 5, 0).unwrap()
}

fn check(secret: &str, body: &str) -> Result<Authenticated, AuthError> {
    let h = header_map(&[("user-agent", "Baback-Webhooks/1.0")]);
    Auth::new(SecretString::from(secret)).authenticate(&Inbound {
        headers: &h,
        body: body.as_bytes(),
        received_at: now(),
    })
}

#[test]
fn the_configured_secret_authenticates_and_is_redacted_before_storage() {
    let ok = check(SECRET, CREATE).unwrap();
    assert_eq!(
        ok.idempotency_key,
        "return-request-12345:returnRequest:returnRequest:create:1672531200000"
    );
    assert!(!ok.stored_body.contains(SECRET));
    let stored: Value = serde_json::from_str(&ok.stored_body).unwrap();
    assert_eq!(stored["data"]["secret"], REDACTED);
    assert_eq!(
        stored["data"]["returnRequest"]["id"],
        "return-request-12345"
    );
    assert_eq!(
        ok.stored_headers,
        vec![("user-agent".into(), "Baback-Webhooks/1.0".into())]
    );
    // The stored body parses to the same event as the original.
    assert_eq!(parse(&ok.stored_body, now()), parse(CREATE, now()));
}

#[test]
fn a_wrong_or_missing_secret_is_invalid() {
    assert_eq!(
        check("another-secret", CREATE).unwrap_err(),
        AuthError::InvalidSignature("field `data.secret` does not match".into())
    );
    let without = r#"{"data":{"action":"returnRequest:returnRequest:create","returnRequest":{}}}"#;
    assert_eq!(
        check(SECRET, without).unwrap_err(),
        AuthError::InvalidSignature("field `data.secret` missing".into())
    );
}

#[test]
fn a_body_that_is_not_json_or_has_no_data_is_malformed() {
    assert!(
        matches!(check(SECRET, "data=1"), Err(AuthError::Malformed(m)) if m.starts_with("body is not JSON"))
    );
    assert_eq!(
        check(SECRET, r#"{"secret":"your-webhook-secret"}"#).unwrap_err(),
        AuthError::Malformed("field `data` missing".into())
    );
    assert_eq!(
        check(SECRET, r#"{"data":"x"}"#).unwrap_err(),
        AuthError::Malformed("field `data` is not an object".into())
    );
}

#[test]
fn without_an_updated_at_the_key_is_the_hash_of_the_redacted_body() {
    let body = r#"{"data":{"action":"returnRequest:returnRequest:create","secret":"your-webhook-secret","returnRequest":{"id":"rr-1"}}}"#;
    let ok = check(SECRET, body).unwrap();
    assert_eq!(
        ok.idempotency_key,
        util::sha256_hex(ok.stored_body.as_bytes())
    );
}

// ---- parse -------------------------------------------------------------------------------

fn ret(name: &str) -> (NormalizedEvent, ReturnFacts) {
    let ev = parse(fixture(name), now()).unwrap();
    assert!(ev.refund.is_none());
    let r = ev.return_.clone().unwrap();
    (ev, r)
}

fn usd(d: Decimal) -> Money {
    Money::new(d, Currency::parse("USD").unwrap())
}

#[test]
fn the_seed_example_creates_the_order_and_the_requested_return() {
    let (ev, r) = ret("create");
    assert_eq!(ev.event_type, "returnRequest:returnRequest:create");
    assert_eq!(
        ev.occurred_at.unwrap().timestamp_millis(),
        1_672_531_200_000
    );
    let o = ev.order.unwrap();
    assert_eq!(o.order_number.as_deref(), Some("#EXAMPLE-001"));
    assert_eq!(
        o.refs,
        vec![ExternalRef::new("shopify_order", "9876543210987")]
    );
    assert_eq!(o.total, Some(usd(dec!(299))));
    assert_eq!(
        o.placed_at.unwrap().to_rfc3339(),
        "2022-12-31T00:00:00+00:00"
    );

    assert_eq!(r.provider_return_id, "return-request-12345");
    // The seed marks approved and waiting done at the same millisecond: waiting is later.
    assert_eq!(
        (r.status, r.provider_status.as_str()),
        (Some(ReturnStatus::Approved), "waiting")
    );
    assert_eq!(r.expected_refund, Some(usd(dec!(49.99))));
    assert_eq!(
        (r.carrier.as_deref(), r.tracking_number.as_deref()),
        (Some("ups-ground"), Some("1Z123456789012345"))
    );
    let items = r.items.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].sku.as_deref(), Some("SAMPLE-SKU-001"));
    assert_eq!(items[0].title.as_deref(), Some("Sample Product Name"));
    assert_eq!(
        (items[0].quantity, items[0].unit_price),
        (1, Some(usd(dec!(49.99))))
    );
    assert_eq!(items[0].resolution.as_deref(), Some("refund"));
}

#[test]
fn every_action_maps_its_latest_done_stage() {
    let cases = [
        (
            "approve",
            "returnRequest:returnRequest:approve",
            Some(ReturnStatus::Approved),
            "waiting",
        ),
        (
            "update_shipped",
            "returnRequest:returnRequest:update",
            Some(ReturnStatus::InTransit),
            "shipped",
        ),
        (
            "logistician_approve",
            "returnRequest:logistician:approve",
            Some(ReturnStatus::Received),
            "treatedLogistician",
        ),
        (
            "merchant_approve",
            "returnRequest:merchant:approve",
            Some(ReturnStatus::Inspected),
            "treatedMerchant",
        ),
        (
            "discount_create",
            "returnRequest:discount:create",
            Some(ReturnStatus::Inspected),
            "treatedMerchant",
        ),
        (
            "update_resolved",
            "returnRequest:returnRequest:update",
            Some(ReturnStatus::Resolved),
            "resolved",
        ),
        (
            "cancel",
            "returnRequest:returnRequest:cancel",
            Some(ReturnStatus::Canceled),
            "cancelled",
        ),
    ];
    for (name, action, status, stage) in cases {
        let (ev, r) = ret(name);
        assert_eq!(ev.event_type, action, "{name}");
        assert_eq!(
            (r.status, r.provider_status.as_str()),
            (status, stage),
            "{name}"
        );
    }
}

#[test]
fn the_error_stage_keeps_the_previous_status_and_records_the_word() {
    let (_, r) = ret("update_error");
    assert_eq!((r.status, r.provider_status.as_str()), (None, "error"));
}

#[test]
fn a_non_zero_refund_amount_overrides_the_item_sum() {
    let (ev, r) = ret("merchant_approve");
    assert_eq!(r.expected_refund, Some(usd(dec!(45))));
    let items = r.items.unwrap();
    assert_eq!(
        (items[1].quantity, items[1].unit_price),
        (2, Some(usd(dec!(25.5))))
    );
    assert_eq!(items[1].resolution.as_deref(), Some("exchange"));
    assert_eq!(
        ev.occurred_at.unwrap().timestamp_millis(),
        1_672_790_400_500
    );
}

#[test]
fn the_expected_refund_sums_price_times_quantity_of_refunded_items() {
    let (ev, r) = ret("update_several_items");
    // 49.99 × 1 + 10.00 × 3, with a string total price.
    assert_eq!(r.expected_refund, Some(usd(dec!(79.99))));
    assert_eq!(ev.order.unwrap().total, Some(usd(dec!(299.00))));
}

#[test]
fn unknown_actions_and_missing_fields_are_unprocessable() {
    let e = parse(fixture("unknown_action"), now()).unwrap_err();
    assert_eq!(e.0, "unknown action `returnRequest:label:create`");
    let e = parse(fixture("missing_order_id"), now()).unwrap_err();
    assert_eq!(e.0, "field `returnRequest.orderId` missing");
    let e = parse(
        r#"{"data":{"action":"returnRequest:returnRequest:create"}}"#,
        now(),
    )
    .unwrap_err();
    assert_eq!(e.0, "field `data.returnRequest` missing");
    let body = CREATE.replace("\"paidPrice\": \"49.99\"", "\"paidPrice\": \"n/a\"");
    let e = parse(&body, now()).unwrap_err();
    assert_eq!(
        e.0,
        "field `returnRequest.lineItems[0].paidPrice` is not a number: \"n/a\""
    );
    let body = CREATE.replace(
        "\"waiting\": {\n          \"done\": true",
        "\"reopened\": {\n          \"done\": true",
    );
    let e = parse(&body, now()).unwrap_err();
    assert_eq!(e.0, "unknown status stage `reopened`");
}
