//! Reads of the webhook inbox.

use chrono::{DateTime, Utc};
use entity::webhook_event;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Select};

use crate::domain::Provider;

#[derive(Debug, Clone, Default)]
pub struct WebhookEventQuery {
    pub providers: Vec<Provider>,
    /// `accepted` or `rejected`.
    pub outcomes: Vec<&'static str>,
    pub received_after: Option<DateTime<Utc>>,
    pub received_before: Option<DateTime<Utc>>,
    pub event_type: Option<String>,
}

impl WebhookEventQuery {
    pub fn select(&self) -> Select<webhook_event::Entity> {
        let mut c = Condition::all();
        if !self.providers.is_empty() {
            c = c.add(
                webhook_event::Column::Provider.is_in(self.providers.iter().map(|p| p.slug())),
            );
        }
        if !self.outcomes.is_empty() {
            c = c.add(webhook_event::Column::Outcome.is_in(self.outcomes.clone()));
        }
        if let Some(t) = self.received_after {
            c = c.add(webhook_event::Column::ReceivedAt.gte(t));
        }
        if let Some(t) = self.received_before {
            c = c.add(webhook_event::Column::ReceivedAt.lt(t));
        }
        if let Some(e) = &self.event_type {
            c = c.add(webhook_event::Column::EventType.eq(e.as_str()));
        }
        webhook_event::Entity::find().filter(c)
    }
}
