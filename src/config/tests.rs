//! Configuration layering and validation.
use super::*;

fn env(pairs: &[(&str, &str)]) -> RawConfig {
    let pairs: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    RawConfig::from_env(move |k| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
}

#[test]
fn defaults_serve_sqlite_on_loopback() {
    let c = Config::try_from(RawConfig::default()).unwrap();
    assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(c.database_url, "sqlite://data/refund-recon.db?mode=rwc");
    assert_eq!(c.graphql.max_page_size, 200);
}

#[test]
fn open_address_without_keys_is_refused() {
    let e = Config::try_from(env(&[("REFUND_RECON_LISTEN", "0.0.0.0:8080")]))
        .err()
        .unwrap();
    assert_eq!(e.setting, "REFUND_RECON_LISTEN");
    let ok = env(&[
        ("REFUND_RECON_LISTEN", "0.0.0.0:8080"),
        ("REFUND_RECON_API_KEYS", "viewer:abcdefgh12"),
    ]);
    assert!(Config::try_from(ok).is_ok());
}

#[test]
fn layers_apply_in_order_env_over_file_flags_over_env() {
    let file: RawConfig = toml::from_str("listen = \"127.0.0.1:1\"\nlog = \"debug\"").unwrap();
    let e = env(&[("REFUND_RECON_LISTEN", "127.0.0.1:2")]);
    let flags = RawConfig {
        log: Some("warn".into()),
        ..Default::default()
    };
    let c = Config::try_from(flags.over(e.over(file))).unwrap();
    assert_eq!(c.listen.port(), 2);
    assert_eq!(c.log, "warn");
}

#[test]
fn prefixed_database_url_wins_over_plain() {
    let c = env(&[
        ("DATABASE_URL", "sqlite://a.db"),
        ("REFUND_RECON_DATABASE_URL", "sqlite://b.db"),
    ]);
    assert_eq!(c.database_url.as_deref(), Some("sqlite://b.db"));
}

#[test]
fn bad_values_name_their_setting_and_hide_secrets() {
    let e = Config::try_from(env(&[("DATABASE_URL", "mysql://u:hunter2@h/db")]))
        .err()
        .unwrap();
    assert_eq!(e.setting, "DATABASE_URL");
    assert!(!e.to_string().contains("hunter2"), "{e}");
    let e = Config::try_from(env(&[("REFUND_RECON_API_KEYS", "root:abcdefghij")]))
        .err()
        .unwrap();
    assert_eq!(e.setting, "REFUND_RECON_API_KEYS");
    assert!(!e.to_string().contains("abcdefghij"));
    for bad in ["nope", "whsec_!!notbase64!!"] {
        let e = Config::try_from(env(&[("REFUND_RECON_RAINFOREST_SECRET", bad)]))
            .err()
            .unwrap();
        assert_eq!(e.setting, "REFUND_RECON_RAINFOREST_SECRET");
    }
    let e = Config::try_from(env(&[("REFUND_RECON_GRAPHQL_MAX_DEPTH", "x")]))
        .err()
        .unwrap();
    assert_eq!(e.setting, "REFUND_RECON_GRAPHQL_MAX_DEPTH");
}

#[test]
fn reconciliation_settings_parse_durations_and_overrides() {
    let c = Config::try_from(env(&[
        ("REFUND_RECON_TOLERANCE", "0.05"),
        ("REFUND_RECON_ORPHAN_GRACE", "0s"),
        (
            "REFUND_RECON_STUCK_AFTER_BY_PROVIDER",
            "unipayment=10d, alchemypay=36h",
        ),
    ]))
    .unwrap();
    assert_eq!(c.recon.tolerance.to_string(), "0.05");
    assert_eq!(c.recon.orphan_grace, chrono::Duration::zero());
    assert_eq!(c.recon.under_refund_grace, chrono::Duration::hours(72));
    assert_eq!(
        c.recon.stuck_by_provider[&crate::domain::Provider::AlchemyPay],
        chrono::Duration::hours(36)
    );
    for (k, v) in [
        ("REFUND_RECON_TOLERANCE", "-1"),
        ("REFUND_RECON_ORPHAN_GRACE", "soon"),
        ("REFUND_RECON_STUCK_AFTER_BY_PROVIDER", "stripe=1d"),
        ("REFUND_RECON_SWEEP_INTERVAL", "0s"),
    ] {
        let e = Config::try_from(env(&[(k, v)])).err().unwrap();
        assert_eq!(e.setting, k);
    }
}

#[test]
fn empty_secrets_in_a_file_leave_the_provider_disabled() {
    let file: RawConfig =
        toml::from_str("unipayment_secret = \"\"\nbaback_secret = \"  \"").unwrap();
    let c = Config::try_from(file).unwrap();
    assert!(c.providers.unipayment.is_none());
    assert!(c.providers.baback.is_none());
}

#[test]
fn rainforest_accepts_several_secrets_for_rotation() {
    let c = Config::try_from(env(&[(
        "REFUND_RECON_RAINFOREST_SECRET",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_c2Vjb25k",
    )]))
    .unwrap();
    assert_eq!(c.providers.rainforest.len(), 2);
}

#[test]
fn ingest_batch_defaults_and_refuses_zero_and_too_many() {
    let c = Config::try_from(env(&[])).unwrap();
    assert_eq!(c.ingest_batch, 256);
    let c = Config::try_from(env(&[("REFUND_RECON_INGEST_BATCH", "8")])).unwrap();
    assert_eq!(c.ingest_batch, 8);
    let c = Config::try_from(env(&[("REFUND_RECON_INGEST_BATCH", "1000")])).unwrap();
    assert_eq!(c.ingest_batch, 1000);
    for bad in ["0", "many", "1001"] {
        let e = Config::try_from(env(&[("REFUND_RECON_INGEST_BATCH", bad)]))
            .err()
            .unwrap();
        assert_eq!(e.setting, "REFUND_RECON_INGEST_BATCH");
    }
}
