//! `reconciliation(filter, first, after)` and `discrepancies(filter, first, after)`.

use async_graphql::{
    Context, InputObject, Object,
    connection::{Connection, Edge},
};
use entity::discrepancy;
use sea_orm::{ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter};

use crate::{
    config::{Config, Role},
    error::GqlResultExt,
    graphql::{
        auth::RoleGuard,
        pagination::{self, Cursor, TotalCount, newest_first_connection, page_size},
        types::{
            DiscrepancyGql, DiscrepancyKindGql, DiscrepancyStatusGql, MoneyGql,
            OrderReconciliationGql, ProviderGql, ReconStateGql, enums::provider_from_db,
        },
    },
    reconcile::query::{self, ReconFilter},
};

#[derive(InputObject, Default)]
pub struct ReconciliationFilter {
    pub state: Option<Vec<ReconStateGql>>,
    pub currency: Option<String>,
    /// Orders with a refund from one of these providers.
    pub provider: Option<Vec<ProviderGql>>,
    pub order_number: Option<String>,
}

impl From<ReconciliationFilter> for ReconFilter {
    fn from(f: ReconciliationFilter) -> Self {
        ReconFilter {
            states: f
                .state
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            currency: f.currency,
            providers: f
                .provider
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            order_number: f.order_number,
            order_id: None,
        }
    }
}

#[derive(InputObject, Default)]
pub struct DiscrepancyFilter {
    pub kind: Option<Vec<DiscrepancyKindGql>>,
    pub status: Option<Vec<DiscrepancyStatusGql>>,
    pub order_number: Option<String>,
    /// Discrepancies about refunds of these providers.
    pub provider: Option<Vec<ProviderGql>>,
}

impl DiscrepancyFilter {
    /// The filter in memory, for subscriptions (`status` there is the status a change moved
    /// to; see `DiscrepancyMatch`).
    pub fn matcher(&self) -> crate::store::feed::DiscrepancyMatch {
        crate::store::feed::DiscrepancyMatch {
            kinds: self.kind.iter().flatten().map(|k| k.as_db()).collect(),
            statuses: self.status.iter().flatten().map(|s| s.as_db()).collect(),
            order_number: self.order_number.clone(),
            providers: self
                .provider
                .iter()
                .flatten()
                .map(|p| crate::domain::Provider::from(*p).slug())
                .collect(),
        }
    }

    /// The filter as a condition on `discrepancies`.
    pub fn condition(self) -> Condition {
        let mut c = Condition::all();
        if let Some(k) = self.kind.filter(|k| !k.is_empty()) {
            c = c.add(discrepancy::Column::Kind.is_in(k.into_iter().map(|k| k.as_db())));
        }
        if let Some(s) = self.status.filter(|s| !s.is_empty()) {
            c = c.add(discrepancy::Column::Status.is_in(s.into_iter().map(|s| s.as_db())));
        }
        if let Some(n) = self.order_number {
            let sub = sea_orm::sea_query::Query::select()
                .column(entity::order::Column::Id)
                .from(entity::order::Entity)
                .and_where(entity::order::Column::OrderNumber.eq(n))
                .to_owned();
            c = c.add(discrepancy::Column::OrderId.in_subquery(sub));
        }
        if let Some(p) = self.provider.filter(|p| !p.is_empty()) {
            let slugs: Vec<&str> = p
                .into_iter()
                .map(|p| crate::domain::Provider::from(p).slug())
                .collect();
            let sub = sea_orm::sea_query::Query::select()
                .column(entity::refund::Column::Id)
                .from(entity::refund::Entity)
                .and_where(entity::refund::Column::Provider.is_in(slugs))
                .to_owned();
            c = c.add(discrepancy::Column::RefundId.in_subquery(sub));
        }
        c
    }
}

/// `totalCount` of the reconciliation report.
pub struct ReconCount {
    db: DatabaseConnection,
    tol: rust_decimal::Decimal,
    filter: ReconFilter,
}

#[Object]
impl ReconCount {
    /// How many order/currency rows match the filter.
    async fn total_count(&self) -> async_graphql::Result<u64> {
        query::count(&self.db, self.tol, &self.filter).await.gql()
    }
}

/// One group of `reconciliationSummary`.
#[derive(async_graphql::SimpleObject)]
pub struct ReconciliationSummaryRow {
    /// Set when grouped by provider: the provider that refunded these orders.
    pub provider: Option<ProviderGql>,
    pub currency: Option<String>,
    pub state: ReconStateGql,
    /// Orders (per currency) in this group.
    pub orders: i64,
    pub expected_refund: Option<MoneyGql>,
    pub refunded: Option<MoneyGql>,
    pub pending_refund: Option<MoneyGql>,
    pub outstanding: Option<MoneyGql>,
}

#[derive(Default)]
pub struct ReconciliationQueries;

#[Object]
impl ReconciliationQueries {
    /// Every order, per currency, reconciled: newest orders first.
    #[graphql(
        guard = "RoleGuard(Role::Viewer)",
        complexity = "crate::graphql::pagination::list_complexity(first, child_complexity)"
    )]
    async fn reconciliation(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReconciliationFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, OrderReconciliationGql, ReconCount>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let tol = ctx
            .data_unchecked::<std::sync::Arc<Config>>()
            .recon
            .tolerance;
        let limit = page_size(ctx, first)?;
        let f: ReconFilter = filter.unwrap_or_default().into();
        let after = pagination::after(after)?.map(|(key, id)| (id, key));
        let has_previous = after.is_some();
        let mut rows = query::page(db, tol, &f, after, limit).await.gql()?;
        let has_next = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        let mut conn = Connection::with_additional_fields(
            has_previous,
            has_next,
            ReconCount {
                db: db.clone(),
                tol,
                filter: f,
            },
        );
        conn.edges.extend(rows.into_iter().map(|r| {
            let (id, key) = r.key();
            Edge::new(Cursor { key, id }.encode(), OrderReconciliationGql(r))
        }));
        Ok(conn)
    }

    /// The report summed by currency and state, and by refunding provider when
    /// `byProvider` is true (an order refunded by two providers counts under each).
    #[graphql(guard = "RoleGuard(Role::Viewer)")]
    async fn reconciliation_summary(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReconciliationFilter>,
        #[graphql(default = false)] by_provider: bool,
    ) -> async_graphql::Result<Vec<ReconciliationSummaryRow>> {
        let db = ctx.data_unchecked::<DatabaseConnection>();
        let tol = ctx
            .data_unchecked::<std::sync::Arc<Config>>()
            .recon
            .tolerance;
        let f: ReconFilter = filter.unwrap_or_default().into();
        let rows = query::summary(db, tol, &f, by_provider).await.gql()?;
        Ok(rows
            .into_iter()
            .map(|g| {
                let m = |d| MoneyGql::from_parts(Some(d), g.currency.as_deref());
                ReconciliationSummaryRow {
                    provider: g.provider.as_deref().map(provider_from_db),
                    state: g.state.into(),
                    orders: g.orders,
                    expected_refund: m(g.expected),
                    refunded: m(g.refunded),
                    pending_refund: m(g.pending),
                    outstanding: m(g.expected - g.refunded - g.pending),
                    currency: g.currency.clone(),
                }
            })
            .collect())
    }

    /// The discrepancy queue, newest first.
    #[graphql(
        guard = "RoleGuard(Role::Viewer)",
        complexity = "crate::graphql::pagination::list_complexity(first, child_complexity)"
    )]
    async fn discrepancies(
        &self,
        ctx: &Context<'_>,
        filter: Option<DiscrepancyFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, DiscrepancyGql, TotalCount>> {
        let c = filter.unwrap_or_default().condition();
        newest_first_connection(
            ctx,
            discrepancy::Entity::find().filter(c),
            discrepancy::Column::DetectedAt,
            discrepancy::Column::Id,
            first,
            after,
            |d| (d.detected_at, d.id),
            DiscrepancyGql,
        )
        .await
    }
}
