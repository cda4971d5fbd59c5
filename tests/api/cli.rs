//! The binary's start-up behaviour: bad configuration is one clear line, never a panic.

use std::process::{Command, Output};

fn run(envs: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_refund-recon"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    let dir = tempfile::tempdir().unwrap();
    cmd.current_dir(dir.path());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn stderr_line(o: &Output) -> String {
    let s = String::from_utf8_lossy(&o.stderr).to_string();
    let lines: Vec<&str> = s.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "expected one line, got: {s}");
    lines[0].to_owned()
}

#[test]
fn open_listen_address_without_api_keys_refuses_to_start() {
    let o = run(&[("REFUND_RECON_LISTEN", "0.0.0.0:8080")], &["serve"]);
    assert!(!o.status.success());
    let line = stderr_line(&o);
    assert!(line.contains("REFUND_RECON_LISTEN"), "{line}");
    assert!(line.contains("REFUND_RECON_API_KEYS"), "{line}");
}

#[test]
fn malformed_database_url_is_a_one_line_error() {
    let o = run(&[("DATABASE_URL", "not-a-url")], &["migrate"]);
    assert!(!o.status.success());
    let line = stderr_line(&o);
    assert!(line.contains("DATABASE_URL"), "{line}");
    assert!(!line.contains("panicked"), "{line}");
}

#[test]
fn unreachable_postgres_is_a_one_line_error_without_the_password() {
    let o = run(
        &[("DATABASE_URL", "postgres://u:hunter2@127.0.0.1:1/nodb")],
        &["migrate"],
    );
    assert!(!o.status.success());
    let line = stderr_line(&o);
    assert!(line.contains("cannot open database"), "{line}");
    assert!(!line.contains("hunter2"), "{line}");
}

#[test]
fn invalid_api_key_role_names_the_setting() {
    let o = run(&[("REFUND_RECON_API_KEYS", "root:abcdefgh123")], &["serve"]);
    assert!(!o.status.success());
    assert!(stderr_line(&o).contains("REFUND_RECON_API_KEYS"));
}

#[test]
fn migrate_creates_the_default_sqlite_file_under_data() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_refund-recon"))
        .arg("migrate")
        .env_remove("DATABASE_URL")
        .env_remove("REFUND_RECON_DATABASE_URL")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.path().join("data/refund-recon.db").exists());
}

#[test]
fn config_file_is_read_and_unknown_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("c.toml");
    std::fs::write(&f, "listen = \"0.0.0.0:9\"\n").unwrap();
    let o = run(&[], &["--config", f.to_str().unwrap(), "serve"]);
    assert!(stderr_line(&o).contains("REFUND_RECON_LISTEN"));
    std::fs::write(&f, "lisen = \"127.0.0.1:9\"\n").unwrap();
    let o = run(&[], &["--config", f.to_str().unwrap(), "serve"]);
    assert!(!o.status.success());
    assert!(stderr_line(&o).contains("--config"));
}
