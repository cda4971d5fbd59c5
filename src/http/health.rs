//! Ops routes: `/healthz` (process up), `/readyz` (database and migrations), `/metrics`.

use axum::{
    Json, Router,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::get,
};
use entity::discrepancy;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

use crate::{AppState, store};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(s): State<AppState>) -> impl IntoResponse {
    match store::ready(&s.db).await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": reason })),
        ),
    }
}

async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    // Open discrepancies are a database fact: read at scrape time, not tracked in memory.
    if let Ok(open) = discrepancy::Entity::find()
        .filter(discrepancy::Column::Status.is_in(["OPEN", "ACKNOWLEDGED"]))
        .count(&s.db)
        .await
    {
        metrics::gauge!("refund_recon_discrepancies_open").set(open as f64);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        s.metrics.render(),
    )
}
