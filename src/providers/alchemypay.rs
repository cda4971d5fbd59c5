//! Alchemy Pay (ACH) refund-order notifications: the `sign` body field (uppercase hex
//! SHA-512 of the sorted fields plus `&key=<secret>`) and COMPLETED / FAILED refunds with
//! their crypto leg.
//!
//! How values enter the sign string: strings as they are; `null` and `""` are left out (as
//! documented); any other JSON value (number, boolean, object, array) as its compact JSON
//! text, e.g. `tokenAmount=8.4` for the number `8.40`. Alchemy Pay documents every field as a
//! string, so numbers are an edge case; serde_json prints a float in its shortest form, which
//! is the text a JavaScript or Java sender produces for the same number.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;

use super::util::{self, Obj, unprocessable};
use super::{AuthError, Authenticated, Authenticator, Inbound, Unprocessable};
use crate::domain::{
    CryptoLeg, ExternalRef, Money, NormalizedEvent, OrderLink, Provider, RefundFacts, RefundStatus,
};

/// The string that is hashed: `k=v` pairs sorted by key (ASCII), then `&key=<secret>`.
fn sign_string(payload: &Map<String, Value>, secret: &str) -> String {
    let mut pairs: Vec<(&String, String)> = payload
        .iter()
        .filter(|(k, _)| k.as_str() != "sign")
        .filter_map(|(k, v)| match v {
            Value::Null => None,
            Value::String(s) if s.is_empty() => None,
            Value::String(s) => Some((k, s.clone())),
            other => Some((k, other.to_string())),
        })
        .collect();
    // Sorting here, not relying on the map's order, keeps this right whether or not
    // serde_json's `preserve_order` feature is on.
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut s: String = pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    s.push_str("&key=");
    s.push_str(secret);
    s
}

/// Signs like Alchemy Pay does, for tests and benchmarks: the uppercase hex SHA-512 of the
/// sign string. A `sign` field in `payload` is ignored; a non-object has no fields.
pub fn sign(secret: &str, payload: &Value) -> String {
    let empty = Map::new();
    let map = payload.as_object().unwrap_or(&empty);
    hex::encode_upper(Sha512::digest(sign_string(map, secret).as_bytes()))
}

pub struct Auth {
    secret: SecretString,
}

impl Auth {
    pub fn new(secret: SecretString) -> Self {
        Auth { secret }
    }
}

impl Authenticator for Auth {
    fn authenticate(&self, req: &Inbound<'_>) -> Result<Authenticated, AuthError> {
        // The signature lives in the body, so a body we cannot read is a 400, not a 401.
        let payload: Value = serde_json::from_slice(req.body)
            .map_err(|e| AuthError::Malformed(format!("body is not JSON: {e}")))?;
        let map = payload
            .as_object()
            .ok_or_else(|| AuthError::Malformed("body is not a JSON object".into()))?;
        let given = match map.get("sign") {
            None | Some(Value::Null) => {
                return Err(AuthError::InvalidSignature("field `sign` missing".into()));
            }
            Some(Value::String(s)) => s.trim().to_ascii_uppercase(),
            Some(_) => {
                return Err(AuthError::InvalidSignature(
                    "field `sign` is not a string".into(),
                ));
            }
        };
        let expected = sign(self.secret.expose_secret(), &payload);
        // Both sides are uppercase hex now, so this is the case-insensitive comparison.
        if !bool::from(given.as_bytes().ct_eq(expected.as_bytes())) {
            return Err(AuthError::InvalidSignature(
                "field `sign` does not match".into(),
            ));
        }

        let field = |k: &str| map.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        let idempotency_key = match (field("refundOrderNo"), field("orderStatus")) {
            (Some(no), Some(status)) => format!("{no}:{status}"),
            _ => util::sha256_hex(req.body),
        };
        Ok(Authenticated {
            idempotency_key,
            stored_body: util::lossy_body(req.body),
            stored_headers: util::stored_headers(req.headers, &[]),
        })
    }
}

pub fn parse(body: &str, _received_at: DateTime<Utc>) -> Result<NormalizedEvent, Unprocessable> {
    let map = util::json_object(body)?;
    let root = Obj::new(&map, "");
    let provider_status = root.str("orderStatus")?;
    let status = match provider_status.to_ascii_uppercase().as_str() {
        "COMPLETED" => RefundStatus::Succeeded,
        "FAILED" => RefundStatus::Failed,
        _ => {
            return Err(unprocessable(format!(
                "unknown orderStatus `{provider_status}`"
            )));
        }
    };
    let refund_order_no = root.str("refundOrderNo")?;

    // `faitAmount` is the documented spelling; `fiatAmount` is accepted too.
    let amount_field = if root.get("faitAmount").is_some() {
        "faitAmount"
    } else {
        "fiatAmount"
    };
    let amount = match root.opt_decimal(amount_field)? {
        Some(a) => {
            let currency = root
                .opt_currency("fiatCurrency")?
                .ok_or_else(|| unprocessable("field `fiatCurrency` missing"))?;
            Some(Money::new(a, currency))
        }
        None => None,
    };

    let crypto = CryptoLeg {
        amount: root.opt_decimal("tokenAmount")?,
        token: root.opt_str("refundToken")?,
        network: root.opt_str("refundNetwork")?,
        tx_hash: root.opt_str("hxAddress")?,
    };
    let has_crypto = crypto.amount.is_some()
        || crypto.token.is_some()
        || crypto.network.is_some()
        || crypto.tx_hash.is_some();

    let mut link = OrderLink::default();
    if let Some(no) = root.opt_str("merchantOrderNo")? {
        link.refs.push(ExternalRef::new("merchant_order_no", no));
    }
    let details: Map<String, Value> = ["refundType", "paymentOrderNo"]
        .iter()
        .filter_map(|k| root.get(k).map(|v| ((*k).to_owned(), v.clone())))
        .collect();

    Ok(NormalizedEvent {
        provider: Provider::AlchemyPay,
        event_type: format!("refund.{}", provider_status.to_ascii_lowercase()),
        // The payload has no time: the service uses the receive time.
        occurred_at: None,
        order: None,
        return_: None,
        refund: Some(RefundFacts {
            provider_refund_id: refund_order_no,
            status,
            provider_status,
            amount,
            fee: None,
            fee_minor: None,
            reason: None,
            crypto: has_crypto.then_some(crypto),
            link,
            details,
        }),
    })
}

#[cfg(test)]
mod tests;
