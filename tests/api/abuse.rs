//! Abuse: floods of forged requests, slow senders and oversized batches cannot starve
//! valid deliveries or the API.

use std::sync::Arc;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::{helpers::*, seed::rainforest_refund};

#[tokio::test]
async fn a_flood_of_forged_webhooks_does_not_stop_valid_ones() {
    let app = Arc::new(spawn_app().await);
    let mut flood = Vec::new();
    for t in 0..32 {
        let app = app.clone();
        flood.push(tokio::spawn(async move {
            for i in 0..25 {
                let body =
                    rainforest_refund(&format!("forged-{t}-{i}"), "#F", 100, "USD", "CREATED");
                let a = app
                    .post_webhook(
                        "rainforest",
                        &[
                            ("svix-id", format!("msg_forged_{t}_{i}")),
                            ("svix-timestamp", chrono::Utc::now().timestamp().to_string()),
                            (
                                "svix-signature",
                                "v1,Zm9yZ2VkIHNpZ25hdHVyZSBub3QgdmFsaWQ=".into(),
                            ),
                        ],
                        body,
                    )
                    .await;
                assert_eq!(a.status, 401);
            }
        }));
    }
    for i in 0..20 {
        app.rainforest(&rainforest_refund(
            &format!("valid-{i}"),
            "#V",
            100,
            "USD",
            "CREATED",
        ))
        .await
        .assert(200, "accepted");
    }
    for f in flood {
        f.await.unwrap();
    }
    assert_eq!(app.count("refunds").await, 20);
    assert_eq!(app.count("webhook_events").await, 20);
}

#[tokio::test]
async fn a_slow_sender_is_cut_off_with_408_while_valid_deliveries_continue() {
    let mut raw = test_config();
    raw.webhook_body_timeout = Some("1s".into());
    raw.webhook_concurrency = Some("2".into());
    let app = spawn_app_with(raw).await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    // Two slow senders take both slots...
    let mut slow = Vec::new();
    for _ in 0..2 {
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(
            b"POST /webhooks/unipayment HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"ipn",
        )
        .await
        .unwrap();
        slow.push(s);
    }
    // ...and are cut off, so a valid delivery still gets through.
    app.rainforest(&rainforest_refund(
        "after-slow",
        "#S",
        100,
        "USD",
        "CREATED",
    ))
    .await
    .assert(200, "accepted");
    for mut s in slow {
        let mut buf = vec![0u8; 512];
        let n = tokio::time::timeout(std::time::Duration::from_secs(10), s.read(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        let text = String::from_utf8_lossy(&buf[..n]);
        assert!(text.starts_with("HTTP/1.1 408"), "{text}");
        assert!(text.contains("request_timeout"), "{text}");
    }
    assert_eq!(app.count("webhook_events").await, 1);
}

#[tokio::test]
async fn a_graphql_batch_counts_its_members() {
    let app = spawn_app().await;
    let one = json!({ "query": "{ refunds { totalCount } }" });
    let post = |n: usize| {
        let batch: Vec<_> = std::iter::repeat_n(one.clone(), n).collect();
        app.client
            .post(format!("{}/graphql", app.address))
            .json(&batch)
            .send()
    };
    let r: serde_json::Value = post(10).await.unwrap().json().await.unwrap();
    assert_eq!(r.as_array().map(|a| a.len()), Some(10), "{r}");
    let r: serde_json::Value = post(11).await.unwrap().json().await.unwrap();
    assert_eq!(
        r["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{r}"
    );
    // Each member is held to the limits on its own.
    let deep = "{ refunds { edges { node { order { refunds { order { refunds { order { refunds { order { refunds { order { id } } } } } } } } } } } } }";
    let r: serde_json::Value = app
        .client
        .post(format!("{}/graphql", app.address))
        .json(&json!([{ "query": deep }, one]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        r[0]["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{r}"
    );
    assert!(r[1]["errors"].is_null(), "{r}");
}

#[tokio::test]
async fn graphql_takes_only_json_and_bounded_bodies() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "text/plain")
        .body(r#"{"query":"mutation { upsertOrders(orders: []) { orders { id } } }"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let big = format!(
        "{{\"query\":\"{{ refunds {{ totalCount }} }}\",\"pad\":\"{}\"}}",
        "x".repeat(1_100_000)
    );
    let r = app
        .client
        .post(format!("{}/graphql", app.address))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
}

#[tokio::test]
async fn a_cross_origin_websocket_is_refused() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let app = spawn_app().await;
    let mut req = format!("{}/graphql/ws", app.address.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    req.headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    assert!(tokio_tungstenite::connect_async(req).await.is_err());
}
