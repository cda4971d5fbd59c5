//! `webhookEvents(filter, first, after)`: the inbox, newest first.

use async_graphql::{Context, InputObject, Object, connection::Connection};
use chrono::{DateTime, Utc};
use entity::webhook_event;

use crate::{
    config::Role,
    graphql::{
        auth::RoleGuard,
        pagination::{TotalCount, newest_first_connection},
        types::{ProviderGql, WebhookEventGql, WebhookOutcomeGql},
    },
    store::webhook_events::WebhookEventQuery,
};

#[derive(InputObject, Default)]
pub struct WebhookEventFilter {
    pub provider: Option<Vec<ProviderGql>>,
    pub outcome: Option<Vec<WebhookOutcomeGql>>,
    pub event_type: Option<String>,
    pub received_after: Option<DateTime<Utc>>,
    pub received_before: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct WebhookEventQueries;

#[Object]
impl WebhookEventQueries {
    /// Stored webhook deliveries, newest first (raw bodies for admins only).
    #[graphql(
        guard = "RoleGuard(Role::Viewer)",
        complexity = "crate::graphql::pagination::list_complexity(first, child_complexity)"
    )]
    async fn webhook_events(
        &self,
        ctx: &Context<'_>,
        filter: Option<WebhookEventFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, WebhookEventGql, TotalCount>> {
        let f = filter.unwrap_or_default();
        let q = WebhookEventQuery {
            providers: f
                .provider
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            outcomes: f
                .outcome
                .unwrap_or_default()
                .into_iter()
                .map(|o| o.as_db())
                .collect(),
            event_type: f.event_type,
            received_after: f.received_after,
            received_before: f.received_before,
        };
        newest_first_connection(
            ctx,
            q.select(),
            webhook_event::Column::ReceivedAt,
            webhook_event::Column::Id,
            first,
            after,
            |e| (e.received_at, e.id),
            WebhookEventGql,
        )
        .await
    }
}
