//! `POST /webhooks/{slug}`: size limit, provider lookup, authentication, then the inbox.
//! Every refusal answers with the JSON of SPEC §4 and leaves the database as it was.

use std::time::Instant;

use axum::{
    Json, Router,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use chrono::Utc;
use serde_json::json;

use crate::{
    AppState,
    domain::Provider,
    ingest::Outcome,
    providers::{AuthError, Inbound},
};

/// The webhook route, with a bound on requests in flight: a flood of forged or slow
/// requests queues behind the bound instead of exhausting the database pool.
pub fn router(concurrency: usize) -> Router<AppState> {
    Router::new().route(
        "/webhooks/{slug}",
        post(receive).layer(tower::limit::ConcurrencyLimitLayer::new(concurrency)),
    )
}

/// A refusal, with the status and body SPEC §4 gives it.
pub struct Refusal {
    status: StatusCode,
    code: &'static str,
    message: String,
    event_id: Option<i64>,
}

impl Refusal {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            status,
            code,
            message: message.into(),
            event_id: None,
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut body = json!({ "error": self.code, "message": self.message });
        if let Some(id) = self.event_id {
            body["eventId"] = json!(id.to_string());
        }
        (self.status, Json(body)).into_response()
    }
}

async fn receive(
    State(state): State<AppState>,
    Path(slug): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let (provider_label, result) = match slug.parse::<Provider>() {
        Ok(p) => (p.slug(), handle(&state, p, &headers, body).await),
        Err(_) => (
            "unknown",
            Err(Refusal::new(
                StatusCode::NOT_FOUND,
                "unknown_provider",
                format!(
                    "no provider `{}`; known: rebound, rainforest, baback, alchemypay, unipayment",
                    slug.chars().take(64).collect::<String>()
                ),
            )),
        ),
    };
    let outcome = match &result {
        Ok(o) => o.label(),
        Err(r) => r.code,
    };
    metrics::counter!("refund_recon_webhooks_total", "provider" => provider_label, "outcome" => outcome)
        .increment(1);
    metrics::histogram!("refund_recon_webhook_duration_seconds", "provider" => provider_label)
        .record(started.elapsed().as_secs_f64());
    match result {
        Ok(Outcome::Accepted { event_id, .. }) => ok("accepted", event_id),
        Ok(Outcome::Duplicate { event_id }) => ok("duplicate", event_id),
        Ok(Outcome::Rejected { event_id, reason }) => Refusal {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "unprocessable",
            message: reason,
            event_id: Some(event_id),
        }
        .into_response(),
        Err(r) => r.into_response(),
    }
}

fn ok(status: &str, event_id: i64) -> Response {
    Json(json!({ "result": "success", "status": status, "eventId": event_id.to_string() }))
        .into_response()
}

#[tracing::instrument(skip_all, fields(provider = %provider))]
async fn handle(
    state: &AppState,
    provider: Provider,
    headers: &HeaderMap,
    body: Body,
) -> Result<Outcome, Refusal> {
    let Some(auth) = state.providers.get(provider) else {
        return Err(Refusal::new(
            StatusCode::NOT_FOUND,
            "provider_not_configured",
            format!(
                "provider `{provider}` is not configured: set {}",
                provider.secret_variable()
            ),
        ));
    };
    let limit = state.config.max_body_bytes;
    let too_large = || {
        Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("body exceeds {limit} bytes"),
        )
    };
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    // A sender that trickles its body is cut off, so it cannot hold a slot for long.
    let bytes = tokio::time::timeout(
        state.config.webhook_body_timeout,
        axum::body::to_bytes(body, limit),
    )
    .await
    .map_err(|_| {
        Refusal::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            format!(
                "the body did not arrive within {} s",
                state.config.webhook_body_timeout.as_secs_f64()
            ),
        )
    })?
    .map_err(|_| too_large())?;
    let received_at = Utc::now();
    let inbound = Inbound {
        headers,
        body: &bytes,
        received_at,
    };
    let authed = auth.authenticate(&inbound).map_err(|e| match e {
        AuthError::Malformed(m) => Refusal::new(StatusCode::BAD_REQUEST, "malformed_payload", m),
        AuthError::InvalidSignature(m) => {
            Refusal::new(StatusCode::UNAUTHORIZED, "invalid_signature", m)
        }
    })?;
    let outcome = state
        .inbox
        .submit(provider, authed, received_at)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "ingest failed");
            Refusal::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the event could not be stored; it was not acknowledged, please retry",
            )
        })?;
    if matches!(outcome, Outcome::Accepted { .. }) {
        // Committed: subscribers may read it now.
        state.notifier.notify();
    }
    Ok(outcome)
}
