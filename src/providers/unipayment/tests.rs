//! UniPayment: the Node SDK's signature vector, rejections, and every refund status and
//! invoice event.

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal_macros::dec;
use secrecy::SecretString;

use super::*;
use crate::domain::{Currency, Money};
use crate::providers::util::header_map;

/// From the UniPayment Node SDK, `unipaymentsdk/test/WebhookSignatureUtilTest.js`
/// (UniCryptoLab/UniPaymentClient.Node): the raw payload, byte for byte.
const SDK_PAYLOAD: &str = r#"{"ipn_type":"invoice","event":"invoice_created","app_id":"2a9bd90b-fe95-4659-83cb-04de662fbbac","payment_method_type":"Unknown","invoice_id":"Gy3TVe9Fbe5idGbez19pMr","order_id":"b49f70e5-a0da-4450-ae86-69b0a81708cc","price_amount":1.0,"price_currency":"USD","network":null,"address":null,"pay_currency":null,"pay_amount":0.0,"exchange_rate":0.0,"paid_amount":0.0,"confirmed_amount":0.0,"refunded_price_amount":0.0,"create_time":"2024-08-16T17:35:51.4194631Z","expiration_time":"2024-08-16T17:55:51.4195145Z","status":"New","error_status":"None","ext_args":"Merchant Pass Through Data","channel":null,"notify_id":"b2fd88c1-3d34-4bd2-9f55-c3e5b3097173","notify_time":"2024-08-16T17:35:51.4443531Z"}"#;
const SDK_SECRET: &str = "s3cretKey@2024%";
const SDK_SIGNATURE: &str = "cWcyVMKMQS8M+zwlUxPuROjF3hLWzAL6TSvWKC8K3FE=";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 11, 18, 6, 21, 0).unwrap()
}

fn check(secret: &str, headers: &[(&str, &str)], body: &str) -> Result<Authenticated, AuthError> {
    let h = header_map(headers);
    Auth::new(SecretString::from(secret)).authenticate(&Inbound {
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

#[test]
fn sign_reproduces_the_node_sdk_test_vector() {
    assert_eq!(sign(SDK_SECRET, SDK_PAYLOAD.as_bytes()), SDK_SIGNATURE);
}

#[test]
fn the_sdk_vector_authenticates_with_notify_id_as_idempotency_key() {
    let ok = check(
        SDK_SECRET,
        &[("hmac_signature", SDK_SIGNATURE)],
        SDK_PAYLOAD,
    )
    .unwrap();
    assert_eq!(ok.idempotency_key, "b2fd88c1-3d34-4bd2-9f55-c3e5b3097173");
    assert_eq!(ok.stored_body, SDK_PAYLOAD);
    assert_eq!(
        ok.stored_headers,
        vec![("hmac_signature".into(), SDK_SIGNATURE.into())]
    );
}

#[test]
fn the_dashed_header_name_left_by_proxies_is_accepted() {
    assert!(
        check(
            SDK_SECRET,
            &[("hmac-signature", SDK_SIGNATURE)],
            SDK_PAYLOAD
        )
        .is_ok()
    );
}

#[test]
fn a_tampered_body_or_wrong_secret_is_rejected() {
    let tampered = SDK_PAYLOAD.replace("\"price_amount\":1.0", "\"price_amount\":100.0");
    let m = invalid(check(
        SDK_SECRET,
        &[("hmac_signature", SDK_SIGNATURE)],
        &tampered,
    ));
    assert_eq!(m, "no signature matched");
    let m = invalid(check(
        "s3cretKey@2025%",
        &[("hmac_signature", SDK_SIGNATURE)],
        SDK_PAYLOAD,
    ));
    assert_eq!(m, "no signature matched");
}

#[test]
fn a_missing_or_garbled_signature_is_named() {
    assert_eq!(
        invalid(check(SDK_SECRET, &[], SDK_PAYLOAD)),
        "missing header `hmac_signature`"
    );
    let m = invalid(check(SDK_SECRET, &[("hmac_signature", "%%%")], SDK_PAYLOAD));
    assert_eq!(m, "header `hmac_signature` is not base64");
}

#[test]
fn a_signed_body_without_notify_id_or_not_json_is_keyed_by_its_hash() {
    for body in ["not json", r#"{"ipn_type":"invoice_refund"}"#] {
        let ok = check(
            "k",
            &[("hmac_signature", &sign("k", body.as_bytes()))],
            body,
        )
        .unwrap();
        assert_eq!(ok.idempotency_key, util::sha256_hex(body.as_bytes()));
    }
    assert!(
        parse("not json", now())
            .unwrap_err()
            .0
            .starts_with("body is not JSON: ")
    );
}

#[test]
fn a_signed_fixture_round_trips() {
    let body = include_str!("../../../tests/fixtures/unipayment/refund_approved.json");
    let ok = check(
        "whk",
        &[("hmac_signature", &sign("whk", body.as_bytes()))],
        body,
    )
    .unwrap();
    assert_eq!(ok.idempotency_key, "c8c4900a-0e75-44c7-9a64-5849da43d0e6");
}

// ---- parse -------------------------------------------------------------------------------

fn usd(d: rust_decimal::Decimal) -> Money {
    Money::new(d, Currency::parse("USD").unwrap())
}

fn refund(body: &str) -> (NormalizedEvent, RefundFacts) {
    let ev = parse(body, now()).unwrap();
    assert!(ev.order.is_none() && ev.return_.is_none());
    let r = ev.refund.clone().unwrap();
    (ev, r)
}

#[test]
fn the_documented_example_is_an_approved_refund_of_the_invoice() {
    let (ev, r) = refund(include_str!(
        "../../../tests/fixtures/unipayment/refund_approved.json"
    ));
    assert_eq!(ev.event_type, "refund_approved");
    // notify_time, with its 7 fractional digits.
    assert_eq!(
        ev.occurred_at.unwrap().to_rfc3339(),
        "2024-11-18T06:20:47.982370200+00:00"
    );
    assert_eq!(r.provider_refund_id, "HAYNXg2CyBq58WQT15ktm9");
    assert_eq!(
        (r.status, r.provider_status.as_str()),
        (RefundStatus::Approved, "Approved")
    );
    assert_eq!(r.amount, Some(usd(dec!(15))));
    assert_eq!(r.fee, Some(usd(dec!(0))));
    assert_eq!(r.reason, None);
    assert_eq!(
        r.link.refs,
        vec![ExternalRef::new(
            "unipayment_invoice",
            "XjKBNrQ2Cd8xCBa9H3yD9a"
        )]
    );
    assert_eq!(r.details["event"], "refund_approved");
    assert!(!r.details.contains_key("fee_payer"));
}

#[test]
fn every_refund_status_maps_as_specified() {
    let cases = [
        (
            include_str!("../../../tests/fixtures/unipayment/refund_created.json"),
            RefundStatus::Pending,
            "New",
        ),
        (
            include_str!("../../../tests/fixtures/unipayment/refund_claimed.json"),
            RefundStatus::Pending,
            "Claimed",
        ),
        (
            include_str!("../../../tests/fixtures/unipayment/refund_rejected.json"),
            RefundStatus::Rejected,
            "Rejected",
        ),
        (
            include_str!("../../../tests/fixtures/unipayment/refund_canceled.json"),
            RefundStatus::Canceled,
            "Canceled",
        ),
        (
            include_str!("../../../tests/fixtures/unipayment/refund_completed.json"),
            RefundStatus::Succeeded,
            "Completed",
        ),
        (
            include_str!("../../../tests/fixtures/unipayment/refund_failed.json"),
            RefundStatus::Failed,
            "Failed",
        ),
        (
            include_str!("../../../tests/fixtures/unipayment/refund_uppercase_numbers.json"),
            RefundStatus::Approved,
            "APPROVED",
        ),
        (
            include_str!("../../../tests/fixtures/unipayment/refund_ipn_type_refund.json"),
            RefundStatus::Approved,
            "Approved",
        ),
    ];
    for (body, status, raw) in cases {
        let (_, r) = refund(body);
        assert_eq!(
            (r.status, r.provider_status.as_str()),
            (status, raw),
            "{body}"
        );
    }
}

#[test]
fn fees_payers_and_reasons_are_kept() {
    let (_, r) = refund(include_str!(
        "../../../tests/fixtures/unipayment/refund_completed.json"
    ));
    assert_eq!(r.fee, Some(usd(dec!(0.5))));
    assert_eq!(r.details["fee_payer"], "CUSTOMER");
    let (_, r) = refund(include_str!(
        "../../../tests/fixtures/unipayment/refund_rejected.json"
    ));
    assert_eq!(r.reason.as_deref(), Some("Outside the refund window"));
}

#[test]
fn numeric_amounts_and_zone_less_notify_times_are_read() {
    let body = include_str!("../../../tests/fixtures/unipayment/refund_uppercase_numbers.json");
    let (ev, r) = refund(body);
    assert_eq!(r.amount, Some(usd(dec!(15))));
    assert_eq!(r.fee, Some(usd(dec!(0.25))));
    assert_eq!(
        ev.occurred_at.unwrap().to_rfc3339(),
        "2024-11-18T06:20:47+00:00"
    );
}

#[test]
fn without_status_the_event_decides_and_create_time_is_the_fallback_time() {
    let (ev, r) = refund(include_str!(
        "../../../tests/fixtures/unipayment/refund_event_only.json"
    ));
    assert_eq!(
        (r.status, r.provider_status.as_str()),
        (RefundStatus::Rejected, "refund_rejected")
    );
    assert_eq!(
        ev.occurred_at.unwrap().to_rfc3339(),
        "2024-11-18T06:20:29+00:00"
    );
}

#[test]
fn an_invoice_event_carries_the_order_and_its_invoice_ref() {
    let ev = parse(
        include_str!("../../../tests/fixtures/unipayment/invoice_created.json"),
        now(),
    )
    .unwrap();
    assert_eq!(ev.event_type, "invoice_created");
    assert!(ev.refund.is_none() && ev.return_.is_none());
    let o = ev.order.unwrap();
    assert_eq!(
        o.order_number.as_deref(),
        Some("b49f70e5-a0da-4450-ae86-69b0a81708cc")
    );
    assert_eq!(
        o.refs,
        vec![ExternalRef::new(
            "unipayment_invoice",
            "Gy3TVe9Fbe5idGbez19pMr"
        )]
    );
    assert_eq!(o.total, Some(usd(dec!(1))));
    assert_eq!(
        o.placed_at.unwrap().to_rfc3339(),
        "2024-08-16T17:35:51.419463100+00:00"
    );

    let ev = parse(
        include_str!("../../../tests/fixtures/unipayment/invoice_confirmed.json"),
        now(),
    )
    .unwrap();
    let o = ev.order.unwrap();
    assert_eq!(o.order_number.as_deref(), Some("ORD-2024-1118"));
    assert_eq!(o.total, Some(usd(dec!(15.00))));
}

#[test]
fn unknown_types_statuses_and_missing_fields_are_unprocessable() {
    let e = parse(
        include_str!("../../../tests/fixtures/unipayment/unknown_ipn_type.json"),
        now(),
    );
    assert_eq!(e.unwrap_err().0, "unknown ipn_type `payout`");
    let e = parse(
        include_str!("../../../tests/fixtures/unipayment/unknown_status.json"),
        now(),
    );
    assert_eq!(e.unwrap_err().0, "unknown refund status `Processing`");
    let e = parse(
        include_str!("../../../tests/fixtures/unipayment/missing_refund_id.json"),
        now(),
    );
    assert_eq!(e.unwrap_err().0, "field `refund_id` missing");
    let e = parse(r#"{"ipn_type":"invoice_refund","refund_id":"r"}"#, now());
    assert_eq!(e.unwrap_err().0, "field `status` missing");
    let e = parse(
        r#"{"ipn_type":"refund","refund_id":"r","status":"New","refund_price_amount":"1","price_currency":"BTC"}"#,
        now(),
    );
    assert!(
        e.unwrap_err()
            .0
            .contains("`BTC` is not an ISO 4217 currency code")
    );
    let e = parse(
        r#"{"ipn_type":"refund","refund_id":"r","status":"New","refund_price_amount":"x","price_currency":"USD"}"#,
        now(),
    );
    assert_eq!(
        e.unwrap_err().0,
        "field `refund_price_amount` is not a number: \"x\""
    );
    let e = parse(
        r#"{"ipn_type":"refund","refund_id":"r","status":"New","create_time":"18/11/2024"}"#,
        now(),
    );
    assert_eq!(
        e.unwrap_err().0,
        "field `create_time` is not an ISO 8601 time: 18/11/2024"
    );
    let e = parse(r#"{"event":"refund_approved"}"#, now());
    assert_eq!(e.unwrap_err().0, "field `ipn_type` missing");
}
