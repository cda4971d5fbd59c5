//! Database migrations, in order. Run by `refund-recon migrate` and on every `serve`.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261121_000001_create_orders;
mod m20261121_000002_create_returns;
mod m20261121_000003_create_refunds;
mod m20261121_000004_create_webhook_events;
mod m20261121_000005_create_discrepancies;
mod m20261122_000001_refund_amount_parts;
mod m20261130_000001_order_and_return_amount_parts;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_create_orders::Migration),
            Box::new(m20261121_000002_create_returns::Migration),
            Box::new(m20261121_000003_create_refunds::Migration),
            Box::new(m20261121_000004_create_webhook_events::Migration),
            Box::new(m20261121_000005_create_discrepancies::Migration),
            Box::new(m20261122_000001_refund_amount_parts::Migration),
            Box::new(m20261130_000001_order_and_return_amount_parts::Migration),
        ]
    }
}
