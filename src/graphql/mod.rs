//! The GraphQL API (async-graphql on axum): `POST /graphql`, GraphiQL at `GET /graphql`.
//! The schema is built without runtime data so `refund-recon schema` needs no database.

pub mod auth;
pub mod loaders;
pub mod mutation;
pub mod pagination;
pub mod query;
pub mod scalars;
pub mod subscription;
pub mod types;
pub mod ws;

use async_graphql::{Schema, SchemaBuilder, http::GraphiQLSource};
use async_graphql_axum::{GraphQLBatchRequest, GraphQLResponse};
use axum::{
    Router,
    extract::State,
    http::HeaderMap,
    response::{Html, IntoResponse},
    routing::get,
};

use crate::{AppState, config::GraphqlLimits};

pub type AppSchema = Schema<query::Query, mutation::Mutation, subscription::Subscription>;

/// The schema with its limits; runtime data (database, config) is added by the caller.
pub fn build_schema(
    limits: &GraphqlLimits,
) -> SchemaBuilder<query::Query, mutation::Mutation, subscription::Subscription> {
    Schema::build(
        query::Query::default(),
        mutation::Mutation::default(),
        subscription::Subscription,
    )
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    .data(limits.clone())
}

/// The SDL of the schema, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    let limits = crate::config::Config::try_from(crate::config::RawConfig::default())
        .map(|c| c.graphql)
        .unwrap_or(GraphqlLimits {
            max_batch: 10,
            max_depth: 12,
            max_complexity: 2000,
            max_page_size: 200,
            default_page_size: 50,
        });
    build_schema(&limits).finish().sdl()
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/graphql",
            get(graphiql)
                .post(execute)
                // The GraphQL extractor reads the whole body: bound it.
                .layer(tower_http::limit::RequestBodyLimitLayer::new(1024 * 1024))
                .layer(axum::middleware::from_fn(require_json)),
        )
        .route("/graphql/ws", get(ws::handler))
}

async fn graphiql() -> impl IntoResponse {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql/ws")
            .finish(),
    )
}

/// Only JSON (or multipart) bodies: a cross-site `text/plain` form post cannot run a
/// mutation with the browser's access to a loopback service.
async fn require_json(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let ok = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let v = v.to_ascii_lowercase();
            v.starts_with("application/json")
                || v.starts_with("application/graphql")
                || v.starts_with("multipart/form-data")
        });
    if req.method() == axum::http::Method::POST && !ok {
        return (
            axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            axum::Json(serde_json::json!({"errors": [{
                "message": "send GraphQL requests as application/json",
                "extensions": {"code": "BAD_USER_INPUT"}
            }]})),
        )
            .into_response();
    }
    next.run(req).await
}

async fn execute(
    State(state): State<AppState>,
    headers: HeaderMap,
    req: GraphQLBatchRequest,
) -> GraphQLResponse {
    let caller = auth::caller_from_header(
        &state.config,
        headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok()),
    );
    let loaders = loaders::Loaders::new(state.db.clone());
    let req = req.into_inner();
    // A batch counts its members: each is held to every limit, and there are few of them.
    if let async_graphql::BatchRequest::Batch(members) = &req
        && members.len() > state.config.graphql.max_batch
    {
        let mut resp = async_graphql::Response::from_errors(vec![async_graphql::ServerError::new(
            format!(
                "a batch may hold at most {} operations; this one has {}",
                state.config.graphql.max_batch,
                members.len()
            ),
            None,
        )]);
        coded(&mut resp);
        return async_graphql::BatchResponse::Single(resp).into();
    }
    let req = req.data(caller).data(loaders);
    let mut resp = state.schema.execute_batch(req).await;
    match &mut resp {
        async_graphql::BatchResponse::Single(r) => coded(r),
        async_graphql::BatchResponse::Batch(rs) => rs.iter_mut().for_each(coded),
    }
    resp.into()
}

/// Every error carries `extensions.code`: errors raised before any resolver ran (syntax,
/// validation, unknown fields, bad scalars, depth and complexity limits) are the
/// client's, so `BAD_USER_INPUT`.
fn coded(resp: &mut async_graphql::Response) {
    for e in &mut resp.errors {
        let has_code = e
            .extensions
            .as_ref()
            .is_some_and(|x| x.get("code").is_some());
        if !has_code {
            e.extensions
                .get_or_insert_with(Default::default)
                .set("code", "BAD_USER_INPUT");
        }
    }
}
