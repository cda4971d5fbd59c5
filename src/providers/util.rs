//! Helpers shared by the provider adapters: hashing and constant-time comparison, header
//! access, and strict readers for JSON fields that turn every problem into a specific
//! [`Unprocessable`] message ("field `refund_id` missing").

use axum::http::HeaderMap;
use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{AuthError, Unprocessable};
use crate::domain::money::parse_decimal;
use crate::domain::{Currency, Money};

/// Headers every provider keeps beside its own (never `authorization`).
const COMMON_HEADERS: [&str; 2] = ["content-type", "user-agent"];

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Compares two secrets in constant time. Both sides are hashed first so that not even
/// their lengths leak through timing.
pub(crate) fn secrets_match(given: &[u8], expected: &[u8]) -> bool {
    Sha256::digest(given)
        .ct_eq(&Sha256::digest(expected))
        .into()
}

/// The raw body as the inbox stores it; lossy only for bodies that are not UTF-8, which no
/// parser could read anyway.
pub(crate) fn lossy_body(body: &[u8]) -> String {
    String::from_utf8_lossy(body).into_owned()
}

/// A header's value; a value that is not visible ASCII cannot carry a valid signature.
pub(crate) fn header<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, AuthError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v.to_str().map(|s| Some(s.trim())).map_err(|_| {
            AuthError::InvalidSignature(format!("header `{name}` is not visible ASCII"))
        }),
    }
}

/// The headers worth keeping with the event: the provider's `names` plus the common ones,
/// lowercased (HeaderMap names already are), in a stable order.
pub(crate) fn stored_headers(headers: &HeaderMap, names: &[&str]) -> Vec<(String, String)> {
    names
        .iter()
        .chain(COMMON_HEADERS.iter())
        .flat_map(|name| {
            headers.get_all(*name).iter().map(move |v| {
                (
                    name.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
        })
        .collect()
}

pub(crate) fn unprocessable(msg: impl Into<String>) -> Unprocessable {
    Unprocessable(msg.into())
}

/// Parses an authenticated body into its top-level JSON object.
pub(crate) fn json_object(body: &str) -> Result<Map<String, Value>, Unprocessable> {
    match serde_json::from_str::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(unprocessable("body is not a JSON object")),
        Err(e) => Err(unprocessable(format!("body is not JSON: {e}"))),
    }
}

/// Parses an amount given as a JSON string or number without going through a float
/// computation: a number is read from its JSON text.
pub(crate) fn decimal_of(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => parse_decimal(s).ok(),
        Value::Number(n) => parse_decimal(&n.to_string()).ok(),
        _ => None,
    }
}

/// Reads RFC 3339 times, and zone-less ISO 8601 times (`2024-11-18T06:20:29`) as UTC.
pub(crate) fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f")
                .ok()
                .map(|n| n.and_utc())
        })
}

/// A view of one JSON object that knows its path, so every error names the field exactly.
#[derive(Clone, Copy)]
pub(crate) struct Obj<'a> {
    map: &'a Map<String, Value>,
    path: &'a str,
}

/// A field path below an object (`returnRequest.id`), or the key itself at the top.
fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

impl<'a> Obj<'a> {
    /// `path` is how fields of this object are named in messages ("" at the top).
    pub(crate) fn new(map: &'a Map<String, Value>, path: &'a str) -> Self {
        Obj { map, path }
    }

    pub(crate) fn map(&self) -> &'a Map<String, Value> {
        self.map
    }

    pub(crate) fn name(&self, key: &str) -> String {
        join(self.path, key)
    }

    fn missing(&self, key: &str) -> Unprocessable {
        unprocessable(format!("field `{}` missing", self.name(key)))
    }

    fn wrong(&self, key: &str, what: &str, v: &Value) -> Unprocessable {
        unprocessable(format!("field `{}` is not {what}: {v}", self.name(key)))
    }

    /// The value of `key`, treating JSON `null` as absent.
    pub(crate) fn get(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// A text field; numbers are accepted as their JSON text (ids are sometimes numbers).
    /// Absent, null and empty strings are `None`.
    pub(crate) fn opt_str(&self, key: &str) -> Result<Option<String>, Unprocessable> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(v) => Err(self.wrong(key, "a string", v)),
        }
    }

    pub(crate) fn str(&self, key: &str) -> Result<String, Unprocessable> {
        self.opt_str(key)?.ok_or_else(|| self.missing(key))
    }

    pub(crate) fn opt_obj(
        &self,
        key: &str,
    ) -> Result<Option<&'a Map<String, Value>>, Unprocessable> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(v) => Err(self.wrong(key, "an object", v)),
        }
    }

    pub(crate) fn obj(&self, key: &str) -> Result<&'a Map<String, Value>, Unprocessable> {
        match self.get(key) {
            None => Err(self.missing(key)),
            Some(Value::Object(m)) => Ok(m),
            Some(v) => Err(self.wrong(key, "an object", v)),
        }
    }

    pub(crate) fn opt_array(&self, key: &str) -> Result<Option<&'a Vec<Value>>, Unprocessable> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(a)) => Ok(Some(a)),
            Some(v) => Err(self.wrong(key, "an array", v)),
        }
    }

    /// A decimal given as string or number; absent, null and "" are `None`.
    pub(crate) fn opt_decimal(&self, key: &str) -> Result<Option<Decimal>, Unprocessable> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(v) => decimal_of(v)
                .map(Some)
                .ok_or_else(|| self.wrong(key, "a number", v)),
        }
    }

    /// A whole number given as string or number (quantities, epoch milliseconds).
    pub(crate) fn opt_i64(&self, key: &str) -> Result<Option<i64>, Unprocessable> {
        let Some(d) = self.opt_decimal(key)? else {
            return Ok(None);
        };
        if !d.fract().is_zero() {
            return Err(unprocessable(format!(
                "field `{}` is not a whole number: {d}",
                self.name(key)
            )));
        }
        i64::try_from(d.trunc())
            .map(Some)
            .map_err(|_| unprocessable(format!("field `{}` is out of range: {d}", self.name(key))))
    }

    pub(crate) fn opt_currency(&self, key: &str) -> Result<Option<Currency>, Unprocessable> {
        self.opt_str(key)?
            .map(|code| {
                Currency::parse(&code)
                    .map_err(|e| unprocessable(format!("field `{}`: {e}", self.name(key))))
            })
            .transpose()
    }

    /// An RFC 3339 or zone-less (UTC) time.
    pub(crate) fn opt_time(&self, key: &str) -> Result<Option<DateTime<Utc>>, Unprocessable> {
        self.opt_str(key)?
            .map(|s| {
                parse_time(&s).ok_or_else(|| {
                    unprocessable(format!(
                        "field `{}` is not an ISO 8601 time: {s}",
                        self.name(key)
                    ))
                })
            })
            .transpose()
    }

    /// A time given in milliseconds since the Unix epoch.
    pub(crate) fn opt_epoch_ms(&self, key: &str) -> Result<Option<DateTime<Utc>>, Unprocessable> {
        self.opt_i64(key)?
            .map(|ms| {
                DateTime::from_timestamp_millis(ms).ok_or_else(|| {
                    unprocessable(format!(
                        "field `{}` is not an epoch time in ms: {ms}",
                        self.name(key)
                    ))
                })
            })
            .transpose()
    }

    /// A major-unit amount in `currency`; an amount without a currency is an error, since
    /// money with a guessed currency is worse than no money.
    pub(crate) fn opt_money(
        &self,
        key: &str,
        currency: Option<Currency>,
        currency_field: &str,
    ) -> Result<Option<Money>, Unprocessable> {
        let Some(amount) = self.opt_decimal(key)? else {
            return Ok(None);
        };
        let currency = currency.ok_or_else(|| {
            unprocessable(format!(
                "field `{currency_field}` missing (needed for `{}`)",
                self.name(key)
            ))
        })?;
        Ok(Some(Money::new(amount, currency)))
    }
}

/// `unit × quantity`, checked: an overflow is an impossible value, not a panic.
pub(crate) fn line_total(unit: Decimal, quantity: i64) -> Result<Decimal, Unprocessable> {
    unit.checked_mul(Decimal::from(quantity))
        .ok_or_else(|| unprocessable(format!("amount {unit} × {quantity} overflows")))
}

/// Adds `m` to a running total in one currency; mixed currencies cannot be summed.
pub(crate) fn add_money(total: Option<Money>, m: Money) -> Result<Option<Money>, Unprocessable> {
    match total {
        None => Ok(Some(m)),
        Some(t) if t.currency != m.currency => Err(unprocessable(format!(
            "items mix currencies {} and {}",
            t.currency, m.currency
        ))),
        Some(t) => t
            .amount
            .checked_add(m.amount)
            .map(|a| Some(Money::new(a, t.currency)))
            .ok_or_else(|| unprocessable("sum of item amounts overflows")),
    }
}

/// Builds a header map for tests.
#[cfg(test)]
pub(crate) fn header_map(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut h = HeaderMap::new();
    for (k, v) in pairs {
        h.append(
            axum::http::HeaderName::from_bytes(k.as_bytes()).expect("header name"),
            axum::http::HeaderValue::from_str(v).expect("header value"),
        );
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use serde_json::json;

    #[test]
    fn amounts_are_read_from_strings_and_numbers_without_floats() {
        assert_eq!(decimal_of(&json!("9.90000000")), Some(dec!(9.9)));
        assert_eq!(decimal_of(&json!(0.1)), Some(dec!(0.1)));
        assert_eq!(decimal_of(&json!(4999)), Some(dec!(4999)));
        assert_eq!(decimal_of(&json!(true)), None);
    }

    #[test]
    fn times_without_a_zone_are_utc_and_fractions_are_kept() {
        let t = parse_time("2024-11-18T06:20:29").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-11-18T06:20:29+00:00");
        let t = parse_time("2024-11-18T06:20:47.9823702Z").unwrap();
        assert_eq!(t.timestamp_subsec_nanos(), 982_370_200);
        let t = parse_time("2026-11-20T11:15:00+01:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-20T10:15:00+00:00");
        assert!(parse_time("yesterday").is_none());
    }

    #[test]
    fn field_errors_name_the_full_path() {
        let m = json!({"a": {"n": "x", "q": 1.5}})
            .as_object()
            .unwrap()
            .clone();
        let top = Obj::new(&m, "");
        let a = Obj::new(top.obj("a").unwrap(), "a");
        assert_eq!(a.str("id").unwrap_err().0, "field `a.id` missing");
        assert_eq!(
            a.opt_decimal("n").unwrap_err().0,
            "field `a.n` is not a number: \"x\""
        );
        assert_eq!(
            a.opt_i64("q").unwrap_err().0,
            "field `a.q` is not a whole number: 1.5"
        );
        assert_eq!(top.obj("b").unwrap_err().0, "field `b` missing");
    }

    #[test]
    fn secrets_compare_equal_only_when_identical() {
        assert!(secrets_match(b"token", b"token"));
        assert!(!secrets_match(b"token", b"token2"));
        assert!(!secrets_match(b"", b"token"));
    }
}
