//! Provider adapters. Each provider lives in its own file and does two things:
//!
//! * `authenticate`: check the request with the provider's real scheme (constant-time) and
//!   say which idempotency key it carries. Only this step turns a request into an
//!   [`Authenticated`] one; nothing is stored for a request that fails it.
//! * `parse`: turn a stored, authenticated body into a [`NormalizedEvent`]. Parsing needs no
//!   secret, so `replay` can re-run today's parsers over stored events.

pub mod alchemypay;
pub mod baback;
pub mod rainforest;
pub mod rebound;
pub mod unipayment;
mod util;

#[cfg(test)]
mod hostile;

use std::collections::HashMap;

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use secrecy::SecretString;

use crate::domain::{NormalizedEvent, Provider};

/// A webhook as received, before anything is trusted.
pub struct Inbound<'a> {
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub received_at: DateTime<Utc>,
}

/// A request that passed the provider's authentication.
#[derive(Debug, Clone)]
pub struct Authenticated {
    /// The provider's idempotency key (SPEC §4), or the SHA-256 of the body when the
    /// payload does not carry its fields (so that a rejected event is still stored once).
    pub idempotency_key: String,
    /// What the inbox keeps: the raw body, with any secret it contains removed (Baback).
    pub stored_body: String,
    /// Non-secret headers worth keeping (ids, timestamps, signatures, content type).
    pub stored_headers: Vec<(String, String)>,
}

/// Why a request was refused before it could be authenticated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// 400 `malformed_payload`: the body could not be read far enough to authenticate it.
    #[error("{0}")]
    Malformed(String),
    /// 401 `invalid_signature`: missing or wrong signature, token or secret; stale timestamp.
    #[error("{0}")]
    InvalidSignature(String),
}

/// 422: authenticated, but the event cannot be turned into effects. The message is specific
/// ("field `refund_id` missing") and never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unprocessable(pub String);

/// The configured secrets of every provider; a provider with no secret is disabled.
#[derive(Clone, Default)]
pub struct ProviderSecrets {
    pub rebound_token: Option<SecretString>,
    pub rebound_hmac_secret: Option<SecretString>,
    /// Several `whsec_…` secrets during a rotation; any may match.
    pub rainforest: Vec<SecretString>,
    pub baback: Option<SecretString>,
    pub alchemypay: Option<SecretString>,
    pub unipayment: Option<SecretString>,
}

/// One provider's authentication, built from its configured secret.
pub trait Authenticator: Send + Sync {
    fn authenticate(&self, req: &Inbound<'_>) -> Result<Authenticated, AuthError>;
}

/// The enabled providers' authenticators.
#[derive(Clone, Default)]
pub struct Registry {
    enabled: HashMap<Provider, std::sync::Arc<dyn Authenticator>>,
}

impl Registry {
    pub fn from_secrets(s: &ProviderSecrets) -> Self {
        let mut enabled: HashMap<Provider, std::sync::Arc<dyn Authenticator>> = HashMap::new();
        if let Some(token) = &s.rebound_token {
            enabled.insert(
                Provider::Rebound,
                std::sync::Arc::new(rebound::Auth::new(
                    token.clone(),
                    s.rebound_hmac_secret.clone(),
                )),
            );
        }
        if !s.rainforest.is_empty() {
            enabled.insert(
                Provider::Rainforest,
                std::sync::Arc::new(rainforest::Auth::new(s.rainforest.clone())),
            );
        }
        if let Some(secret) = &s.baback {
            enabled.insert(
                Provider::Baback,
                std::sync::Arc::new(baback::Auth::new(secret.clone())),
            );
        }
        if let Some(secret) = &s.alchemypay {
            enabled.insert(
                Provider::AlchemyPay,
                std::sync::Arc::new(alchemypay::Auth::new(secret.clone())),
            );
        }
        if let Some(secret) = &s.unipayment {
            enabled.insert(
                Provider::UniPayment,
                std::sync::Arc::new(unipayment::Auth::new(secret.clone())),
            );
        }
        Registry { enabled }
    }

    pub fn get(&self, p: Provider) -> Option<&dyn Authenticator> {
        self.enabled.get(&p).map(|a| a.as_ref())
    }

    pub fn is_enabled(&self, p: Provider) -> bool {
        self.enabled.contains_key(&p)
    }
}

/// Parses a stored, authenticated body with today's parser for `provider`.
pub fn parse(
    provider: Provider,
    body: &str,
    received_at: DateTime<Utc>,
) -> Result<NormalizedEvent, Unprocessable> {
    match provider {
        Provider::Rebound => rebound::parse(body, received_at),
        Provider::Rainforest => rainforest::parse(body, received_at),
        Provider::Baback => baback::parse(body, received_at),
        Provider::AlchemyPay => alchemypay::parse(body, received_at),
        Provider::UniPayment => unipayment::parse(body, received_at),
    }
}
