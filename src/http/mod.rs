//! The HTTP surface: webhooks, GraphQL, ops routes.

pub mod exports;
pub mod health;
pub mod webhooks;

use axum::Router;
use tower_http::trace::TraceLayer;

use crate::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(webhooks::router(state.config.webhook_concurrency))
        .merge(health::router())
        .merge(exports::router())
        .merge(crate::graphql::router())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
