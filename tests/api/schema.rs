//! `schema.graphql` must equal what the code exports.

#[test]
fn checked_in_schema_is_up_to_date() {
    let exported = refund_recon::graphql::sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    if checked_in != exported {
        if std::env::var("UPDATE_SCHEMA").is_ok() {
            std::fs::write(path, &exported).unwrap();
            return;
        }
        panic!(
            "schema.graphql is stale: run `cargo run -- schema > schema.graphql` \
             (or UPDATE_SCHEMA=1 cargo test schema)"
        );
    }
}

#[test]
fn schema_subcommand_prints_the_checked_in_schema() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_refund-recon"))
        .arg("schema")
        .output()
        .unwrap();
    assert!(out.status.success());
    let checked_in =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        String::from_utf8(out.stdout).unwrap() == checked_in,
        "`refund-recon schema` differs from schema.graphql"
    );
}
