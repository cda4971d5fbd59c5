//! Rainforest: the Svix test vector, rejections, rotation, and every `refund.*` event.

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal_macros::dec;
use secrecy::SecretString;

use super::*;
use crate::providers::util::header_map;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER_SECRET: &str = "whsec_dGhlLW5leHQtc2VjcmV0LWFmdGVyLXJvdGF0aW9u";
const MSG_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS: i64 = 1_614_265_330;
const VECTOR_BODY: &str = r#"{"test": 2432232314}"#;
const VECTOR_SIG: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn at(ts: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(ts, 0).unwrap()
}

fn auth(secrets: &[&str]) -> Auth {
    Auth::new(secrets.iter().map(|s| SecretString::from(*s)).collect())
}

fn check(
    a: &Auth,
    headers: &[(&str, &str)],
    body: &str,
    now: i64,
) -> Result<Authenticated, AuthError> {
    let h = header_map(headers);
    a.authenticate(&Inbound {
        headers: &h,
        body: body.as_bytes(),
        received_at: at(now),
    })
}

fn svix(sig: &str) -> Vec<(&'static str, String)> {
    vec![
        ("svix-id", MSG_ID.to_owned()),
        ("svix-timestamp", TS.to_string()),
        ("svix-signature", sig.to_owned()),
    ]
}

fn refs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

fn invalid(r: Result<Authenticated, AuthError>) -> String {
    match r {
        Err(AuthError::InvalidSignature(m)) => m,
        other => panic!("expected InvalidSignature, got {other:?}"),
    }
}

#[test]
fn sign_reproduces_the_published_svix_test_vector() {
    assert_eq!(sign(SECRET, MSG_ID, TS, VECTOR_BODY.as_bytes()), VECTOR_SIG);
}

#[test]
fn the_published_vector_authenticates_and_its_id_is_the_idempotency_key() {
    let ok = check(
        &auth(&[SECRET]),
        &refs(&svix(VECTOR_SIG)),
        VECTOR_BODY,
        TS + 10,
    )
    .unwrap();
    assert_eq!(ok.idempotency_key, MSG_ID);
    assert_eq!(ok.stored_body, VECTOR_BODY);
    assert!(
        ok.stored_headers
            .contains(&("svix-id".into(), MSG_ID.into()))
    );
}

#[test]
fn standard_webhooks_header_names_are_accepted() {
    let h = [
        ("webhook-id", MSG_ID),
        ("webhook-timestamp", "1614265330"),
        ("webhook-signature", VECTOR_SIG),
        ("content-type", "application/json"),
        ("authorization", "Bearer not-kept"),
    ];
    let ok = check(&auth(&[SECRET]), &h, VECTOR_BODY, TS).unwrap();
    assert!(ok.stored_headers.iter().all(|(k, _)| k != "authorization"));
    assert!(
        ok.stored_headers
            .contains(&("webhook-id".into(), MSG_ID.into()))
    );
    assert!(
        ok.stored_headers
            .contains(&("content-type".into(), "application/json".into()))
    );
}

#[test]
fn a_tampered_body_is_rejected() {
    let m = invalid(check(
        &auth(&[SECRET]),
        &refs(&svix(VECTOR_SIG)),
        r#"{"test": 2432232315}"#,
        TS,
    ));
    assert_eq!(m, "no signature matched");
}

#[test]
fn a_wrong_secret_is_rejected() {
    let m = invalid(check(
        &auth(&[OTHER_SECRET]),
        &refs(&svix(VECTOR_SIG)),
        VECTOR_BODY,
        TS,
    ));
    assert_eq!(m, "no signature matched");
}

#[test]
fn an_old_or_future_timestamp_is_outside_tolerance() {
    let a = auth(&[SECRET]);
    let m = invalid(check(&a, &refs(&svix(VECTOR_SIG)), VECTOR_BODY, TS + 812));
    assert!(m.starts_with("timestamp 812 s outside tolerance"), "{m}");
    let m = invalid(check(&a, &refs(&svix(VECTOR_SIG)), VECTOR_BODY, TS - 301));
    assert!(m.starts_with("timestamp 301 s outside tolerance"), "{m}");
    assert!(m.contains("in the future"), "{m}");
    // The edge of the window is still inside it.
    assert!(check(&a, &refs(&svix(VECTOR_SIG)), VECTOR_BODY, TS + 300).is_ok());
}

#[test]
fn any_of_several_signatures_may_match() {
    let sig = format!("v1,bm90LXRoZS1yaWdodC1zaWduYXR1cmU= v1a,ignored {VECTOR_SIG}");
    assert!(check(&auth(&[SECRET]), &refs(&svix(&sig)), VECTOR_BODY, TS).is_ok());
}

#[test]
fn any_configured_secret_may_match_during_rotation() {
    let a = auth(&[OTHER_SECRET, SECRET]);
    assert!(check(&a, &refs(&svix(VECTOR_SIG)), VECTOR_BODY, TS).is_ok());
    let signed_with_new = sign(OTHER_SECRET, MSG_ID, TS, VECTOR_BODY.as_bytes());
    assert!(check(&a, &refs(&svix(&signed_with_new)), VECTOR_BODY, TS).is_ok());
}

#[test]
fn missing_headers_and_signatures_are_named() {
    let a = auth(&[SECRET]);
    let mut h = svix(VECTOR_SIG);
    h.retain(|(k, _)| *k != "svix-signature");
    assert_eq!(
        invalid(check(&a, &refs(&h), VECTOR_BODY, TS)),
        "missing header `svix-signature`"
    );
    let m = invalid(check(&a, &refs(&svix("v2,abc")), VECTOR_BODY, TS));
    assert_eq!(m, "no `v1` signature in header `svix-signature`");
    let mut h = svix(VECTOR_SIG);
    h[1].1 = "yesterday".into();
    let m = invalid(check(&a, &refs(&h), VECTOR_BODY, TS));
    assert!(m.contains("not a Unix timestamp"), "{m}");
}

#[test]
fn a_signed_body_that_is_not_json_authenticates_and_fails_parsing() {
    let body = "not json";
    let sig = sign(SECRET, MSG_ID, TS, body.as_bytes());
    let ok = check(&auth(&[SECRET]), &refs(&svix(&sig)), body, TS).unwrap();
    assert_eq!(ok.idempotency_key, MSG_ID);
    let err = parse(body, at(TS)).unwrap_err();
    assert!(err.0.starts_with("body is not JSON: "), "{err}");
}

#[test]
fn an_invalid_secret_is_reported_by_decode_secret() {
    assert!(decode_secret(SECRET).is_ok());
    assert!(decode_secret("whsec_***").is_err());
}

// ---- parse -------------------------------------------------------------------------------

fn parsed(body: &str) -> (NormalizedEvent, RefundFacts) {
    let ev = parse(body, at(TS)).unwrap();
    let refund = ev.refund.clone().unwrap();
    assert!(ev.order.is_none() && ev.return_.is_none());
    (ev, refund)
}

fn usd(s: rust_decimal::Decimal) -> Money {
    Money::new(s, Currency::parse("USD").unwrap())
}

#[test]
fn created_carries_amount_in_minor_units_and_links_the_order() {
    let (ev, r) = parsed(include_str!(
        "../../../tests/fixtures/rainforest/created.json"
    ));
    assert_eq!(ev.event_type, "refund.created");
    assert_eq!(
        ev.occurred_at.unwrap().to_rfc3339(),
        "2026-11-20T10:00:00+00:00"
    );
    assert_eq!(r.provider_refund_id, "rfd_2sPMefai6yWsyp4MSGUkAo32pp7");
    assert_eq!(
        (r.status, r.provider_status.as_str()),
        (RefundStatus::Pending, "CREATED")
    );
    assert_eq!(r.amount, Some(usd(dec!(49.99))));
    assert_eq!(r.fee, None);
    assert_eq!(r.reason.as_deref(), Some("Customer returned the item"));
    assert_eq!(r.link.order_number.as_deref(), Some("#1001"));
    assert_eq!(
        r.link.refs,
        vec![ExternalRef::new(
            "rainforest_payin",
            "pyi_2sPMGW8CmZqf8j1cYzDZ3AeCuQS"
        )]
    );
    assert_eq!(r.details["merchant_id"], "mid_2mS7qCvBYyP6rDUEtPpHmZ4Xqmm");
    assert_eq!(r.details["idempotency_key"], "refund-1001-1");
    assert_eq!(r.details["metadata"]["channel"], "web");
    assert!(!r.details.contains_key("auth_code"));
}

#[test]
fn processing_is_partial_and_erases_nothing() {
    let (ev, r) = parsed(include_str!(
        "../../../tests/fixtures/rainforest/processing.json"
    ));
    assert_eq!(r.status, RefundStatus::Processing);
    assert_eq!(
        ev.occurred_at.unwrap().to_rfc3339(),
        "2026-11-20T10:05:00+00:00"
    );
    assert_eq!((r.amount, r.fee, r.reason.as_deref()), (None, None, None));
    assert!(r.link.is_empty());
    assert_eq!(r.details["auth_code"], "A1B2C3");
    assert_eq!(r.details.len(), 1);
}

#[test]
fn every_refund_event_maps_to_its_status() {
    let cases = [
        (
            include_str!("../../../tests/fixtures/rainforest/in_review.json"),
            RefundStatus::InReview,
            "IN_REVIEW",
        ),
        (
            include_str!("../../../tests/fixtures/rainforest/succeeded.json"),
            RefundStatus::Succeeded,
            "SUCCEEDED",
        ),
        (
            include_str!("../../../tests/fixtures/rainforest/failed.json"),
            RefundStatus::Failed,
            "FAILED",
        ),
        (
            include_str!("../../../tests/fixtures/rainforest/canceled.json"),
            RefundStatus::Canceled,
            "CANCELED",
        ),
    ];
    for (body, status, raw) in cases {
        let (_, r) = parsed(body);
        assert_eq!((r.status, r.provider_status.as_str()), (status, raw));
        assert_eq!(r.amount, None);
    }
}

#[test]
fn failed_keeps_the_refusal_code_and_description() {
    let (_, r) = parsed(include_str!(
        "../../../tests/fixtures/rainforest/failed.json"
    ));
    assert_eq!(r.details["refusal_code"], "insufficient_funds");
    assert!(
        r.details["refusal_desc"]
            .as_str()
            .unwrap()
            .contains("insufficient")
    );
}

#[test]
fn string_amounts_fees_order_id_and_zoned_times_are_read() {
    let body = include_str!("../../../tests/fixtures/rainforest/succeeded_full_with_order_id.json");
    let (ev, r) = parsed(body);
    assert_eq!(r.amount, Some(usd(dec!(125.00))));
    assert_eq!(r.fee, Some(usd(dec!(0.30))));
    assert_eq!(r.link.order_number.as_deref(), Some("ORD-77"));
    assert_eq!(
        ev.occurred_at.unwrap().to_rfc3339(),
        "2026-11-21T06:00:00+00:00"
    );
}

#[test]
fn unknown_events_and_missing_fields_are_unprocessable() {
    let e = parse(
        include_str!("../../../tests/fixtures/rainforest/unknown_event_type.json"),
        at(TS),
    );
    assert_eq!(e.unwrap_err().0, "unknown event_type `refund.reversed`");
    let e = parse(
        include_str!("../../../tests/fixtures/rainforest/missing_refund_id.json"),
        at(TS),
    );
    assert_eq!(e.unwrap_err().0, "field `refund_id` missing");
    let e = parse(
        include_str!("../../../tests/fixtures/rainforest/fractional_amount.json"),
        at(TS),
    );
    assert_eq!(
        e.unwrap_err().0,
        "field `amount` is not a whole number: 49.99"
    );
    let e = parse(
        r#"{"event_type":"refund.created","data":{"refund_id":"r","amount":"lots","currency_code":"USD"}}"#,
        at(TS),
    );
    assert_eq!(e.unwrap_err().0, "field `amount` is not a number: \"lots\"");
    let e = parse(
        r#"{"event_type":"refund.created","data":{"refund_id":"r","amount":1,"currency_code":"XXY"}}"#,
        at(TS),
    );
    assert!(e.unwrap_err().0.contains("not an ISO 4217 currency code"));
    let e = parse(
        r#"{"event_type":"refund.created","data":{"refund_id":"r","amount":1}}"#,
        at(TS),
    );
    assert_eq!(
        e.unwrap_err().0,
        "field `currency_code` missing (needed for `amount`)"
    );
    let e = parse(r#"{"event_type":"refund.created"}"#, at(TS));
    assert_eq!(e.unwrap_err().0, "field `data` missing");
}
