//! ReBound return milestones (TikTok Shop): a Bearer token, an optional hex HMAC-SHA256
//! `X-Rebound-Signature`, and the payload shape this service documents (SPEC §4), which
//! yields order and return facts.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;
use sha2::Sha256;

use super::util::{self, Obj, unprocessable};
use super::{AuthError, Authenticated, Authenticator, Inbound, Unprocessable};
use crate::domain::{
    ExternalRef, Money, NormalizedEvent, OrderFacts, Provider, ReturnFacts, ReturnItemFacts,
    ReturnStatus,
};

const SIGNATURE_HEADER: &str = "x-rebound-signature";

/// Signs like a ReBound sender configured with an HMAC secret: lowercase hex HMAC-SHA256
/// of the raw body.
pub fn sign(secret: &str, body: &[u8]) -> String {
    hex::encode(mac(secret.as_bytes(), body).finalize().into_bytes())
}

fn mac(key: &[u8], body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(body);
    mac
}

pub struct Auth {
    token: SecretString,
    hmac_secret: Option<SecretString>,
}

impl Auth {
    pub fn new(token: SecretString, hmac_secret: Option<SecretString>) -> Self {
        Auth { token, hmac_secret }
    }

    fn check_token(&self, req: &Inbound<'_>) -> Result<(), AuthError> {
        let value = util::header(req.headers, "authorization")?
            .ok_or_else(|| AuthError::InvalidSignature("missing header `authorization`".into()))?;
        // The scheme name is case-insensitive (RFC 9110).
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => {
                return Err(AuthError::InvalidSignature(
                    "header `authorization` is not a Bearer token".into(),
                ));
            }
        };
        if util::secrets_match(token.as_bytes(), self.token.expose_secret().as_bytes()) {
            Ok(())
        } else {
            Err(AuthError::InvalidSignature(
                "bearer token does not match".into(),
            ))
        }
    }

    fn check_signature(&self, req: &Inbound<'_>, secret: &SecretString) -> Result<(), AuthError> {
        let value = util::header(req.headers, SIGNATURE_HEADER)?.ok_or_else(|| {
            AuthError::InvalidSignature(format!("missing header `{SIGNATURE_HEADER}`"))
        })?;
        // A `sha256=` prefix (GitHub style) is tolerated; hex of either case decodes.
        let hex_sig = value.strip_prefix("sha256=").unwrap_or(value);
        let tag = hex::decode(hex_sig).map_err(|_| {
            AuthError::InvalidSignature(format!("header `{SIGNATURE_HEADER}` is not hex"))
        })?;
        mac(secret.expose_secret().as_bytes(), req.body)
            .verify_slice(&tag)
            .map_err(|_| AuthError::InvalidSignature("no signature matched".into()))
    }
}

impl Authenticator for Auth {
    fn authenticate(&self, req: &Inbound<'_>) -> Result<Authenticated, AuthError> {
        self.check_token(req)?;
        if let Some(secret) = &self.hmac_secret {
            self.check_signature(req, secret)?;
        }
        // A signed body that is not JSON is still authenticated; `parse` rejects it (422).
        let event_id = serde_json::from_slice::<Value>(req.body)
            .ok()
            .and_then(|v| v.get("event_id")?.as_str().map(str::to_owned))
            .filter(|s| !s.trim().is_empty());
        Ok(Authenticated {
            idempotency_key: event_id.unwrap_or_else(|| util::sha256_hex(req.body)),
            stored_body: util::lossy_body(req.body),
            stored_headers: util::stored_headers(req.headers, &[SIGNATURE_HEADER]),
        })
    }
}

fn status_of(event: &str) -> Result<ReturnStatus, Unprocessable> {
    let s = match event {
        "return.created" => ReturnStatus::Requested,
        "return.in_transit" => ReturnStatus::InTransit,
        "return.arrived_hub" | "return.delivered" | "return.received" => ReturnStatus::Received,
        "return.graded" => ReturnStatus::Inspected,
        "return.processed" => ReturnStatus::Resolved,
        other => return Err(unprocessable(format!("unknown event `{other}`"))),
    };
    Ok(s)
}

pub fn parse(body: &str, _received_at: DateTime<Utc>) -> Result<NormalizedEvent, Unprocessable> {
    let map = util::json_object(body)?;
    let root = Obj::new(&map, "");
    let event = root.str("event")?;
    let status = status_of(&event)?;
    let ret = Obj::new(root.obj("return")?, "return");

    let order = match root.opt_obj("order")? {
        Some(o) => {
            let o = Obj::new(o, "order");
            let refs = o
                .opt_str("external_order_id")?
                .map(|id| ExternalRef::new("tiktok_order", id))
                .into_iter()
                .collect();
            Some(OrderFacts {
                order_number: o.opt_str("order_number")?,
                refs,
                total: None,
                placed_at: None,
            })
        }
        None => None,
    }
    .filter(|o| o.order_number.is_some() || !o.refs.is_empty());

    let items = match root.opt_array("items")? {
        Some(list) => Some(items(list)?),
        None => None,
    };
    let expected_refund = match root.opt_obj("refund")? {
        Some(r) => {
            let r = Obj::new(r, "refund");
            r.opt_money("amount", r.opt_currency("currency")?, "refund.currency")?
        }
        None => None,
    };
    let expected_refund = match (expected_refund, &items) {
        (Some(m), _) => Some(m),
        (None, Some(items)) => items_total(items)?,
        (None, None) => None,
    };

    Ok(NormalizedEvent {
        provider: Provider::Rebound,
        occurred_at: root.opt_time("occurred_at")?,
        order,
        return_: Some(ReturnFacts {
            provider_return_id: ret.str("return_id")?,
            status: Some(status),
            provider_status: event.clone(),
            items,
            expected_refund,
            carrier: ret.opt_str("carrier")?,
            tracking_number: ret.opt_str("tracking_number")?,
        }),
        refund: None,
        event_type: event,
    })
}

fn items(list: &[Value]) -> Result<Vec<ReturnItemFacts>, Unprocessable> {
    list.iter()
        .enumerate()
        .map(|(i, v)| {
            let path = format!("items[{i}]");
            let Value::Object(m) = v else {
                return Err(unprocessable(format!("field `{path}` is not an object")));
            };
            let item = Obj::new(m, &path);
            Ok(ReturnItemFacts {
                sku: item.opt_str("sku")?,
                title: item.opt_str("title")?,
                quantity: item
                    .opt_i64("quantity")?
                    .ok_or_else(|| unprocessable(format!("field `{path}.quantity` missing")))?,
                unit_price: item.opt_money(
                    "unit_price",
                    item.opt_currency("currency")?,
                    &item.name("currency"),
                )?,
                condition: item.opt_str("condition")?,
                resolution: None,
            })
        })
        .collect()
}

/// Σ `unit_price × quantity`; `None` unless every item has a price, since a partial sum
/// would understate what is owed.
fn items_total(items: &[ReturnItemFacts]) -> Result<Option<Money>, Unprocessable> {
    let mut total = None;
    for item in items {
        let Some(price) = item.unit_price else {
            return Ok(None);
        };
        let line = Money::new(
            util::line_total(price.amount, item.quantity)?,
            price.currency,
        );
        total = util::add_money(total, line)?;
    }
    Ok(total)
}

#[cfg(test)]
mod tests;
