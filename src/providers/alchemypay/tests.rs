//! Alchemy Pay: the seed vector, sign rules (empty fields, numbers, case), rejections, and
//! both refund statuses.

use chrono::{DateTime, TimeZone, Utc};
use rust_decimal_macros::dec;
use secrecy::SecretString;
use serde_json::json;

use super::*;
use crate::domain::Currency;
use crate::providers::util::header_map;

const SECRET: &str = "ach-test-secret-2026";
const SEED_VECTOR: &str = "5C2D521E518C3F034298267B7D60FF44AAA4660E49AEB89E2649C16659AA0B0CCC1FD43268C520D197863E3424560790F91A2A49D1A6C9AE42BA000830DFAE43";

const SEED: &str = include_str!("../../../tests/fixtures/alchemypay/seed_example.json");
const COMPLETED: &str = include_str!("../../../tests/fixtures/alchemypay/completed.json");
const FAILED: &str = include_str!("../../../tests/fixtures/alchemypay/failed_fiat_amount.json");
const NUMBERS: &str = include_str!("../../../tests/fixtures/alchemypay/completed_numbers.json");

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 20, 10, 0, 0).unwrap()
}

fn check(secret: &str, body: &str) -> Result<Authenticated, AuthError> {
    let h = header_map(&[("content-type", "application/json")]);
    Auth::new(SecretString::from(secret)).authenticate(&Inbound {
        headers: &h,
        body: body.as_bytes(),
        received_at: now(),
    })
}

fn json(body: &str) -> Value {
    serde_json::from_str(body).unwrap()
}

#[test]
fn sign_of_the_seed_example_matches_the_published_vector() {
    let mut seed = json(SEED);
    seed.as_object_mut().unwrap().remove("sign");
    assert_eq!(sign(SECRET, &seed), SEED_VECTOR);
    // A `sign` field present in the payload is not part of the string.
    assert_eq!(sign(SECRET, &json(SEED)), SEED_VECTOR);
}

#[test]
fn the_sign_string_sorts_keys_and_leaves_out_null_and_empty_fields() {
    let m = json(r#"{"b":"2","a":"1","e":"","n":null,"x":3,"f":8.40,"t":true,"sign":"S"}"#);
    let s = sign_string(m.as_object().unwrap(), "k");
    assert_eq!(s, "a=1&b=2&f=8.4&t=true&x=3&key=k");
}

#[test]
fn a_correctly_signed_notification_authenticates() {
    let ok = check(SECRET, COMPLETED).unwrap();
    assert_eq!(ok.idempotency_key, "300217304490044230335:COMPLETED");
    assert_eq!(ok.stored_body, COMPLETED);
    assert_eq!(
        ok.stored_headers,
        vec![("content-type".into(), "application/json".into())]
    );
    // The FAILED fixture has an empty `hxAddress`, left out of the sign string.
    assert_eq!(
        check(SECRET, FAILED).unwrap().idempotency_key,
        "300217304490044239911:FAILED"
    );
    assert!(check(SECRET, NUMBERS).is_ok());
}

#[test]
fn the_sign_is_compared_case_insensitively() {
    let lower = COMPLETED.replace(SEED_VECTOR, &SEED_VECTOR.to_ascii_lowercase());
    assert!(check(SECRET, &lower).is_ok());
}

#[test]
fn a_tampered_field_or_wrong_secret_is_rejected() {
    let tampered = COMPLETED.replace("\"9.90000000\"", "\"99.00000000\"");
    assert_eq!(
        check(SECRET, &tampered).unwrap_err(),
        AuthError::InvalidSignature("field `sign` does not match".into())
    );
    assert_eq!(
        check("another-secret", COMPLETED).unwrap_err(),
        AuthError::InvalidSignature("field `sign` does not match".into())
    );
    // The seed carries a sign made with Alchemy Pay's own, unknown, secret.
    assert!(check(SECRET, SEED).is_err());
}

#[test]
fn a_missing_sign_is_invalid_and_a_body_that_is_not_an_object_is_malformed() {
    assert_eq!(
        check(SECRET, r#"{"orderStatus":"COMPLETED"}"#).unwrap_err(),
        AuthError::InvalidSignature("field `sign` missing".into())
    );
    assert!(
        matches!(check(SECRET, "orderStatus=COMPLETED"), Err(AuthError::Malformed(m)) if m.starts_with("body is not JSON"))
    );
    assert_eq!(
        check(SECRET, "[1,2]").unwrap_err(),
        AuthError::Malformed("body is not a JSON object".into())
    );
}

#[test]
fn without_order_number_and_status_the_key_is_the_body_hash() {
    let mut p = json!({"refundType": "MERCHANT_APPROVE_REFUND"});
    p["sign"] = Value::String(sign(SECRET, &p));
    let body = p.to_string();
    let ok = check(SECRET, &body).unwrap();
    assert_eq!(ok.idempotency_key, util::sha256_hex(body.as_bytes()));
}

// ---- parse -------------------------------------------------------------------------------

fn refund(body: &str) -> (NormalizedEvent, RefundFacts) {
    let ev = parse(body, now()).unwrap();
    assert!(ev.order.is_none() && ev.return_.is_none());
    let r = ev.refund.clone().unwrap();
    (ev, r)
}

#[test]
fn completed_is_a_succeeded_refund_with_its_crypto_leg() {
    let (ev, r) = refund(COMPLETED);
    assert_eq!(ev.event_type, "refund.completed");
    assert_eq!(ev.occurred_at, None);
    assert_eq!(r.provider_refund_id, "300217304490044230335");
    assert_eq!(
        (r.status, r.provider_status.as_str()),
        (RefundStatus::Succeeded, "COMPLETED")
    );
    assert_eq!(
        r.amount,
        Some(Money::new(dec!(9.9), Currency::parse("USD").unwrap()))
    );
    assert_eq!(
        r.crypto,
        Some(CryptoLeg {
            amount: Some(dec!(8.4)),
            token: Some("USDT".into()),
            network: Some("TRX".into()),
            tx_hash: Some(
                "05b40909e7dd03cd0c1303c1e740edaa682f15ea7ed4af3bca5adffbe10da277".into()
            ),
        })
    );
    assert_eq!(
        r.link.refs,
        vec![ExternalRef::new("merchant_order_no", "17304484880000")]
    );
    assert_eq!(r.details["refundType"], "MERCHANT_APPROVE_REFUND");
    assert_eq!(r.details["paymentOrderNo"], "300317304490044680240");
}

#[test]
fn failed_reads_the_fiat_amount_spelling_and_has_no_tx_hash() {
    let (ev, r) = refund(FAILED);
    assert_eq!(ev.event_type, "refund.failed");
    assert_eq!(
        (r.status, r.provider_status.as_str()),
        (RefundStatus::Failed, "FAILED")
    );
    assert_eq!(r.amount.unwrap().amount, dec!(25.00));
    assert_eq!(r.crypto.unwrap().tx_hash, None);
}

#[test]
fn numeric_amounts_are_read_exactly() {
    let (_, r) = refund(NUMBERS);
    assert_eq!(r.amount.unwrap().amount, dec!(9.9));
    assert_eq!(r.crypto.unwrap().amount, Some(dec!(8.4)));
}

#[test]
fn unknown_statuses_currencies_and_missing_fields_are_unprocessable() {
    let e = parse(
        include_str!("../../../tests/fixtures/alchemypay/unknown_status.json"),
        now(),
    );
    assert_eq!(e.unwrap_err().0, "unknown orderStatus `PROCESSING`");
    let e = parse(
        include_str!("../../../tests/fixtures/alchemypay/missing_refund_order_no.json"),
        now(),
    );
    assert_eq!(e.unwrap_err().0, "field `refundOrderNo` missing");
    let e = parse(
        include_str!("../../../tests/fixtures/alchemypay/unknown_currency.json"),
        now(),
    );
    assert!(
        e.unwrap_err()
            .0
            .starts_with("field `fiatCurrency`: `USDT` is not an ISO 4217")
    );
    let e = parse(
        r#"{"orderStatus":"FAILED","refundOrderNo":"1","faitAmount":"1.0"}"#,
        now(),
    );
    assert_eq!(e.unwrap_err().0, "field `fiatCurrency` missing");
    let e = parse(
        r#"{"orderStatus":"FAILED","refundOrderNo":"1","fiatAmount":"ten","fiatCurrency":"USD"}"#,
        now(),
    );
    assert_eq!(
        e.unwrap_err().0,
        "field `fiatAmount` is not a number: \"ten\""
    );
}
