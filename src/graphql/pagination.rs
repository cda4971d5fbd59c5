//! Relay pagination: page-size rules and opaque keyset cursors (sort key + id), so pages
//! stay correct while webhooks insert rows.

use async_graphql::{Context, ErrorExtensions};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

use crate::{config::GraphqlLimits, error::Error};

/// The page size for `first`: default when absent; larger than the maximum is an error,
/// never silently clamped.
pub fn page_size(ctx: &Context<'_>, first: Option<i32>) -> async_graphql::Result<u64> {
    let limits = ctx.data_unchecked::<GraphqlLimits>();
    match first {
        None => Ok(limits.default_page_size),
        Some(n) if n < 0 => Err(Error::BadRequest("`first` must not be negative".into()).extend()),
        Some(n) if n as u64 > limits.max_page_size => Err(Error::BadRequest(format!(
            "`first` is {n}; the largest page is {}",
            limits.max_page_size
        ))
        .extend()),
        Some(n) => Ok(n as u64),
    }
}

/// A position in a sorted list: the sort key as text and the row id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: String,
    pub id: i64,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{}", self.id, self.key))
    }

    pub fn decode(s: &str) -> Result<Cursor, Error> {
        let bad = || Error::BadRequest(format!("`{s}` is not a cursor from this API"));
        let raw = URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
        let raw = String::from_utf8(raw).map_err(|_| bad())?;
        let (id, key) = raw.split_once('|').ok_or_else(bad)?;
        Ok(Cursor {
            id: id.parse().map_err(|_| bad())?,
            key: key.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor {
            key: "2026-11-20T10:15:00.123456789+00:00".into(),
            id: 42,
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        assert!(Cursor::decode("not a cursor!").is_err());
        assert!(Cursor::decode(&URL_SAFE_NO_PAD.encode("x|y")).is_err());
    }
}
