//! `replayWebhookEvent` (admin): re-run one stored event through today's parser.

use async_graphql::{Context, ID, Object};
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::{
    config::{Config, Role},
    error::{Error, GqlResultExt},
    graphql::{
        auth::RoleGuard,
        types::{WebhookEventGql, parse_id},
    },
    ingest::replay,
};

#[derive(Default)]
pub struct ReplayMutations;

#[Object]
impl ReplayMutations {
    /// Re-runs a stored event through today's parser: a rejected event is applied if it now
    /// parses (its `outcome` becomes ACCEPTED); an accepted one is left unchanged.
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn replay_webhook_event(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<WebhookEventGql> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let settings = &ctx.data_unchecked::<std::sync::Arc<Config>>().recon;
        let id = parse_id(&id).gql()?;
        replay::replay(db, id, false, settings)
            .await
            .gql()?
            .ok_or_else(|| Error::NotFound(format!("no webhook event {id}")))
            .gql()?;
        ctx.data_unchecked::<crate::events::Notifier>().notify();
        let ev = entity::webhook_event::Entity::find_by_id(id)
            .one(db)
            .await
            .gql()?
            .ok_or_else(|| Error::NotFound(format!("no webhook event {id}")))
            .gql()?;
        Ok(WebhookEventGql(ev))
    }
}
