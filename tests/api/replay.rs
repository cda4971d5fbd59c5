//! Replay: recovering events rejected before a parser fix.

use std::process::Command;

use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;

use crate::{helpers::*, webhooks::fixture};

/// Stores an event as an older parser would have: rejected, with that parser's reason.
/// Today's parser accepts the body (the "fix": it now understands `fee_payer`).
async fn stored_rejection(app: &TestApp) -> i64 {
    entity::webhook_event::ActiveModel {
        provider: Set("unipayment".into()),
        idempotency_key: Set("c8c4900a-0e75-44c7-9a64-5849da43d0e6".into()),
        event_type: Set(None),
        received_at: Set(chrono::Utc::now()),
        raw_body: Set(fixture("unipayment/refund_approved.json")),
        headers: Set("{}".into()),
        outcome: Set("rejected".into()),
        error: Set(Some("unknown field `fee_payer`".into())),
        processed_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(&app.db)
    .await
    .unwrap()
    .id
}

/// Every row of every table, as JSON text: equal means byte-for-byte unchanged.
async fn dump(app: &TestApp) -> String {
    use entity::*;
    let db = &app.db;
    let mut out = Vec::new();
    macro_rules! all {
        ($($m:ident),+) => {$(
            out.push(serde_json::to_string(&$m::Entity::find().into_json().all(db).await.unwrap()).unwrap());
        )+};
    }
    all!(
        order,
        order_ref,
        returns,
        return_item,
        return_status_history,
        refund,
        refund_status_history,
        webhook_event,
        discrepancy,
        discrepancy_history
    );
    out.join("\n")
}

fn cli(app: &TestApp, args: &[&str]) -> (bool, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_refund-recon"))
        .args(args)
        .env("DATABASE_URL", &app.database_url)
        .env("REFUND_RECON_LOG", "warn")
        .output()
        .unwrap();
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
}

#[tokio::test]
async fn dry_run_reports_what_would_change_and_changes_nothing() {
    let app = spawn_app().await;
    let id = stored_rejection(&app).await;
    let before = dump(&app).await;
    let (ok, out) = cli(&app, &["replay", "--dry-run"]);
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!(
            "[dry run] event {id} (unipayment): rejected → accepted"
        )),
        "{out}"
    );
    assert!(out.contains("refunds +1"), "{out}");
    assert!(out.contains("(new) → APPROVED"), "{out}");
    assert!(
        out.contains("1 events examined, 1 would be recovered"),
        "{out}"
    );
    assert_eq!(dump(&app).await, before, "a dry run wrote something");
}

#[tokio::test]
async fn replay_recovers_a_rejected_event_once_and_re_replay_changes_nothing() {
    let app = spawn_app().await;
    let id = stored_rejection(&app).await;
    let (ok, out) = cli(&app, &["replay", "--provider", "unipayment"]);
    assert!(ok, "{out}");
    assert!(out.contains("1 recovered"), "{out}");
    assert_eq!(app.only_refund().await["status"], "APPROVED");
    let after_first = dump(&app).await;
    let (ok, out) = cli(&app, &["replay", "--status", "all"]);
    assert!(ok, "{out}");
    assert!(out.contains("already applied"), "{out}");
    assert_eq!(dump(&app).await, after_first);
    // The provider's own retry of that event is now a duplicate.
    app.unipayment(&fixture("unipayment/refund_approved.json"))
        .await
        .assert(200, "duplicate");
    let ev = entity::webhook_event::Entity::find_by_id(id)
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((ev.outcome.as_str(), ev.error), ("accepted", None));
}

#[tokio::test]
async fn replay_webhook_event_is_for_admins_and_reports_the_new_outcome() {
    let mut raw = test_config();
    raw.api_keys = Some("viewer:viewer-key-0001,admin:admin-key-00001".into());
    let app = spawn_app_with(raw).await;
    let id = stored_rejection(&app).await;
    let m = "mutation($id: ID!) { replayWebhookEvent(id: $id) { id outcome error } }";
    let v = app
        .graphql_as(Some("viewer-key-0001"), m, json!({"id": id.to_string()}))
        .await;
    assert_eq!(error_code(&v), Some("FORBIDDEN"), "{v}");
    let v = app
        .graphql_as(Some("admin-key-00001"), m, json!({"id": id.to_string()}))
        .await;
    assert_eq!(
        v["data"]["replayWebhookEvent"]["outcome"], "ACCEPTED",
        "{v}"
    );
    let v = app
        .graphql_as(Some("admin-key-00001"), m, json!({"id": "999999"}))
        .await;
    assert_eq!(error_code(&v), Some("NOT_FOUND"), "{v}");
}

#[tokio::test]
async fn an_event_that_still_does_not_parse_stays_rejected() {
    let app = spawn_app().await;
    app.unipayment(&fixture("unipayment/unknown_ipn_type.json"))
        .await
        .assert(422, "unprocessable");
    let before = dump(&app).await;
    let (ok, out) = cli(&app, &["replay"]);
    assert!(ok, "{out}");
    assert!(out.contains("still rejected"), "{out}");
    assert!(out.contains("0 recovered"), "{out}");
    assert_eq!(dump(&app).await, before);
    let (ok, out) = cli(&app, &["replay", "--status", "bogus"]);
    assert!(!ok && out.contains("--status"), "{out}");
}
