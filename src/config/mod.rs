//! Configuration, layered once at start-up: defaults < TOML file (`--config`) < environment
//! < command-line flags. Every value is validated here; an invalid one stops start-up with a
//! single line naming the setting. Secrets are `SecretString` and never logged.

use std::{net::SocketAddr, path::Path, time::Duration};

use secrecy::SecretString;
use serde::Deserialize;

use crate::providers::ProviderSecrets;

/// The API roles, in increasing power.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Finance,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Finance => "finance",
            Role::Admin => "admin",
        }
    }
}

#[derive(Clone)]
pub struct ApiKey {
    pub role: Role,
    pub key: SecretString,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct GraphqlLimits {
    /// Operations in one batched request.
    pub max_batch: usize,
    pub max_depth: usize,
    pub max_complexity: usize,
    pub max_page_size: u64,
    pub default_page_size: u64,
}

/// Most webhooks stored in one transaction (see the check in `Config::try_from`).
pub const MAX_INGEST_BATCH: usize = 1000;

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub listen: SocketAddr,
    pub api_keys: Vec<ApiKey>,
    pub log: String,
    pub log_format: LogFormat,
    pub providers: ProviderSecrets,
    pub graphql: GraphqlLimits,
    /// Svix timestamp tolerance (SPEC: ±5 min).
    pub webhook_tolerance: Duration,
    /// Largest accepted webhook body.
    pub max_body_bytes: usize,
    pub recon: crate::reconcile::ReconSettings,
    /// Webhook requests handled at once; more wait their turn.
    pub webhook_concurrency: usize,
    /// How long a webhook body may take to arrive (slow senders are cut off with 408).
    pub webhook_body_timeout: Duration,
    /// Most webhooks stored in one transaction (group commit).
    pub ingest_batch: usize,
    /// Changes the subscription hub keeps for subscribers that fall behind (past it they
    /// re-read from the database). Not a setting: tests lower it.
    pub feed_buffer: usize,
}

/// Every setting as text, as it comes from any layer. Field names are the TOML keys; the
/// environment variable is `REFUND_RECON_` + the upper-cased name.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub api_keys: Option<String>,
    pub log: Option<String>,
    pub log_format: Option<String>,
    pub rebound_token: Option<String>,
    pub rebound_hmac_secret: Option<String>,
    pub rainforest_secret: Option<String>,
    pub baback_secret: Option<String>,
    pub alchemypay_secret: Option<String>,
    pub unipayment_secret: Option<String>,
    pub graphql_max_depth: Option<String>,
    pub graphql_max_complexity: Option<String>,
    pub graphql_max_page_size: Option<String>,
    pub graphql_default_page_size: Option<String>,
    pub tolerance: Option<String>,
    pub under_refund_grace: Option<String>,
    pub orphan_grace: Option<String>,
    pub stuck_after: Option<String>,
    pub stuck_in_review_after: Option<String>,
    pub stuck_after_by_provider: Option<String>,
    pub duplicate_window: Option<String>,
    pub sweep_interval: Option<String>,
    pub webhook_concurrency: Option<String>,
    pub webhook_body_timeout: Option<String>,
    pub ingest_batch: Option<String>,
    pub graphql_max_batch: Option<String>,
}

macro_rules! merge_fields {
    ($hi:expr, $lo:expr, [$($f:ident),+ $(,)?]) => {
        RawConfig { $($f: $hi.$f.or($lo.$f)),+ }
    };
}

impl RawConfig {
    /// `self` wins over `lower` field by field.
    pub fn over(self, lower: RawConfig) -> RawConfig {
        merge_fields!(
            self,
            lower,
            [
                database_url,
                listen,
                api_keys,
                log,
                log_format,
                rebound_token,
                rebound_hmac_secret,
                rainforest_secret,
                baback_secret,
                alchemypay_secret,
                unipayment_secret,
                graphql_max_depth,
                graphql_max_complexity,
                graphql_max_page_size,
                graphql_default_page_size,
                tolerance,
                under_refund_grace,
                orphan_grace,
                stuck_after,
                stuck_in_review_after,
                stuck_after_by_provider,
                duplicate_window,
                sweep_interval,
                webhook_concurrency,
                webhook_body_timeout,
                ingest_batch,
                graphql_max_batch,
            ]
        )
    }

    pub fn from_toml_file(path: &Path) -> Result<RawConfig, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigError::new("--config", format!("cannot read {}: {e}", path.display()))
        })?;
        toml::from_str(&text).map_err(|e| {
            let msg = e.message().to_owned();
            ConfigError::new("--config", format!("{}: {msg}", path.display()))
        })
    }

    /// Reads the environment through `get` (a function so tests need not touch the process).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> RawConfig {
        let v = |name: &str| get(&format!("REFUND_RECON_{name}")).filter(|s| !s.is_empty());
        RawConfig {
            database_url: v("DATABASE_URL")
                .or_else(|| get("DATABASE_URL").filter(|s| !s.is_empty())),
            listen: v("LISTEN"),
            api_keys: v("API_KEYS"),
            log: v("LOG"),
            log_format: v("LOG_FORMAT"),
            rebound_token: v("REBOUND_TOKEN"),
            rebound_hmac_secret: v("REBOUND_HMAC_SECRET"),
            rainforest_secret: v("RAINFOREST_SECRET"),
            baback_secret: v("BABACK_SECRET"),
            alchemypay_secret: v("ALCHEMYPAY_SECRET"),
            unipayment_secret: v("UNIPAYMENT_SECRET"),
            graphql_max_depth: v("GRAPHQL_MAX_DEPTH"),
            graphql_max_complexity: v("GRAPHQL_MAX_COMPLEXITY"),
            graphql_max_page_size: v("GRAPHQL_MAX_PAGE_SIZE"),
            graphql_default_page_size: v("GRAPHQL_DEFAULT_PAGE_SIZE"),
            tolerance: v("TOLERANCE"),
            under_refund_grace: v("UNDER_REFUND_GRACE"),
            orphan_grace: v("ORPHAN_GRACE"),
            stuck_after: v("STUCK_AFTER"),
            stuck_in_review_after: v("STUCK_IN_REVIEW_AFTER"),
            stuck_after_by_provider: v("STUCK_AFTER_BY_PROVIDER"),
            duplicate_window: v("DUPLICATE_WINDOW"),
            sweep_interval: v("SWEEP_INTERVAL"),
            webhook_concurrency: v("WEBHOOK_CONCURRENCY"),
            webhook_body_timeout: v("WEBHOOK_BODY_TIMEOUT"),
            ingest_batch: v("INGEST_BATCH"),
            graphql_max_batch: v("GRAPHQL_MAX_BATCH"),
        }
    }

    pub fn defaults() -> RawConfig {
        RawConfig {
            database_url: Some("sqlite://data/refund-recon.db?mode=rwc".into()),
            listen: Some("127.0.0.1:8080".into()),
            log: Some("info".into()),
            log_format: Some("text".into()),
            graphql_max_depth: Some("12".into()),
            graphql_max_complexity: Some("2000".into()),
            graphql_max_page_size: Some("200".into()),
            graphql_default_page_size: Some("50".into()),
            tolerance: Some("0.01".into()),
            under_refund_grace: Some("72h".into()),
            orphan_grace: Some("72h".into()),
            stuck_after: Some("7d".into()),
            stuck_in_review_after: Some("3d".into()),
            duplicate_window: Some("24h".into()),
            sweep_interval: Some("5m".into()),
            webhook_concurrency: Some("64".into()),
            webhook_body_timeout: Some("10s".into()),
            ingest_batch: Some("256".into()),
            graphql_max_batch: Some("10".into()),
            ..RawConfig::default()
        }
    }
}

/// One invalid setting: printed as a single line at start-up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration: {setting}: {message}")]
pub struct ConfigError {
    pub setting: String,
    pub message: String,
}

impl ConfigError {
    pub fn new(setting: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            setting: setting.into(),
            message: message.into(),
        }
    }
}

/// An empty secret (from any layer) is no secret: the provider stays disabled rather than
/// accepting anything signed with an empty key.
fn secret(s: Option<String>) -> Option<SecretString> {
    s.filter(|v| !v.trim().is_empty()).map(SecretString::from)
}

fn number<T: std::str::FromStr>(name: &str, v: Option<String>) -> Result<T, ConfigError> {
    let v = v.unwrap_or_default();
    v.trim().parse().map_err(|_| {
        ConfigError::new(
            format!("REFUND_RECON_{}", name.to_uppercase()),
            format!("`{v}` is not a valid number"),
        )
    })
}

/// Hides the password of a database URL so it can be shown in an error.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

fn duration(name: &str, v: Option<String>) -> Result<std::time::Duration, ConfigError> {
    let v = v.unwrap_or_default();
    humantime::parse_duration(v.trim()).map_err(|_| {
        ConfigError::new(
            format!("REFUND_RECON_{}", name.to_uppercase()),
            format!("`{v}` is not a duration like 72h, 7d or 30s"),
        )
    })
}

fn chrono_duration(name: &str, v: Option<String>) -> Result<chrono::Duration, ConfigError> {
    let d = duration(name, v)?;
    chrono::Duration::from_std(d)
        .map_err(|_| ConfigError::new(format!("REFUND_RECON_{}", name.to_uppercase()), "too long"))
}

fn parse_recon(raw: &RawConfig) -> Result<crate::reconcile::ReconSettings, ConfigError> {
    let tol_raw = raw.tolerance.clone().unwrap_or_default();
    let tolerance = crate::domain::money::parse_decimal(&tol_raw)
        .ok()
        .filter(|d| !d.is_sign_negative())
        .ok_or_else(|| {
            ConfigError::new(
                "REFUND_RECON_TOLERANCE",
                format!("`{tol_raw}` is not an amount like 0.01"),
            )
        })?;
    let mut stuck_by_provider = std::collections::HashMap::new();
    for entry in raw
        .stuck_after_by_provider
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let err = || {
            ConfigError::new(
                "REFUND_RECON_STUCK_AFTER_BY_PROVIDER",
                format!("`{entry}` is not `provider=duration` (e.g. unipayment=10d)"),
            )
        };
        let (p, d) = entry.split_once('=').ok_or_else(err)?;
        let p: crate::domain::Provider = p.trim().parse().map_err(|_| err())?;
        let d = humantime::parse_duration(d.trim()).map_err(|_| err())?;
        stuck_by_provider.insert(p, chrono::Duration::from_std(d).map_err(|_| err())?);
    }
    let sweep_interval = duration("sweep_interval", raw.sweep_interval.clone())?;
    if sweep_interval.is_zero() {
        return Err(ConfigError::new(
            "REFUND_RECON_SWEEP_INTERVAL",
            "must be more than zero",
        ));
    }
    Ok(crate::reconcile::ReconSettings {
        tolerance,
        under_refund_grace: chrono_duration("under_refund_grace", raw.under_refund_grace.clone())?,
        orphan_grace: chrono_duration("orphan_grace", raw.orphan_grace.clone())?,
        stuck_default: chrono_duration("stuck_after", raw.stuck_after.clone())?,
        stuck_in_review: chrono_duration(
            "stuck_in_review_after",
            raw.stuck_in_review_after.clone(),
        )?,
        stuck_by_provider,
        duplicate_window: chrono_duration("duplicate_window", raw.duplicate_window.clone())?,
        sweep_interval,
    })
}

fn parse_api_keys(raw: Option<String>) -> Result<Vec<ApiKey>, ConfigError> {
    let Some(raw) = raw else { return Ok(vec![]) };
    let mut keys = Vec::new();
    for (i, entry) in raw
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .enumerate()
    {
        let err =
            |m: &str| ConfigError::new("REFUND_RECON_API_KEYS", format!("entry {}: {m}", i + 1));
        let (role, key) = entry
            .split_once(':')
            .ok_or_else(|| err("expected `role:key`"))?;
        let role = match role.trim() {
            "viewer" => Role::Viewer,
            "finance" => Role::Finance,
            "admin" => Role::Admin,
            other => {
                return Err(err(&format!(
                    "unknown role `{other}` (viewer, finance, admin)"
                )));
            }
        };
        if key.trim().len() < 8 {
            return Err(err("key shorter than 8 characters"));
        }
        keys.push(ApiKey {
            role,
            key: SecretString::from(key.trim().to_owned()),
        });
    }
    Ok(keys)
}

impl TryFrom<RawConfig> for Config {
    type Error = ConfigError;

    fn try_from(raw: RawConfig) -> Result<Self, Self::Error> {
        let raw = raw.over(RawConfig::defaults());
        let recon = parse_recon(&raw)?;
        let webhook_concurrency: usize =
            number("webhook_concurrency", raw.webhook_concurrency.clone())?;
        if webhook_concurrency == 0 {
            return Err(ConfigError::new(
                "REFUND_RECON_WEBHOOK_CONCURRENCY",
                "must be at least 1",
            ));
        }
        let webhook_body_timeout =
            duration("webhook_body_timeout", raw.webhook_body_timeout.clone())?;
        let ingest_batch: usize = number("ingest_batch", raw.ingest_batch.clone())?;
        if ingest_batch == 0 {
            return Err(ConfigError::new(
                "REFUND_RECON_INGEST_BATCH",
                "must be at least 1",
            ));
        }
        // A set-based batch inserts its refunds in one statement, 21 values each: SQLite
        // takes at most 32,766 values per statement, PostgreSQL 65,535.
        if ingest_batch > MAX_INGEST_BATCH {
            return Err(ConfigError::new(
                "REFUND_RECON_INGEST_BATCH",
                format!("must be at most {MAX_INGEST_BATCH}"),
            ));
        }
        let database_url = raw.database_url.unwrap_or_default();
        let scheme_ok = ["sqlite:", "postgres://", "postgresql://"]
            .iter()
            .any(|p| database_url.starts_with(p));
        if !scheme_ok {
            return Err(ConfigError::new(
                "DATABASE_URL",
                format!(
                    "`{}` must start with sqlite:// or postgres://",
                    redact_url(&database_url)
                ),
            ));
        }
        let listen_raw = raw.listen.unwrap_or_default();
        let listen: SocketAddr = listen_raw.parse().map_err(|_| {
            ConfigError::new(
                "REFUND_RECON_LISTEN",
                format!("`{listen_raw}` is not an address like 127.0.0.1:8080"),
            )
        })?;
        let api_keys = parse_api_keys(raw.api_keys)?;
        if api_keys.is_empty() && !listen.ip().is_loopback() {
            return Err(ConfigError::new(
                "REFUND_RECON_LISTEN",
                format!(
                    "{listen} is not a loopback address and REFUND_RECON_API_KEYS is empty; \
                     set API keys to serve the API beyond this machine"
                ),
            ));
        }
        let log_format = match raw.log_format.as_deref().unwrap_or("text") {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(ConfigError::new(
                    "REFUND_RECON_LOG_FORMAT",
                    format!("`{other}` is neither `text` nor `json`"),
                ));
            }
        };
        let log = raw.log.unwrap_or_default();
        if tracing_subscriber::EnvFilter::try_new(&log).is_err() {
            return Err(ConfigError::new(
                "REFUND_RECON_LOG",
                format!("`{log}` is not a valid log filter"),
            ));
        }
        let rainforest = raw
            .rainforest_secret
            .unwrap_or_default()
            .split_whitespace()
            .map(|s| {
                if s.starts_with("whsec_") && crate::providers::rainforest::decode_secret(s).is_ok()
                {
                    Ok(SecretString::from(s.to_owned()))
                } else {
                    Err(ConfigError::new(
                        "REFUND_RECON_RAINFOREST_SECRET",
                        "each secret must be `whsec_` followed by base64",
                    ))
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        if raw
            .rebound_hmac_secret
            .as_deref()
            .is_some_and(|s| !s.trim().is_empty())
            && raw
                .rebound_token
                .as_deref()
                .is_none_or(|s| s.trim().is_empty())
        {
            return Err(ConfigError::new(
                "REFUND_RECON_REBOUND_HMAC_SECRET",
                "set REFUND_RECON_REBOUND_TOKEN too; the HMAC is checked in addition to the token",
            ));
        }
        let graphql = GraphqlLimits {
            max_batch: number("graphql_max_batch", raw.graphql_max_batch.clone())?,
            max_depth: number("graphql_max_depth", raw.graphql_max_depth)?,
            max_complexity: number("graphql_max_complexity", raw.graphql_max_complexity)?,
            max_page_size: number("graphql_max_page_size", raw.graphql_max_page_size)?,
            default_page_size: number("graphql_default_page_size", raw.graphql_default_page_size)?,
        };
        if graphql.default_page_size == 0 || graphql.default_page_size > graphql.max_page_size {
            return Err(ConfigError::new(
                "REFUND_RECON_GRAPHQL_DEFAULT_PAGE_SIZE",
                "must be between 1 and the maximum page size",
            ));
        }
        Ok(Config {
            database_url,
            listen,
            api_keys,
            log,
            log_format,
            providers: ProviderSecrets {
                rebound_token: secret(raw.rebound_token),
                rebound_hmac_secret: secret(raw.rebound_hmac_secret),
                rainforest,
                baback: secret(raw.baback_secret),
                alchemypay: secret(raw.alchemypay_secret),
                unipayment: secret(raw.unipayment_secret),
            },
            graphql,
            webhook_tolerance: Duration::from_secs(300),
            max_body_bytes: 1024 * 1024,
            recon,
            webhook_concurrency,
            webhook_body_timeout,
            ingest_batch,
            feed_buffer: 4096,
        })
    }
}

#[cfg(test)]
mod tests;
