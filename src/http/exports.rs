//! `GET /exports/reconciliation.csv` (finance): the reconciliation report, streamed, with
//! the filters of the `reconciliation` query as query parameters.

use axum::{
    Router,
    body::Body,
    extract::{Query, State},
    http::{HeaderMap, header},
    response::{IntoResponse, Response},
    routing::get,
};
use futures::TryStreamExt;
use serde::Deserialize;

use crate::{
    AppState,
    config::Role,
    error::Error,
    graphql::auth::caller_from_header,
    reconcile::{ReconState, query::ReconFilter, report},
};

pub fn router() -> Router<AppState> {
    Router::new().route("/exports/reconciliation.csv", get(export))
}

/// Query parameters; lists are comma-separated (`state=UNDER_REFUNDED,OVER_REFUNDED`).
#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ExportParams {
    pub state: Option<String>,
    pub currency: Option<String>,
    pub provider: Option<String>,
    pub order_number: Option<String>,
}

fn list(v: &Option<String>) -> impl Iterator<Item = &str> {
    v.as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

impl ExportParams {
    pub fn filter(&self) -> Result<ReconFilter, Error> {
        let states = list(&self.state)
            .map(|s| {
                ReconState::parse(&s.to_ascii_uppercase())
                    .ok_or_else(|| Error::BadRequest(format!("unknown state `{s}`")))
            })
            .collect::<Result<_, _>>()?;
        let providers = list(&self.provider)
            .map(|p| {
                p.to_ascii_lowercase()
                    .parse()
                    .map_err(|_| Error::BadRequest(format!("unknown provider `{p}`")))
            })
            .collect::<Result<_, _>>()?;
        Ok(ReconFilter {
            states,
            currency: self.currency.clone(),
            providers,
            order_number: self.order_number.clone(),
            order_id: None,
        })
    }
}

async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(params): Query<ExportParams>,
) -> Result<Response, Error> {
    let caller = caller_from_header(
        &state.config,
        headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    );
    caller.require(Role::Finance)?;
    let filter = params.filter()?;
    let stream = report::stream(state.db.clone(), state.config.recon.tolerance, filter)
        .map_err(|e| std::io::Error::other(e.to_string()));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"reconciliation.csv\"",
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}
