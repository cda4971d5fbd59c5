//! A GraphQL-over-WebSocket client for both sub-protocols.

#![allow(dead_code)]

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, client::IntoClientRequest},
};

use crate::helpers::TestApp;

pub const TRANSPORT_WS: &str = "graphql-transport-ws";
pub const LEGACY_WS: &str = "graphql-ws";

pub struct Ws {
    stream: WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>,
    proto: &'static str,
}

impl Ws {
    /// Connects and initialises; `Err` carries what the server answered instead of an ack.
    pub async fn connect(
        app: &TestApp,
        proto: &'static str,
        key: Option<&str>,
    ) -> Result<Ws, String> {
        let url = format!("{}/graphql/ws", app.address.replace("http://", "ws://"));
        let mut req = url.into_client_request().unwrap();
        req.headers_mut()
            .insert("sec-websocket-protocol", proto.parse().unwrap());
        let (stream, _) = connect_async(req).await.map_err(|e| e.to_string())?;
        let mut ws = Ws { stream, proto };
        let payload = match key {
            Some(k) => json!({"authorization": format!("Bearer {k}")}),
            None => json!({}),
        };
        ws.send(json!({"type": "connection_init", "payload": payload}))
            .await;
        loop {
            match ws.recv(Duration::from_secs(5)).await {
                Some(Ok(m)) if m["type"] == "connection_ack" => return Ok(ws),
                Some(Ok(m)) if m["type"] == "ka" => continue,
                Some(Ok(m)) => return Err(m.to_string()),
                Some(Err(closed)) => return Err(closed),
                None => return Err("no answer to connection_init".into()),
            }
        }
    }

    async fn send(&mut self, v: Value) {
        self.stream
            .send(Message::Text(v.to_string().into()))
            .await
            .unwrap();
    }

    /// The next JSON message, `Err` with the close frame when the server closed.
    async fn recv(&mut self, wait: Duration) -> Option<Result<Value, String>> {
        loop {
            let msg = tokio::time::timeout(wait, self.stream.next())
                .await
                .ok()??;
            match msg {
                Ok(Message::Text(t)) => return Some(Ok(serde_json::from_str(&t).unwrap())),
                Ok(Message::Close(f)) => return Some(Err(format!("closed: {f:?}"))),
                Ok(Message::Ping(_) | Message::Pong(_)) => continue,
                Ok(other) => return Some(Err(format!("unexpected {other:?}"))),
                Err(e) => return Some(Err(e.to_string())),
            }
        }
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let kind = if self.proto == TRANSPORT_WS {
            "subscribe"
        } else {
            "start"
        };
        self.send(
            json!({"id": id, "type": kind, "payload": {"query": query, "variables": variables}}),
        )
        .await;
    }

    /// The `data` of the next event, or the error payload as `Err`; `None` after `wait`.
    pub async fn next_event(&mut self, wait: Duration) -> Option<Result<Value, Value>> {
        loop {
            let m = match self.recv(wait).await? {
                Ok(m) => m,
                Err(closed) => return Some(Err(json!(closed))),
            };
            match m["type"].as_str() {
                Some("next") | Some("data") => {
                    let p = &m["payload"];
                    if p["errors"].is_array() {
                        return Some(Err(p["errors"].clone()));
                    }
                    return Some(Ok(p["data"].clone()));
                }
                Some("error") => return Some(Err(m["payload"].clone())),
                Some("ka") | Some("ping") | Some("pong") => continue,
                _ => return Some(Err(m)),
            }
        }
    }

    /// Collects `n` events (panics if they do not come within a few seconds).
    pub async fn take(&mut self, n: usize) -> Vec<Value> {
        let mut out = Vec::new();
        while out.len() < n {
            match self.next_event(Duration::from_secs(10)).await {
                Some(Ok(v)) => out.push(v),
                other => panic!("expected {n} events, got {out:?} then {other:?}"),
            }
        }
        out
    }

    /// Asserts nothing more arrives for a moment.
    pub async fn assert_quiet(&mut self) {
        if let Some(e) = self.next_event(Duration::from_millis(1500)).await {
            panic!("unexpected event {e:?}");
        }
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}
