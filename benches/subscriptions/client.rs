//! The subscriber side: GraphQL over WebSocket (`graphql-transport-ws`), reading each
//! connection with a plain scan for the refund id instead of a JSON parse, so the client
//! stays cheap beside the server it measures.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::{net::TcpStream, sync::watch};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async_with_config,
    tungstenite::{Message, client::IntoClientRequest, protocol::WebSocketConfig},
};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub const QUERY: &str = "subscription($f: RefundFilter) { refundStatusChanged(filter: $f) {
    cursor status occurredAt refund { providerRefundId provider amount { amount currency } } } }";

/// One event received by one subscriber: the scenario, the event number, when (since epoch).
#[derive(Clone, Copy)]
pub struct Delivery {
    pub phase: u32,
    pub n: u32,
    pub at: Duration,
}

/// Counters the orchestration watches while subscribers read.
#[derive(Default)]
pub struct Progress {
    /// Deliveries per phase (index = phase).
    pub delivered: [AtomicU64; 4],
    /// Subscribers that received at least one warm-up event.
    pub warmed: AtomicU64,
}

/// Opens a connection, initialises it and subscribes with `filter`.
pub async fn subscribe(ws_url: &str, filter: Value) -> Socket {
    let mut req = ws_url.into_client_request().unwrap();
    req.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().unwrap(),
    );
    // Small reads: the library zero-fills its whole read buffer (128 KiB by default) before
    // each read, which would make the client, on the same cores, cost more than the server.
    let config = WebSocketConfig::default().read_buffer_size(4 * 1024);
    let (mut s, _) = connect_async_with_config(req, Some(config), false)
        .await
        .expect("WebSocket connect");
    send(&mut s, json!({"type": "connection_init", "payload": {}})).await;
    loop {
        match s.next().await {
            Some(Ok(Message::Text(t))) if t.contains("connection_ack") => break,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("no connection_ack: {other:?}"),
        }
    }
    send(
        &mut s,
        json!({"id": "1", "type": "subscribe", "payload": {"query": QUERY, "variables": {"f": filter}}}),
    )
    .await;
    s
}

async fn send(s: &mut Socket, v: Value) {
    s.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// Reads events until `stop`, recording each one's arrival.
pub async fn read(
    mut s: Socket,
    epoch: Instant,
    progress: Arc<Progress>,
    mut stop: watch::Receiver<bool>,
) -> Vec<Delivery> {
    let mut got = Vec::new();
    let mut warmed = false;
    loop {
        let msg = tokio::select! {
            m = s.next() => m,
            _ = stop.changed() => break,
        };
        let at = epoch.elapsed();
        let text = match msg {
            Some(Ok(Message::Text(t))) => t,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            other => panic!("subscriber got {other:?}"),
        };
        if text.contains("\"ping\"") {
            send(&mut s, json!({"type": "pong"})).await;
            continue;
        }
        let Some((phase, n)) = event_of(&text) else {
            panic!("not an event: {text}");
        };
        progress.delivered[phase as usize].fetch_add(1, Ordering::Relaxed);
        if phase == 0 && !warmed {
            warmed = true;
            progress.warmed.fetch_add(1, Ordering::Relaxed);
        }
        got.push(Delivery { phase, n, at });
    }
    let _ = s.close(None).await;
    got
}

/// `(phase, n)` of an event message, from its refund id `S{phase}-{n}`.
fn event_of(text: &str) -> Option<(u32, u32)> {
    if !text.contains("\"type\":\"next\"") || text.contains("\"errors\"") {
        return None;
    }
    const KEY: &str = "\"providerRefundId\":\"S";
    let rest = &text[text.find(KEY)? + KEY.len()..];
    let id = &rest[..rest.find('"')?];
    let (phase, n) = id.split_once('-')?;
    Some((phase.parse().ok()?, n.parse().ok()?))
}
