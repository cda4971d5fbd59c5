//! ReBound: the Bearer token, the optional HMAC signature, and every return event.

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use secrecy::SecretString;

use super::*;
use crate::domain::Currency;
use crate::providers::util::header_map;

const TOKEN: &str = "rb_live_token_9f8e7d";
const HMAC_SECRET: &str = "rb-hmac-secret";
const RECEIVED: &str = include_str!("../../../tests/fixtures/rebound/received.json");

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 15, 2).unwrap()
}

fn check(
    hmac: Option<&str>,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<Authenticated, AuthError> {
    let h = header_map(headers);
    Auth::new(SecretString::from(TOKEN), hmac.map(SecretString::from)).authenticate(&Inbound {
        headers: &h,
        body: body.as_bytes(),
        received_at: now(),
    })
}

fn invalid(r: Result<Authenticated, AuthError>) -> String {
    match r {
        Err(AuthError::InvalidSignature(m)) => m,
        other => panic!("expected InvalidSignature, got {other:?}"),
    }
}

const BEARER: &str = "Bearer rb_live_token_9f8e7d";

#[test]
fn the_bearer_token_authenticates_and_is_never_stored() {
    let ok = check(
        None,
        &[
            ("authorization", BEARER),
            ("content-type", "application/json"),
        ],
        RECEIVED,
    )
    .unwrap();
    assert_eq!(ok.idempotency_key, "evt_01JD3K8Q2W9X7Y6Z5A4B3C2D1E");
    assert_eq!(ok.stored_body, RECEIVED);
    assert_eq!(
        ok.stored_headers,
        vec![("content-type".into(), "application/json".into())]
    );
    // The scheme name is case-insensitive.
    assert!(
        check(
            None,
            &[("authorization", "bearer rb_live_token_9f8e7d")],
            RECEIVED
        )
        .is_ok()
    );
}

#[test]
fn a_missing_malformed_or_wrong_token_is_rejected() {
    assert_eq!(
        invalid(check(None, &[], RECEIVED)),
        "missing header `authorization`"
    );
    let m = invalid(check(
        None,
        &[("authorization", "Basic cmI6cGFzcw==")],
        RECEIVED,
    ));
    assert_eq!(m, "header `authorization` is not a Bearer token");
    let m = invalid(check(
        None,
        &[("authorization", "Bearer rb_live_token_9f8e7e")],
        RECEIVED,
    ));
    assert_eq!(m, "bearer token does not match");
}

#[test]
fn with_an_hmac_secret_the_signature_is_required_in_either_hex_case() {
    let sig = sign(HMAC_SECRET, RECEIVED.as_bytes());
    assert_eq!(sig, sig.to_ascii_lowercase());
    let ok = check(
        Some(HMAC_SECRET),
        &[("authorization", BEARER), ("x-rebound-signature", &sig)],
        RECEIVED,
    )
    .unwrap();
    assert_eq!(
        ok.stored_headers,
        vec![("x-rebound-signature".into(), sig.clone())]
    );
    let upper = sig.to_ascii_uppercase();
    assert!(
        check(
            Some(HMAC_SECRET),
            &[("authorization", BEARER), ("x-rebound-signature", &upper)],
            RECEIVED
        )
        .is_ok()
    );
    let m = invalid(check(
        Some(HMAC_SECRET),
        &[("authorization", BEARER)],
        RECEIVED,
    ));
    assert_eq!(m, "missing header `x-rebound-signature`");
}

#[test]
fn a_tampered_body_wrong_hmac_secret_or_garbled_signature_is_rejected() {
    let sig = sign(HMAC_SECRET, RECEIVED.as_bytes());
    let tampered = RECEIVED.replace("49.99", "99.99");
    let h = [
        ("authorization", BEARER),
        ("x-rebound-signature", sig.as_str()),
    ];
    assert_eq!(
        invalid(check(Some(HMAC_SECRET), &h, &tampered)),
        "no signature matched"
    );
    assert_eq!(
        invalid(check(Some("other"), &h, RECEIVED)),
        "no signature matched"
    );
    let h = [("authorization", BEARER), ("x-rebound-signature", "zz")];
    assert_eq!(
        invalid(check(Some(HMAC_SECRET), &h, RECEIVED)),
        "header `x-rebound-signature` is not hex"
    );
}

#[test]
fn without_event_id_or_json_the_key_is_the_body_hash() {
    let body = include_str!("../../../tests/fixtures/rebound/received_items_only.json");
    let ok = check(None, &[("authorization", BEARER)], body).unwrap();
    assert_eq!(ok.idempotency_key, util::sha256_hex(body.as_bytes()));
    let ok = check(None, &[("authorization", BEARER)], "<xml/>").unwrap();
    assert_eq!(ok.idempotency_key, util::sha256_hex(b"<xml/>"));
    assert!(
        parse("<xml/>", now())
            .unwrap_err()
            .0
            .starts_with("body is not JSON: ")
    );
}

// ---- parse -------------------------------------------------------------------------------

fn eur(d: Decimal) -> Money {
    Money::new(d, Currency::parse("EUR").unwrap())
}

fn ret(body: &str) -> (NormalizedEvent, ReturnFacts) {
    let ev = parse(body, now()).unwrap();
    assert!(ev.refund.is_none());
    let r = ev.return_.clone().unwrap();
    (ev, r)
}

#[test]
fn the_spec_example_is_a_received_return_of_a_tiktok_order() {
    let (ev, r) = ret(RECEIVED);
    assert_eq!(ev.event_type, "return.received");
    assert_eq!(
        ev.occurred_at.unwrap().to_rfc3339(),
        "2026-11-20T10:15:00+00:00"
    );
    let o = ev.order.unwrap();
    assert_eq!(o.order_number.as_deref(), Some("#1001"));
    assert_eq!(o.refs, vec![ExternalRef::new("tiktok_order", "5770012345")]);
    assert_eq!((o.total, o.placed_at), (None, None));

    assert_eq!(r.provider_return_id, "RB-88812");
    assert_eq!(
        (r.status, r.provider_status.as_str()),
        (Some(ReturnStatus::Received), "return.received")
    );
    assert_eq!(
        (r.carrier.as_deref(), r.tracking_number.as_deref()),
        (Some("DPD"), Some("15501234567890"))
    );
    assert_eq!(r.expected_refund, Some(eur(dec!(49.99))));
    let items = r.items.unwrap();
    assert_eq!(items[0].sku.as_deref(), Some("TEE-M"));
    assert_eq!(items[0].condition.as_deref(), Some("A"));
    assert_eq!(
        (items[0].quantity, items[0].unit_price),
        (1, Some(eur(dec!(49.99))))
    );
}

#[test]
fn every_event_maps_to_its_return_status() {
    let cases = [
        (
            include_str!("../../../tests/fixtures/rebound/created.json"),
            ReturnStatus::Requested,
        ),
        (
            include_str!("../../../tests/fixtures/rebound/in_transit.json"),
            ReturnStatus::InTransit,
        ),
        (
            include_str!("../../../tests/fixtures/rebound/arrived_hub.json"),
            ReturnStatus::Received,
        ),
        (
            include_str!("../../../tests/fixtures/rebound/delivered.json"),
            ReturnStatus::Received,
        ),
        (RECEIVED, ReturnStatus::Received),
        (
            include_str!("../../../tests/fixtures/rebound/graded.json"),
            ReturnStatus::Inspected,
        ),
        (
            include_str!("../../../tests/fixtures/rebound/processed.json"),
            ReturnStatus::Resolved,
        ),
    ];
    for (body, status) in cases {
        let (ev, r) = ret(body);
        assert_eq!(r.status, Some(status), "{}", ev.event_type);
        assert_eq!(r.provider_status, ev.event_type);
    }
}

#[test]
fn zoned_occurrence_times_are_converted_to_utc() {
    let (ev, _) = ret(include_str!(
        "../../../tests/fixtures/rebound/processed.json"
    ));
    assert_eq!(
        ev.occurred_at.unwrap().to_rfc3339(),
        "2026-11-21T08:00:00+00:00"
    );
}

#[test]
fn without_a_refund_block_the_expected_refund_is_the_item_sum() {
    let (_, r) = ret(include_str!(
        "../../../tests/fixtures/rebound/received_items_only.json"
    ));
    // 49.99 × 2 + 12.5 (a number) × 1
    assert_eq!(r.expected_refund, Some(eur(dec!(112.48))));
    // An item without a price makes the sum unknown rather than too small.
    let body = r#"{"event":"return.received","return":{"return_id":"R"},"items":[{"sku":"A","quantity":1,"unit_price":"5","currency":"EUR"},{"sku":"B","quantity":1}]}"#;
    assert_eq!(ret(body).1.expected_refund, None);
    let body = r#"{"event":"return.received","return":{"return_id":"R"},"items":[{"quantity":1,"unit_price":"5","currency":"EUR"},{"quantity":1,"unit_price":"5","currency":"USD"}]}"#;
    assert_eq!(
        parse(body, now()).unwrap_err().0,
        "items mix currencies EUR and USD"
    );
}

#[test]
fn a_minimal_event_says_nothing_it_does_not_know() {
    let (ev, r) = ret(r#"{"event":"return.in_transit","return":{"return_id":"RB-1"}}"#);
    assert_eq!((ev.order, ev.occurred_at), (None, None));
    assert_eq!((r.items, r.expected_refund, r.carrier), (None, None, None));
}

#[test]
fn unknown_events_and_missing_fields_are_unprocessable() {
    let e = parse(
        include_str!("../../../tests/fixtures/rebound/unknown_event.json"),
        now(),
    );
    assert_eq!(e.unwrap_err().0, "unknown event `return.lost`");
    let e = parse(
        include_str!("../../../tests/fixtures/rebound/missing_return_id.json"),
        now(),
    );
    assert_eq!(e.unwrap_err().0, "field `return.return_id` missing");
    let e = parse(
        r#"{"event":"return.created","return":{"return_id":"R"},"items":[{"sku":"A"}]}"#,
        now(),
    );
    assert_eq!(e.unwrap_err().0, "field `items[0].quantity` missing");
    let e = parse(
        r#"{"event":"return.created","return":{"return_id":"R"},"refund":{"amount":"1"}}"#,
        now(),
    );
    assert_eq!(
        e.unwrap_err().0,
        "field `refund.currency` missing (needed for `refund.amount`)"
    );
    let e = parse(
        r#"{"event":"return.created","return":{"return_id":"R"},"occurred_at":"soon"}"#,
        now(),
    );
    assert_eq!(
        e.unwrap_err().0,
        "field `occurred_at` is not an ISO 8601 time: soon"
    );
}
