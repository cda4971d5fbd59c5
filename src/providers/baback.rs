//! Baback return-request webhooks: the shared secret inside the body (redacted before the
//! body is stored) and the whole return request, which yields order and return facts.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};

use super::util::{self, Obj, unprocessable};
use super::{AuthError, Authenticated, Authenticator, Inbound, Unprocessable};
use crate::domain::{
    Currency, ExternalRef, Money, NormalizedEvent, OrderFacts, Provider, ReturnFacts,
    ReturnItemFacts, ReturnStatus,
};

/// What replaces `data.secret` in the stored body: the inbox never holds a secret.
pub const REDACTED: &str = "[redacted]";

/// The seven documented actions.
pub const ACTIONS: [&str; 7] = [
    "returnRequest:returnRequest:create",
    "returnRequest:returnRequest:cancel",
    "returnRequest:returnRequest:approve",
    "returnRequest:returnRequest:update",
    "returnRequest:merchant:approve",
    "returnRequest:logistician:approve",
    "returnRequest:discount:create",
];

/// Status stages in lifecycle order; on equal `doneAt` the later stage wins (Baback marks
/// `approved` and `waiting` done in the same millisecond).
const STAGES: [(&str, Option<ReturnStatus>); 12] = [
    ("created", Some(ReturnStatus::Requested)),
    ("approved", Some(ReturnStatus::Approved)),
    ("waiting", Some(ReturnStatus::Approved)),
    ("shipping", Some(ReturnStatus::InTransit)),
    ("shipped", Some(ReturnStatus::InTransit)),
    ("partiallyTreatedLogistician", Some(ReturnStatus::Received)),
    ("treatedLogistician", Some(ReturnStatus::Received)),
    ("partiallyTreatedMerchant", Some(ReturnStatus::Inspected)),
    ("treatedMerchant", Some(ReturnStatus::Inspected)),
    ("resolved", Some(ReturnStatus::Resolved)),
    ("cancelled", Some(ReturnStatus::Canceled)),
    // `error` keeps the previous status; only the raw word is recorded.
    ("error", None),
];

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
        let mut payload: Value = serde_json::from_slice(req.body)
            .map_err(|e| AuthError::Malformed(format!("body is not JSON: {e}")))?;
        let data = match payload.get_mut("data") {
            Some(Value::Object(d)) => d,
            Some(_) => return Err(AuthError::Malformed("field `data` is not an object".into())),
            None => return Err(AuthError::Malformed("field `data` missing".into())),
        };
        let given = match data.get("secret") {
            Some(Value::String(s)) => s.as_bytes(),
            Some(Value::Null) | None => {
                return Err(AuthError::InvalidSignature(
                    "field `data.secret` missing".into(),
                ));
            }
            Some(_) => {
                return Err(AuthError::InvalidSignature(
                    "field `data.secret` is not a string".into(),
                ));
            }
        };
        if !util::secrets_match(given, self.secret.expose_secret().as_bytes()) {
            return Err(AuthError::InvalidSignature(
                "field `data.secret` does not match".into(),
            ));
        }
        data.insert("secret".into(), Value::String(REDACTED.into()));
        let key = idempotency_key(data);
        let stored_body = payload.to_string();
        Ok(Authenticated {
            // Hash the redacted body, never one that contains the secret.
            idempotency_key: key.unwrap_or_else(|| util::sha256_hex(stored_body.as_bytes())),
            stored_body,
            stored_headers: util::stored_headers(req.headers, &[]),
        })
    }
}

/// `returnRequest.id:action:updatedAt`, when all three are there.
fn idempotency_key(data: &Map<String, Value>) -> Option<String> {
    let text = |v: &Value| match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let rr = data.get("returnRequest")?;
    let id = text(rr.get("id")?)?;
    let action = text(data.get("action")?)?;
    let updated = text(rr.get("updatedAt")?)?;
    Some(format!("{id}:{action}:{updated}"))
}

pub fn parse(body: &str, _received_at: DateTime<Utc>) -> Result<NormalizedEvent, Unprocessable> {
    let map = util::json_object(body)?;
    let data = Obj::new(Obj::new(&map, "").obj("data")?, "data");
    let action = data.str("action")?;
    if !ACTIONS.contains(&action.as_str()) {
        return Err(unprocessable(format!("unknown action `{action}`")));
    }
    let rr = Obj::new(data.obj("returnRequest")?, "returnRequest");

    let fin = rr.opt_obj("financialInformations")?;
    let fin = fin.map(|m| Obj::new(m, "returnRequest.financialInformations"));
    let total = match fin
        .map(|f| f.opt_obj("totalOrderPrice"))
        .transpose()?
        .flatten()
    {
        Some(t) => {
            let t = Obj::new(t, "returnRequest.financialInformations.totalOrderPrice");
            t.opt_money("amount", t.opt_currency("currency")?, &t.name("currency"))?
        }
        None => None,
    };
    // Line items carry bare prices, in the shop's currency.
    let shop_currency = match rr.opt_obj("currency")? {
        Some(c) => Obj::new(c, "returnRequest.currency").opt_currency("shopCurrency")?,
        None => None,
    }
    .or(total.map(|t| t.currency));

    let order = OrderFacts {
        order_number: rr.opt_str("orderName")?,
        refs: vec![ExternalRef::new("shopify_order", rr.str("orderId")?)],
        total,
        placed_at: rr.opt_epoch_ms("orderedAt")?,
    };

    let items = match rr.opt_array("lineItems")? {
        Some(list) => Some(line_items(list, shop_currency)?),
        None => None,
    };
    let (stage, status) = latest_stage(rr)?;
    let shipping = rr.opt_obj("shippingInfo")?;
    let shipping = shipping.map(|m| Obj::new(m, "returnRequest.shippingInfo"));

    let return_ = ReturnFacts {
        provider_return_id: rr.str("id")?,
        status,
        provider_status: stage,
        expected_refund: expected_refund(fin, items.as_deref(), shop_currency)?,
        items,
        carrier: shipping
            .map(|s| s.opt_str("carrier"))
            .transpose()?
            .flatten(),
        tracking_number: shipping
            .map(|s| s.opt_str("trackingCode"))
            .transpose()?
            .flatten(),
    };
    Ok(NormalizedEvent {
        provider: Provider::Baback,
        event_type: action,
        occurred_at: rr.opt_epoch_ms("updatedAt")?,
        order: Some(order),
        return_: Some(return_),
        refund: None,
    })
}

fn line_items(
    list: &[Value],
    currency: Option<Currency>,
) -> Result<Vec<ReturnItemFacts>, Unprocessable> {
    list.iter()
        .enumerate()
        .map(|(i, v)| {
            let path = format!("returnRequest.lineItems[{i}]");
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
                    "paidPrice",
                    currency,
                    "returnRequest.currency.shopCurrency",
                )?,
                condition: None,
                resolution: item.opt_str("resolution")?,
            })
        })
        .collect()
}

/// The latest stage marked done, by `doneAt` (epoch ms), and its normalized status.
fn latest_stage(rr: Obj<'_>) -> Result<(String, Option<ReturnStatus>), Unprocessable> {
    let stages = Obj::new(rr.obj("status")?, "returnRequest.status");
    let mut best: Option<(i64, usize, &str)> = None;
    for (name, v) in stages.map() {
        if v.get("done").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let entry = match v {
            Value::Object(m) => Obj::new(m, ""),
            _ => continue,
        };
        let done_at = entry
            .opt_i64("doneAt")
            .map_err(|_| {
                unprocessable(format!(
                    "field `{}.doneAt` is not a number",
                    stages.name(name)
                ))
            })?
            .unwrap_or(-1);
        // Unknown stages rank after known ones on a tie, so they are not silently ignored.
        let order = STAGES
            .iter()
            .position(|(s, _)| s == name)
            .unwrap_or(STAGES.len());
        if best.is_none_or(|(at, o, _)| (done_at, order) > (at, o)) {
            best = Some((done_at, order, name));
        }
    }
    let (_, _, name) =
        best.ok_or_else(|| unprocessable("no `returnRequest.status` stage is done"))?;
    let status = STAGES
        .iter()
        .find(|(s, _)| *s == name)
        .map(|(_, st)| *st)
        .ok_or_else(|| unprocessable(format!("unknown status stage `{name}`")))?;
    Ok((name.to_owned(), status))
}

/// `financialInformations.refund.amount` when non-zero, else Σ `paidPrice × quantity` of the
/// items resolved by refund. No line items and no refund amount: nothing is said.
fn expected_refund(
    fin: Option<Obj<'_>>,
    items: Option<&[ReturnItemFacts]>,
    shop_currency: Option<Currency>,
) -> Result<Option<Money>, Unprocessable> {
    if let Some(refund) = fin.map(|f| f.opt_obj("refund")).transpose()?.flatten() {
        let refund = Obj::new(refund, "returnRequest.financialInformations.refund");
        if let Some(amount) = refund.opt_decimal("amount")?.filter(|a| !a.is_zero()) {
            let currency = refund
                .opt_currency("currency")?
                .or(shop_currency)
                .ok_or_else(|| {
                    unprocessable(format!("field `{}` missing", refund.name("currency")))
                })?;
            return Ok(Some(Money::new(amount, currency)));
        }
    }
    let Some(items) = items else {
        return Ok(None);
    };
    let mut sum = Decimal::ZERO;
    for (i, item) in items.iter().enumerate() {
        if !item
            .resolution
            .as_deref()
            .is_some_and(|r| r.eq_ignore_ascii_case("refund"))
        {
            continue;
        }
        let price = item.unit_price.ok_or_else(|| {
            unprocessable(format!(
                "field `returnRequest.lineItems[{i}].paidPrice` missing"
            ))
        })?;
        sum = sum
            .checked_add(util::line_total(price.amount, item.quantity)?)
            .ok_or_else(|| unprocessable("expected refund overflows"))?;
    }
    // An exchange-only return expects a refund of zero, which is worth saying.
    Ok(shop_currency.map(|c| Money::new(sum, c)))
}

#[cfg(test)]
mod tests;
