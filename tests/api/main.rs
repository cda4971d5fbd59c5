//! Integration tests: the app on port 0 with a fresh database per test (a temp SQLite file,
//! or a fresh PostgreSQL database when `TEST_DATABASE_URL` is set), spoken to over HTTP.

mod helpers;

mod abuse;
mod cli;
mod finance;
mod graphql_auth;
mod graphql_limits;
mod graphql_queries;
mod graphql_refunds;
mod group_commit;
mod health;
mod linking;
mod reconciliation;
mod replay;
mod schema;
mod seed;
mod subscription_fanout;
mod subscriptions;
mod webhook_alchemypay;
mod webhook_baback;
mod webhook_common;
mod webhook_rainforest;
mod webhook_rebound;
mod webhook_unipayment;
mod webhooks;
mod ws;
