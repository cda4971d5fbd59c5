//! Rainforest Pay refund webhooks: Svix / Standard Webhooks authentication (with secret
//! rotation) and the `refund.<status>` payloads, whose amounts are in minor units.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde_json::{Map, Value};
use sha2::Sha256;

use super::util::{self, Obj, unprocessable};
use super::{AuthError, Authenticated, Authenticator, Inbound, Unprocessable};
use crate::domain::{
    Currency, ExternalRef, Money, NormalizedEvent, OrderLink, Provider, RefundFacts, RefundStatus,
};

/// Svix's tolerance for the signed timestamp, both ways.
pub const TOLERANCE_SECS: i64 = 300;

/// Headers kept with the event: both the Svix and the Standard Webhooks names.
const KEPT_HEADERS: [&str; 6] = [
    "svix-id",
    "svix-timestamp",
    "svix-signature",
    "webhook-id",
    "webhook-timestamp",
    "webhook-signature",
];

/// Decodes a `whsec_…` signing secret into its HMAC key. The prefix is optional, as in the
/// Svix libraries. The config layer should call this at start-up to refuse a bad secret.
pub fn decode_secret(secret: &str) -> Result<Vec<u8>, String> {
    let b64 = secret.trim();
    let b64 = b64.strip_prefix("whsec_").unwrap_or(b64);
    B64.decode(b64)
        .map_err(|_| "Rainforest secret is not `whsec_` followed by base64".to_owned())
}

/// Signs like Rainforest does, for tests and benchmarks: returns `v1,<base64>`.
///
/// # Panics
/// When `secret` is not a valid `whsec_` secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &[u8]) -> String {
    let key = decode_secret(secret).expect("valid whsec_ secret");
    let tag = mac(&key, id, &timestamp.to_string(), body)
        .finalize()
        .into_bytes();
    format!("v1,{}", B64.encode(tag))
}

fn mac(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

pub struct Auth {
    /// Decoded keys of every configured secret; several during a rotation. Secrets that do
    /// not decode are dropped here (config validation reports them via [`decode_secret`]).
    keys: Vec<SecretSlice<u8>>,
}

impl Auth {
    pub fn new(secrets: Vec<SecretString>) -> Self {
        let keys = secrets
            .iter()
            .filter_map(|s| decode_secret(s.expose_secret()).ok())
            .map(SecretSlice::from)
            .collect();
        Auth { keys }
    }
}

/// A Svix header, or its Standard Webhooks twin (`svix-id` or `webhook-id`).
fn svix_header<'h>(req: &'h Inbound<'_>, suffix: &str) -> Result<&'h str, AuthError> {
    let svix = format!("svix-{suffix}");
    match util::header(req.headers, &svix)? {
        Some(v) => Ok(v),
        None => util::header(req.headers, &format!("webhook-{suffix}"))?
            .ok_or_else(|| AuthError::InvalidSignature(format!("missing header `{svix}`"))),
    }
}

impl Authenticator for Auth {
    fn authenticate(&self, req: &Inbound<'_>) -> Result<Authenticated, AuthError> {
        let id = svix_header(req, "id")?;
        let ts_text = svix_header(req, "timestamp")?;
        let sig_header = svix_header(req, "signature")?;

        // Checked before the signature, as Svix does: a stale delivery is a replay.
        let ts: i64 = ts_text.parse().map_err(|_| {
            AuthError::InvalidSignature(format!(
                "header `svix-timestamp` is not a Unix timestamp: {ts_text}"
            ))
        })?;
        // Saturating: an absurd timestamp (near i64::MIN) is refused, never an overflow.
        let skew = req.received_at.timestamp().saturating_sub(ts);
        if skew.saturating_abs() > TOLERANCE_SECS {
            let way = if skew > 0 { "too old" } else { "in the future" };
            return Err(AuthError::InvalidSignature(format!(
                "timestamp {} s outside tolerance (±{TOLERANCE_SECS} s, {way})",
                skew.unsigned_abs()
            )));
        }

        // Entries are `v1,<b64>`; other versions (e.g. asymmetric `v1a`) are not ours.
        let candidates: Vec<Vec<u8>> = sig_header
            .split_whitespace()
            .filter_map(|e| e.strip_prefix("v1,"))
            .filter_map(|b64| B64.decode(b64).ok())
            .collect();
        if candidates.is_empty() {
            return Err(AuthError::InvalidSignature(
                "no `v1` signature in header `svix-signature`".into(),
            ));
        }
        let matched = self.keys.iter().any(|key| {
            let mac = mac(key.expose_secret(), id, ts_text, req.body);
            // `verify_slice` compares in constant time; the MAC is cloned per candidate.
            candidates
                .iter()
                .any(|c| mac.clone().verify_slice(c).is_ok())
        });
        if !matched {
            return Err(AuthError::InvalidSignature("no signature matched".into()));
        }
        Ok(Authenticated {
            // The svix-id is signed and always present, so it is the key even when the body
            // turns out not to be JSON.
            idempotency_key: id.to_owned(),
            stored_body: util::lossy_body(req.body),
            stored_headers: util::stored_headers(req.headers, &KEPT_HEADERS),
        })
    }
}

fn status_of(event_type: &str) -> Result<RefundStatus, Unprocessable> {
    let status = match event_type {
        "refund.created" => RefundStatus::Pending,
        "refund.processing" => RefundStatus::Processing,
        "refund.in_review" => RefundStatus::InReview,
        "refund.succeeded" => RefundStatus::Succeeded,
        "refund.failed" => RefundStatus::Failed,
        "refund.canceled" => RefundStatus::Canceled,
        other => return Err(unprocessable(format!("unknown event_type `{other}`"))),
    };
    Ok(status)
}

/// An amount in minor units (Rainforest sends integers: 4999 is 49.99 USD).
fn minor_money(
    data: Obj<'_>,
    key: &str,
    currency: Currency,
) -> Result<Option<Money>, Unprocessable> {
    let Some(minor) = data.opt_i64(key)? else {
        return Ok(None);
    };
    Money::from_minor(minor, currency)
        .map(Some)
        .map_err(|e| unprocessable(format!("field `{}`: {e}", data.name(key))))
}

/// Fields kept for reference on the refund, when the event carries them.
const DETAIL_FIELDS: [&str; 7] = [
    "payin_id",
    "merchant_id",
    "idempotency_key",
    "metadata",
    "refusal_code",
    "refusal_desc",
    "auth_code",
];

pub fn parse(body: &str, _received_at: DateTime<Utc>) -> Result<NormalizedEvent, Unprocessable> {
    let root_map = util::json_object(body)?;
    let root = Obj::new(&root_map, "");
    let event_type = root.str("event_type")?;
    let status = status_of(&event_type)?;
    // Fields are named without the `data.` envelope, as Rainforest documents them.
    let data = Obj::new(root.obj("data")?, "");

    let refund_id = data.str("refund_id")?;
    let provider_status = match data.opt_str("status")? {
        Some(s) => s,
        None => event_type
            .trim_start_matches("refund.")
            .to_ascii_uppercase(),
    };
    let currency = data.opt_currency("currency_code")?;
    let amount = match currency {
        Some(c) => minor_money(data, "amount", c)?,
        None if data.get("amount").is_some() => {
            return Err(unprocessable(
                "field `currency_code` missing (needed for `amount`)",
            ));
        }
        None => None,
    };
    // Processing events carry the fee but not the currency: without one it is not money.
    let fee = match currency {
        Some(c) => minor_money(data, "merchant_fees", c)?,
        None => None,
    };
    let fee_minor = match currency {
        Some(_) => None,
        None => data.opt_i64("merchant_fees")?,
    };
    let occurred_at = match data.opt_time("updated_at")? {
        Some(t) => Some(t),
        None => data.opt_time("created_at")?,
    };

    let mut link = OrderLink::default();
    if let Some(meta) = data.opt_obj("metadata")? {
        let meta = Obj::new(meta, "metadata");
        link.order_number = match meta.opt_str("order_number")? {
            Some(n) => Some(n),
            None => meta.opt_str("order_id")?,
        };
    }
    if let Some(payin) = data.opt_str("payin_id")? {
        link.refs.push(ExternalRef::new("rainforest_payin", payin));
    }

    let details: Map<String, Value> = DETAIL_FIELDS
        .iter()
        .filter_map(|k| data.get(k).map(|v| ((*k).to_owned(), v.clone())))
        .collect();

    Ok(NormalizedEvent {
        provider: Provider::Rainforest,
        event_type,
        occurred_at,
        order: None,
        return_: None,
        refund: Some(RefundFacts {
            provider_refund_id: refund_id,
            status,
            provider_status,
            amount,
            fee,
            fee_minor,
            reason: data.opt_str("reason")?,
            crypto: None,
            link,
            details,
        }),
    })
}

#[cfg(test)]
mod tests;
