//! Hostile input, generated: every provider's authenticate and parse paths, their header
//! parsers and the money parser must answer (Ok or a refusal), never panic, whatever they
//! are sent. Runs under `cargo test` (proptest; `PROPTEST_CASES` raises the count).

use axum::http::{HeaderMap, HeaderName, HeaderValue};
use chrono::Utc;
use proptest::prelude::*;
use secrecy::SecretString;
use serde_json::Value;

use super::*;
use crate::domain::Provider;

fn registry() -> Registry {
    Registry::from_secrets(&ProviderSecrets {
        rebound_token: Some(SecretString::from("rb-token-123456")),
        rebound_hmac_secret: Some(SecretString::from("rb-hmac")),
        rainforest: vec![SecretString::from("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")],
        baback: Some(SecretString::from("bb-secret")),
        alchemypay: Some(SecretString::from("ach-test-secret-2026")),
        unipayment: Some(SecretString::from("s3cretKey@2024%")),
    })
}

const HEADERS: [&str; 10] = [
    "svix-id",
    "svix-timestamp",
    "svix-signature",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
    "hmac_signature",
    "authorization",
    "x-rebound-signature",
    "content-type",
];

fn headers() -> impl Strategy<Value = HeaderMap> {
    prop::collection::vec((0..HEADERS.len(), "[ -~]{0,80}"), 0..6).prop_map(|hs| {
        let mut m = HeaderMap::new();
        for (i, v) in hs {
            if let Ok(v) = HeaderValue::from_str(&v) {
                m.insert(HeaderName::from_static(HEADERS[i]), v);
            }
        }
        m
    })
}

/// The fixtures of every provider, as JSON to mutate.
fn fixtures() -> Vec<(Provider, Value)> {
    let raw: [(Provider, &str); 6] = [
        (
            Provider::Rainforest,
            include_str!("../../tests/fixtures/rainforest/created.json"),
        ),
        (
            Provider::UniPayment,
            include_str!("../../tests/fixtures/unipayment/refund_approved.json"),
        ),
        (
            Provider::UniPayment,
            include_str!("../../tests/fixtures/unipayment/invoice_created.json"),
        ),
        (
            Provider::AlchemyPay,
            include_str!("../../tests/fixtures/alchemypay/completed.json"),
        ),
        (
            Provider::Baback,
            include_str!("../../tests/fixtures/baback/update_several_items.json"),
        ),
        (
            Provider::Rebound,
            include_str!("../../tests/fixtures/rebound/received.json"),
        ),
    ];
    raw.iter()
        .map(|(p, s)| (*p, serde_json::from_str(s).unwrap()))
        .collect()
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[ -~]{0,24}".prop_map(Value::String),
        Just(Value::String("-1e400".into())),
        Just(Value::String("99999999999999999999999999999999.99".into())),
        Just(Value::Array(vec![])),
        Just(Value::Object(Default::default())),
    ]
}

/// Replaces the value at a path chosen by `picks` (one pick per level) with `v`.
fn mutate(value: &mut Value, picks: &[usize], v: Value) {
    let mut cur = value;
    for (depth, p) in picks.iter().enumerate() {
        let next = match cur {
            Value::Object(m) if !m.is_empty() => {
                let k = m.keys().nth(p % m.len()).unwrap().clone();
                m.get_mut(&k).unwrap()
            }
            Value::Array(a) if !a.is_empty() => {
                let n = a.len();
                &mut a[p % n]
            }
            _ => break,
        };
        if depth + 1 == picks.len() || !(next.is_object() || next.is_array()) {
            *next = v;
            return;
        }
        cur = next;
    }
}

proptest! {
    #[test]
    fn authenticate_never_panics_on_any_request(
        p in 0usize..5,
        h in headers(),
        body in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let reg = registry();
        let provider = Provider::ALL[p];
        let req = Inbound { headers: &h, body: &body, received_at: Utc::now() };
        let _ = reg.get(provider).unwrap().authenticate(&req);
    }

    #[test]
    fn parse_never_panics_on_any_text(p in 0usize..5, body in "\\PC{0,300}") {
        let _ = parse(Provider::ALL[p], &body, Utc::now());
    }

    #[test]
    fn parse_of_a_mutated_real_payload_answers_ok_or_unprocessable(
        f in 0usize..6,
        picks in prop::collection::vec(any::<usize>(), 1..5),
        v in scalar(),
    ) {
        let (provider, mut json) = fixtures().swap_remove(f);
        mutate(&mut json, &picks, v);
        let body = json.to_string();
        let _ = parse(provider, &body, Utc::now());
        // Authentication of the same body (unsigned) must refuse cleanly, not panic.
        let h = HeaderMap::new();
        let req = Inbound { headers: &h, body: body.as_bytes(), received_at: Utc::now() };
        let _ = registry().get(provider).unwrap().authenticate(&req);
    }

    #[test]
    fn money_parsing_never_panics(s in "\\PC{0,64}", code in "[A-Za-z]{0,4}") {
        let _ = crate::domain::money::parse_decimal(&s);
        if let Ok(c) = crate::domain::Currency::parse(&code) {
            let _ = crate::domain::Money::from_major_str(&s, c).map(|m| (m.to_minor(), m.normalized()));
        }
    }
}
