//! `spawn_app()`: starts refund-recon on 127.0.0.1:0 against a fresh database.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU32, Ordering};

use refund_recon::{
    App,
    config::{Config, RawConfig},
};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

pub const REBOUND_TOKEN: &str = "rb-test-token-0001";
pub const REBOUND_HMAC: &str = "rb-hmac-secret-0001";
pub const RAINFOREST_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const BABACK_SECRET: &str = "bb-test-secret-0001";
pub const ALCHEMYPAY_SECRET: &str = "ach-test-secret-2026";
pub const UNIPAYMENT_SECRET: &str = "s3cretKey@2024%";

pub struct TestApp {
    pub address: String,
    pub db: DatabaseConnection,
    pub client: reqwest::Client,
    pub database_url: String,
    /// SQL statements the app has run so far.
    pub statements: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The app's webhook writer (group commit).
    pub inbox: refund_recon::ingest::Inbox,
    _dir: Option<tempfile::TempDir>,
}

/// Every provider configured with the test secrets, no API keys (loopback).
pub fn test_config() -> RawConfig {
    RawConfig {
        rebound_token: Some(REBOUND_TOKEN.into()),
        rainforest_secret: Some(RAINFOREST_SECRET.into()),
        baback_secret: Some(BABACK_SECRET.into()),
        alchemypay_secret: Some(ALCHEMYPAY_SECRET.into()),
        unipayment_secret: Some(UNIPAYMENT_SECRET.into()),
        log: Some("warn".into()),
        ..RawConfig::default()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(test_config()).await
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty database URL: a temp SQLite file, or a new PostgreSQL database.
pub async fn fresh_database() -> (String, Option<tempfile::TempDir>) {
    match std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        Some(admin_url) => {
            let name = format!(
                "rrtest_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::SeqCst)
            );
            let admin = Database::connect(&admin_url)
                .await
                .expect("TEST_DATABASE_URL must point at a reachable PostgreSQL");
            cleanup_old_databases(&admin).await;
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create test database");
            admin.close().await.ok();
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&admin_url);
            (format!("{base}/{name}"), None)
        }
        None => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
            (url, Some(dir))
        }
    }
}

/// Drops test databases left by earlier runs (other process ids), once per process.
async fn cleanup_old_databases(admin: &DatabaseConnection) {
    static ONCE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    ONCE.get_or_init(|| async {
        let mine = format!("rrtest_{}_%", std::process::id());
        let rows = admin
            .query_all_raw(sea_orm::Statement::from_string(
                admin.get_database_backend(),
                format!(
                    "SELECT datname FROM pg_database WHERE datname LIKE 'rrtest\\_%' AND datname NOT LIKE '{mine}'"
                ),
            ))
            .await
            .unwrap_or_default();
        for r in rows {
            if let Ok(name) = r.try_get::<String>("", "datname") {
                let _ = admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .await;
            }
        }
    })
    .await;
}

pub async fn spawn_app_with(raw: RawConfig) -> TestApp {
    let (url, dir) = fresh_database().await;
    spawn_app_on(raw, url, dir).await
}

pub async fn spawn_app_on(raw: RawConfig, url: String, dir: Option<tempfile::TempDir>) -> TestApp {
    spawn_app_tuned(raw, url, dir, |_| {}).await
}

/// As `spawn_app_on`, with settings that only code can change (`tune`).
pub async fn spawn_app_tuned(
    mut raw: RawConfig,
    url: String,
    dir: Option<tempfile::TempDir>,
    tune: impl FnOnce(&mut Config),
) -> TestApp {
    raw.database_url = Some(url.clone());
    raw.listen = Some("127.0.0.1:0".into());
    let mut config = Config::try_from(raw).expect("test config is valid");
    tune(&mut config);
    if let Ok(filter) = std::env::var("TEST_LOG") {
        refund_recon::telemetry::init_tracing(&filter, refund_recon::config::LogFormat::Text);
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let app = App::build(config).await.expect("app builds");
    let db = app.state.db.clone();
    let statements = app.state.statements.clone();
    let inbox = app.state.inbox.clone();
    tokio::spawn(async move { app.serve(listener).await });
    TestApp {
        address,
        db,
        client: reqwest::Client::new(),
        database_url: url,
        statements,
        inbox,
        _dir: dir,
    }
}

impl TestApp {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request")
    }

    /// POSTs a GraphQL query with an optional API key; returns the JSON answer.
    pub async fn graphql_as(&self, key: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        req.send()
            .await
            .expect("request")
            .json()
            .await
            .expect("json")
    }

    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        self.graphql_as(None, query, variables).await
    }

    /// Counts rows of a table.
    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }
}

/// The `extensions.code` of the first GraphQL error.
pub fn error_code(v: &Value) -> Option<&str> {
    v["errors"][0]["extensions"]["code"].as_str()
}
