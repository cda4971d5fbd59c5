//! The `WebhookEvent` type: one inbox row. Raw payloads and headers are for admins only.

use async_graphql::{Enum, ID, Object};
use entity::webhook_event;

use super::{ProviderGql, enums::provider_from_db};
use crate::{config::Role, graphql::auth::RoleGuard};

pub struct WebhookEventGql(pub webhook_event::Model);

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(name = "WebhookOutcome", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum WebhookOutcomeGql {
    Accepted,
    Rejected,
}

impl WebhookOutcomeGql {
    pub fn as_db(self) -> &'static str {
        match self {
            WebhookOutcomeGql::Accepted => "accepted",
            WebhookOutcomeGql::Rejected => "rejected",
        }
    }
}

#[Object(name = "WebhookEvent")]
impl WebhookEventGql {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn provider(&self) -> ProviderGql {
        provider_from_db(&self.0.provider)
    }

    async fn idempotency_key(&self) -> &str {
        &self.0.idempotency_key
    }

    async fn event_type(&self) -> Option<&str> {
        self.0.event_type.as_deref()
    }

    async fn outcome(&self) -> WebhookOutcomeGql {
        if self.0.outcome == "rejected" {
            WebhookOutcomeGql::Rejected
        } else {
            WebhookOutcomeGql::Accepted
        }
    }

    /// Why the event was rejected.
    async fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    async fn received_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.received_at
    }

    async fn processed_at(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.processed_at
    }

    /// The body as received (secrets removed). Admin only.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn raw_body(&self) -> &str {
        &self.0.raw_body
    }

    /// Selected headers as a JSON object. Admin only.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn headers(&self) -> &str {
        &self.0.headers
    }
}
