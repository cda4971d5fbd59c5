//! UniPayment IPNs: the `hmac_signature` header (base64 HMAC-SHA256 of the raw body),
//! `invoice_refund` events (refund facts) and `invoice` events (order facts).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use sha2::Sha256;

use super::util::{self, Obj, unprocessable};
use super::{AuthError, Authenticated, Authenticator, Inbound, Unprocessable};
use crate::domain::{
    ExternalRef, NormalizedEvent, OrderFacts, OrderLink, Provider, RefundFacts, RefundStatus,
};

/// The documented header, and the dashed spelling some proxies (nginx's default
/// `underscores_in_headers off`) force on it.
const SIGNATURE_HEADERS: [&str; 2] = ["hmac_signature", "hmac-signature"];

/// Signs like UniPayment does, for tests and benchmarks: base64 HMAC-SHA256 of the body.
pub fn sign(secret: &str, body: &[u8]) -> String {
    B64.encode(mac(secret.as_bytes(), body).finalize().into_bytes())
}

fn mac(key: &[u8], body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(body);
    mac
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
        let mut given = None;
        for name in SIGNATURE_HEADERS {
            if let Some(v) = util::header(req.headers, name)? {
                given = Some(v);
                break;
            }
        }
        let given = given
            .ok_or_else(|| AuthError::InvalidSignature("missing header `hmac_signature`".into()))?;
        let tag = B64.decode(given).map_err(|_| {
            AuthError::InvalidSignature("header `hmac_signature` is not base64".into())
        })?;
        mac(self.secret.expose_secret().as_bytes(), req.body)
            .verify_slice(&tag)
            .map_err(|_| AuthError::InvalidSignature("no signature matched".into()))?;

        // A signed body that is not JSON is still authenticated; `parse` rejects it (422).
        let notify_id = serde_json::from_slice::<Value>(req.body)
            .ok()
            .and_then(|v| v.get("notify_id")?.as_str().map(str::to_owned))
            .filter(|s| !s.trim().is_empty());
        Ok(Authenticated {
            idempotency_key: notify_id.unwrap_or_else(|| util::sha256_hex(req.body)),
            stored_body: util::lossy_body(req.body),
            stored_headers: util::stored_headers(req.headers, &SIGNATURE_HEADERS),
        })
    }
}

/// Maps a status (`Approved`, `APPROVED`) or an event suffix (`approved` of
/// `refund_approved`) to the normalized status.
fn status_of(word: &str) -> Option<RefundStatus> {
    let s = match word.trim().to_ascii_lowercase().as_str() {
        "new" | "created" | "claimed" => RefundStatus::Pending,
        "approved" => RefundStatus::Approved,
        "rejected" => RefundStatus::Rejected,
        "canceled" | "cancelled" => RefundStatus::Canceled,
        "completed" => RefundStatus::Succeeded,
        "failed" => RefundStatus::Failed,
        _ => return None,
    };
    Some(s)
}

/// `notify_time` is when UniPayment announced this change, so it orders events of one refund;
/// `create_time` is when the refund was requested and is the same on all of them.
fn occurred_at(root: Obj<'_>) -> Result<Option<DateTime<Utc>>, Unprocessable> {
    match root.opt_time("notify_time")? {
        Some(t) => Ok(Some(t)),
        None => root.opt_time("create_time"),
    }
}

pub fn parse(body: &str, _received_at: DateTime<Utc>) -> Result<NormalizedEvent, Unprocessable> {
    let map = util::json_object(body)?;
    let root = Obj::new(&map, "");
    let ipn_type = root.str("ipn_type")?;
    match ipn_type.as_str() {
        "invoice_refund" | "refund" => parse_refund(root),
        "invoice" => parse_invoice(root),
        other => Err(unprocessable(format!("unknown ipn_type `{other}`"))),
    }
}

fn parse_refund(root: Obj<'_>) -> Result<NormalizedEvent, Unprocessable> {
    let event = root.opt_str("event")?;
    let refund_id = root.str("refund_id")?;
    // The `status` field is the provider's word; the event name is the fallback.
    let provider_status = match (root.opt_str("status")?, &event) {
        (Some(s), _) => s,
        (None, Some(e)) => e.clone(),
        (None, None) => return Err(unprocessable("field `status` missing")),
    };
    let status = status_of(provider_status.trim_start_matches("refund_"))
        .ok_or_else(|| unprocessable(format!("unknown refund status `{provider_status}`")))?;

    let currency = root.opt_currency("price_currency")?;
    let amount = root.opt_money("refund_price_amount", currency, "price_currency")?;
    let fee = root.opt_money("fee", currency, "price_currency")?;

    let mut link = OrderLink {
        order_number: root.opt_str("order_id")?,
        refs: Vec::new(),
    };
    if let Some(invoice) = root.opt_str("invoice_id")? {
        link.refs
            .push(ExternalRef::new("unipayment_invoice", invoice));
    }
    let details: Map<String, Value> = ["event", "fee_payer", "invoice_id", "notify_id"]
        .iter()
        .filter_map(|k| root.get(k).map(|v| ((*k).to_owned(), v.clone())))
        .collect();

    Ok(NormalizedEvent {
        provider: Provider::UniPayment,
        event_type: event.unwrap_or_else(|| "refund".to_owned()),
        occurred_at: occurred_at(root)?,
        order: None,
        return_: None,
        refund: Some(RefundFacts {
            provider_refund_id: refund_id,
            status,
            provider_status,
            amount,
            fee,
            fee_minor: None,
            reason: root.opt_str("reason")?,
            crypto: None,
            link,
            details,
        }),
    })
}

/// Invoice IPNs create or complete the order the later refunds point at.
fn parse_invoice(root: Obj<'_>) -> Result<NormalizedEvent, Unprocessable> {
    let invoice_id = root.str("invoice_id")?;
    let currency = root.opt_currency("price_currency")?;
    let order = OrderFacts {
        order_number: root.opt_str("order_id")?,
        refs: vec![ExternalRef::new("unipayment_invoice", invoice_id)],
        total: root.opt_money("price_amount", currency, "price_currency")?,
        placed_at: root.opt_time("create_time")?,
    };
    Ok(NormalizedEvent {
        provider: Provider::UniPayment,
        event_type: root
            .opt_str("event")?
            .unwrap_or_else(|| "invoice".to_owned()),
        occurred_at: occurred_at(root)?,
        order: Some(order),
        return_: None,
        refund: None,
    })
}

#[cfg(test)]
mod tests;
