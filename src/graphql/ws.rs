//! `GET /graphql/ws`: GraphQL over WebSocket, both `graphql-transport-ws` and the legacy
//! `graphql-ws`. The API key comes in the `connection_init` payload
//! (`{"authorization": "Bearer <key>"}`, `Authorization` accepted too); a bad key ends the
//! connection with the protocol's error.

use std::sync::Arc;

use async_graphql::{Data, Executor, Request};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::{
    extract::{State, WebSocketUpgrade},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use futures::{StreamExt, stream::BoxStream};

use super::{
    AppSchema,
    auth::{Caller, caller_from_header},
    coded,
    loaders::Loaders,
};
use crate::AppState;

/// Bytes read from a connection at a time. The WebSocket library zero-fills this much of its
/// buffer before every read attempt, and the connection's read side is polled each time a
/// subscription yields: at the library's default (128 KiB) that fill was 38 % of the
/// server's CPU with 5,000 subscribers (BENCHMARKS.md §5), and 640 MB of touched buffers.
/// Clients send only small protocol messages; a longer one is read in several chunks.
const READ_BUFFER: usize = 4 * 1024;

/// The schema as served over WebSocket: every error carries `extensions.code`, as over HTTP
/// (a query refused by validation or the limits has none of its own).
#[derive(Clone)]
struct Coded(AppSchema);

impl Executor for Coded {
    async fn execute(&self, request: Request) -> async_graphql::Response {
        let mut resp = self.0.execute(request).await;
        coded(&mut resp);
        resp
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        self.0
            .execute_stream_with_session_data(request, session_data.unwrap_or_default())
            .map(|mut resp| {
                coded(&mut resp);
                resp
            })
            .boxed()
    }
}

/// A browser page of another origin may not open a subscription (browsers send `Origin`;
/// other clients do not).
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get("origin").and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin
        .split_once("://")
        .is_some_and(|(_, rest)| rest.trim_end_matches('/') == host)
}

pub async fn handler(
    State(state): State<AppState>,
    headers: HeaderMap,
    protocol: GraphQLProtocol,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !same_origin(&headers) {
        return (StatusCode::FORBIDDEN, "cross-origin WebSocket refused").into_response();
    }
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .read_buffer_size(READ_BUFFER)
        .on_upgrade(move |socket| async move {
            let schema = Coded(state.schema.clone());
            let config = state.config.clone();
            let db = state.db.clone();
            let notifier = state.notifier.clone();
            metrics::gauge!("refund_recon_subscriptions_open").increment(1.0);
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let auth = payload
                        .get("authorization")
                        .or_else(|| payload.get("Authorization"))
                        .and_then(|v| v.as_str());
                    let caller = caller_from_header(&config, auth);
                    match caller {
                        Caller::Authenticated(_) => {
                            let mut data = Data::default();
                            data.insert(caller);
                            data.insert(Loaders::new(db));
                            data.insert(notifier);
                            Ok(data)
                        }
                        _ => Err(async_graphql::Error::new(
                            "a valid API key is required in the connection_init payload",
                        )),
                    }
                })
                .serve()
                .await;
            metrics::gauge!("refund_recon_subscriptions_open").decrement(1.0);
        })
}
