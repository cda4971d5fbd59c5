//! API keys and roles. `viewer` reads, `finance` also imports and works discrepancies,
//! `admin` also replays and sees raw payloads. With no keys configured (only allowed on a
//! loopback address) every caller is admin.

use async_graphql::{Context, ErrorExtensions, Guard};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{
    config::{Config, Role},
    error::Error,
};

/// Who is calling, resolved once per request or WebSocket connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    Anonymous,
    /// A key was given but matches none.
    Invalid,
    Authenticated(Role),
}

/// Resolves an `Authorization` value (`Bearer <key>`) against the configured keys.
pub fn caller_from_header(config: &Config, authorization: Option<&str>) -> Caller {
    if config.api_keys.is_empty() {
        return Caller::Authenticated(Role::Admin);
    }
    let Some(value) = authorization else {
        return Caller::Anonymous;
    };
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .unwrap_or("")
        .trim();
    if token.is_empty() {
        return Caller::Invalid;
    }
    // Compare digests against every key, in constant time each (digests so that not even
    // the key's length shows), and keep the strongest match.
    let given = Sha256::digest(token.as_bytes());
    let mut best: Option<Role> = None;
    for k in &config.api_keys {
        if bool::from(Sha256::digest(k.key.expose_secret().as_bytes()).ct_eq(&given)) {
            best = best.max(Some(k.role));
        }
    }
    best.map_or(Caller::Invalid, Caller::Authenticated)
}

impl Caller {
    pub fn require(self, role: Role) -> Result<(), Error> {
        match self {
            Caller::Anonymous => Err(Error::Unauthenticated(
                "an API key is required: send `Authorization: Bearer <key>`".into(),
            )),
            Caller::Invalid => Err(Error::Unauthenticated("the API key is not valid".into())),
            Caller::Authenticated(r) if r >= role => Ok(()),
            Caller::Authenticated(r) => Err(Error::Forbidden(format!(
                "the `{}` role is required; this key has `{}`",
                role.as_str(),
                r.as_str()
            ))),
        }
    }
}

/// Field guard: `#[graphql(guard = "RoleGuard(Role::Finance)")]`.
pub struct RoleGuard(pub Role);

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> async_graphql::Result<()> {
        let caller = ctx
            .data_opt::<Caller>()
            .copied()
            .unwrap_or(Caller::Anonymous);
        caller.require(self.0).map_err(|e| e.extend())
    }
}
