//! The least a GraphQL-over-HTTP answer of the page's shape costs on this machine: a bare
//! async-graphql schema on axum answering the page's selection (50 edges of the same fields,
//! cursors and page info) from rows already in memory — no database, no authentication, no
//! limits. Whatever the service adds to the SQL statement can be no less than this.

use async_graphql::{
    EmptyMutation, EmptySubscription, ID, Object, Schema, SimpleObject,
    connection::{Connection, Edge},
};
use chrono::{DateTime, Utc};

pub const QUERY: &str = "query Page($after: String) {
  refunds(first: 50, after: $after) {
    edges { cursor node {
      id provider providerRefundId status amount { amount currency } createdAt
      order { orderNumber }
    } }
    pageInfo { hasNextPage endCursor }
  }
}";

#[derive(SimpleObject, Clone)]
pub struct Money {
    pub amount: String,
    pub currency: String,
}

#[derive(SimpleObject, Clone)]
pub struct Order {
    pub order_number: Option<String>,
}

/// One refund of the page, as displayed.
#[derive(SimpleObject, Clone)]
pub struct Node {
    pub id: ID,
    pub provider: String,
    pub provider_refund_id: String,
    pub status: String,
    pub amount: Option<Money>,
    pub created_at: DateTime<Utc>,
    pub order: Option<Order>,
}

struct Query(Vec<(String, Node)>);

#[Object]
impl Query {
    async fn refunds(&self, first: Option<i32>, after: Option<String>) -> Connection<String, Node> {
        let _ = (first, after);
        let mut c = Connection::new(false, true);
        c.edges.extend(
            self.0
                .iter()
                .map(|(cursor, node)| Edge::new(cursor.clone(), node.clone())),
        );
        c
    }
}

/// Serves the page on `listener` at `/graphql` (cursor and node per row).
pub async fn serve(listener: tokio::net::TcpListener, rows: Vec<(String, Node)>) {
    let schema = Schema::new(Query(rows), EmptyMutation, EmptySubscription);
    let app =
        axum::Router::new().route_service("/graphql", async_graphql_axum::GraphQL::new(schema));
    axum::serve(listener, app).await.unwrap();
}
