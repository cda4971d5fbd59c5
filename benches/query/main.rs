//! Query latency over N refunds (default 1,000,000, five providers, ~800,000 orders): the
//! `refunds` connection with a provider + status filter (first page, and a page ~100,000
//! rows deep reached by cursor) and `refundSummary` on the same filter, as GraphQL POSTs over
//! HTTP, each beside the equivalent hand-written SQL run on the same database in the same
//! run (alternating, so both see the same disturbances). A floor row serves the first page's
//! 50 nodes from memory through a bare async-graphql schema (`floor.rs`): the least any
//! GraphQL-over-HTTP answer of that shape costs here.
//!
//! `cargo bench --bench query` (SQLite in a temp dir), or with
//! `BENCH_DATABASE_URL=postgres://…/db` (emptied first). `BENCH_REFUNDS=N` changes the size,
//! `BENCH_RUNS=N` the timed runs per scenario (default 200; `BENCH_SUMMARY_RUNS` for the
//! summary alone). With `BENCH_REUSE=1` and a `BENCH_DATABASE_URL` that already holds the
//! generated data, seeding is skipped.

#![allow(clippy::print_stdout)]

#[path = "../common/mod.rs"]
mod common;
mod floor;

use std::{
    collections::BTreeMap,
    future::Future,
    time::{Duration, Instant},
};

use refund_recon::{
    App,
    config::{Config, RawConfig},
    graphql::pagination::Cursor,
};
use rust_decimal::Decimal;
use sea_orm::{
    ConnectionTrait, DatabaseBackend, DatabaseConnection, QueryResult, Statement, Value,
};
use serde_json::{Value as Json, json};

const KEY: &str = "bench-viewer-key-0001";
const PAGE: usize = 50;
const DEEP: u64 = 100_000;
/// The filter of every scenario: GraphQL values and the stored ones.
const PROVIDERS: [(&str, &str); 2] = [("REBOUND", "rebound"), ("RAINFOREST", "rainforest")];
const STATUSES: [&str; 2] = ["SUCCEEDED", "PROCESSING"];

const PAGE_QUERY: &str = "query Page($filter: RefundFilter, $after: String) {
  refunds(filter: $filter, first: 50, after: $after) {
    edges { cursor node {
      id provider providerRefundId status amount { amount currency } createdAt
      order { orderNumber }
    } }
    pageInfo { hasNextPage endCursor }
  }
}";

const SUMMARY_QUERY: &str = "query Summary($filter: RefundFilter) {
  refundSummary(filter: $filter, groupBy: [PROVIDER, STATUS, CURRENCY]) {
    provider status currency count total { amount currency }
  }
}";

struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    /// POSTs a query; the answer must be 200 without `errors`.
    async fn post(&self, query: &str, variables: Json) -> Json {
        let r = self
            .http
            .post(&self.url)
            .bearer_auth(KEY)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{}", r.status());
        let v: Json = r.json().await.unwrap();
        assert!(v.get("errors").is_none(), "GraphQL errors: {v}");
        v
    }
}

fn filter() -> Json {
    json!({
        "provider": PROVIDERS.iter().map(|p| p.0).collect::<Vec<_>>(),
        "status": STATUSES,
    })
}

/// `?` or `$n` placeholders for the filter values, which come first in every statement.
fn filter_sql(backend: DatabaseBackend) -> (String, Vec<Value>) {
    let ph = |n: usize| match backend {
        DatabaseBackend::Postgres => format!("${n}"),
        _ => "?".to_owned(),
    };
    let sql = format!(
        "r.provider IN ({}, {}) AND r.status IN ({}, {})",
        ph(1),
        ph(2),
        ph(3),
        ph(4)
    );
    let values = PROVIDERS
        .iter()
        .map(|p| Value::from(p.1))
        .chain(STATUSES.iter().map(|s| Value::from(*s)))
        .collect();
    (sql, values)
}

/// The page as written by hand: the displayed columns and the order's number, keyset on
/// (created_at, id) as a row value. The number is a scalar sub-query: with a LEFT JOIN,
/// SQLite reads and sorts every matching refund instead of walking the created_at index.
fn raw_page(
    backend: DatabaseBackend,
    after: Option<(chrono::DateTime<chrono::Utc>, i64)>,
) -> Statement {
    let (cond, mut values) = filter_sql(backend);
    let keyset = match (&after, backend) {
        (None, _) => String::new(),
        (Some(_), DatabaseBackend::Postgres) => " AND (r.created_at, r.id) < ($5, $6)".to_owned(),
        (Some(_), _) => " AND (r.created_at, r.id) < (?, ?)".to_owned(),
    };
    if let Some((t, id)) = after {
        values.push(t.into());
        values.push(id.into());
    }
    Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT r.id, r.provider, r.provider_refund_id, r.status, r.amount, r.currency, \
             r.created_at, (SELECT o.order_number FROM orders o WHERE o.id = r.order_id) AS order_number \
             FROM refunds r WHERE {cond}{keyset} ORDER BY r.created_at DESC, r.id DESC LIMIT {PAGE}"
        ),
        values,
    )
}

/// The summary as written by hand: the database's native SUM (floats on SQLite's text
/// amounts, exact NUMERIC on PostgreSQL).
fn raw_summary(backend: DatabaseBackend) -> Statement {
    let (cond, values) = filter_sql(backend);
    let sum = match backend {
        DatabaseBackend::Postgres => "SUM(r.amount)",
        _ => "SUM(CAST(r.amount AS REAL))",
    };
    Statement::from_sql_and_values(
        backend,
        format!(
            "SELECT r.provider, r.status, r.currency, COUNT(*) AS n, {sum} AS total FROM refunds r \
             WHERE {cond} GROUP BY r.provider, r.status, r.currency \
             ORDER BY r.provider, r.status, r.currency"
        ),
        values,
    )
}

async fn raw(db: &DatabaseConnection, s: &Statement) -> Vec<QueryResult> {
    db.query_all_raw(s.clone()).await.unwrap()
}

fn ids_of_page(v: &Json) -> Vec<i64> {
    v["data"]["refunds"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().parse().unwrap())
        .collect()
}

fn ids_of_rows(rows: &[QueryResult]) -> Vec<i64> {
    rows.iter().map(|r| r.try_get("", "id").unwrap()).collect()
}

struct Timing {
    p50: Duration,
    p99: Duration,
}

fn timing(mut v: Vec<Duration>) -> Timing {
    v.sort();
    let pct = |p: f64| v[((v.len() as f64 * p) as usize).min(v.len() - 1)];
    Timing {
        p50: pct(0.50),
        p99: pct(0.99),
    }
}

/// Warm-up, then `runs` alternating timed runs of `ours` and `raw`.
async fn measure<A, B, FA, FB>(runs: usize, mut ours: A, mut raw: B) -> (Timing, Timing)
where
    A: FnMut() -> FA,
    B: FnMut() -> FB,
    FA: Future<Output = ()>,
    FB: Future<Output = ()>,
{
    for _ in 0..(runs / 10).max(5) {
        ours().await;
        raw().await;
    }
    let (mut a, mut b) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let t = Instant::now();
        ours().await;
        a.push(t.elapsed());
        let t = Instant::now();
        raw().await;
        b.push(t.elapsed());
    }
    (timing(a), timing(b))
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

#[derive(PartialEq)]
enum Bar {
    /// Reference row, no bar.
    None,
    /// p99 ≤ 1.5x raw.
    Ratio,
    /// p99 ≤ 1.5x raw and under 20 ms.
    Page,
}

/// Measures `ours` beside `raw` (`measure`) and prints the row.
async fn compare<A, B, FA, FB>(name: &str, rows: usize, bar: Bar, runs: usize, ours: A, raw: B)
where
    A: FnMut() -> FA,
    B: FnMut() -> FB,
    FA: Future<Output = ()>,
    FB: Future<Output = ()>,
{
    let (a, b) = measure(runs, ours, raw).await;
    row(name, rows, &a, &b, bar);
}

fn row(name: &str, rows: usize, ours: &Timing, raw: &Timing, bar: Bar) {
    let ratio = ours.p99.as_secs_f64() / raw.p99.as_secs_f64();
    let met = ratio <= 1.5 && (bar != Bar::Page || ours.p99 < Duration::from_millis(20));
    println!(
        "| {name} | {rows} | {} | {} | {} | {} | {ratio:.2}x | {} |",
        ms(ours.p50),
        ms(ours.p99),
        ms(raw.p50),
        ms(raw.p99),
        match bar {
            Bar::None => "",
            _ if met => "met",
            _ => "not met",
        }
    );
}

#[tokio::main]
async fn main() {
    let n: u64 = common::knob("BENCH_REFUNDS", 1_000_000);
    let runs: usize = common::knob("BENCH_RUNS", 200);
    let reuse = std::env::var("BENCH_REUSE").is_ok_and(|v| v == "1");
    let dir = tempfile::tempdir().unwrap();
    let url = common::database_url(dir.path());
    let config = Config::try_from(RawConfig {
        database_url: Some(url),
        api_keys: Some(format!("viewer:{KEY}")),
        log: Some("error".into()),
        ..common::quiet_sweep()
    })
    .unwrap();
    let app = App::build(config).await.unwrap();
    let db = app.state.db.clone();
    let backend = db.get_database_backend();
    common::print_database(&db);
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            let r = db
                .query_one_raw(Statement::from_string(backend, sql))
                .await
                .unwrap()
                .unwrap();
            r.try_get_by_index::<i64>(0).unwrap() as u64
        }
    };
    if reuse && count("SELECT COUNT(*) FROM refunds").await == n {
        println!("reusing the {n} refunds already in the database");
    } else {
        common::empty(&db).await;
        common::seed(&db, u64::MAX, n, common::Shape::QUERY).await;
    }

    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let client = Client {
        http: reqwest::Client::new(),
        url: format!("http://{}/graphql", l.local_addr().unwrap()),
    };
    tokio::spawn(async move { app.serve(l).await });

    // The filtered set, and the position ~DEEP rows into it (in the list's order).
    let (cond, values) = filter_sql(backend);
    let matching = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT COUNT(*) FROM refunds r WHERE {cond}"),
            values.clone(),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap() as u64;
    let deep = DEEP.min(matching.saturating_sub(PAGE as u64 + 1)).max(1);
    let at = db
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT r.id, r.created_at FROM refunds r WHERE {cond} \
                 ORDER BY r.created_at DESC, r.id DESC LIMIT 1 OFFSET {}",
                deep - 1
            ),
            values,
        ))
        .await
        .unwrap()
        .unwrap();
    let at_id: i64 = at.try_get("", "id").unwrap();
    let at_time: chrono::DateTime<chrono::Utc> = at.try_get("", "created_at").unwrap();
    let cursor = Cursor {
        key: at_time.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        id: at_id,
    }
    .encode();
    println!(
        "filter: provider {PROVIDERS:?}, status {STATUSES:?}: {matching} refunds; deep page after row {deep}"
    );

    // Correctness first: the same rows, and the same (exact) figures.
    let first_raw = raw_page(backend, None);
    let deep_raw = raw_page(backend, Some((at_time, at_id)));
    let summary_raw = raw_summary(backend);
    let v = client.post(PAGE_QUERY, json!({ "filter": filter() })).await;
    assert_eq!(ids_of_page(&v), ids_of_rows(&raw(&db, &first_raw).await));
    assert_eq!(ids_of_page(&v).len(), PAGE);
    let floor_client = start_floor(&v).await;
    let v = client
        .post(PAGE_QUERY, json!({ "filter": filter(), "after": cursor }))
        .await;
    assert_eq!(ids_of_page(&v), ids_of_rows(&raw(&db, &deep_raw).await));
    assert_eq!(ids_of_page(&v).len(), PAGE);
    check_summary(&db, &client).await;

    let summary_runs: usize = common::knob("BENCH_SUMMARY_RUNS", runs);
    println!(
        "timed runs after a warm-up: {runs} per page, {summary_runs} for the summary; ours: \
         GraphQL over HTTP, raw: the statement through the same pool"
    );
    println!("| scenario | rows | ours p50 | ours p99 | raw p50 | raw p99 | p99 ours/raw | bar |");
    println!("|---|---|---|---|---|---|---|---|");
    // The fixed cost of a GraphQL request over HTTP, beside a trivial statement.
    let one = Statement::from_string(backend, "SELECT 1");
    compare(
        "floor: `{ __typename }` vs `SELECT 1`",
        1,
        Bar::None,
        runs,
        || async {
            client.post("{ __typename }", json!({})).await;
        },
        || async {
            raw(&db, &one).await;
        },
    )
    .await;
    // The same page's shape from memory through a bare schema: what any GraphQL answer
    // of 50 such objects over HTTP costs, beside the statement that finds them.
    compare(
        "floor: the first page's 50 nodes from memory (bare async-graphql over HTTP) vs its statement",
        PAGE,
        Bar::None,
        runs,
        || async {
            floor_client.post(floor::QUERY, json!({})).await;
        },
        || async {
            raw(&db, &first_raw).await;
        },
    )
    .await;
    compare(
        "refunds, provider+status, first page",
        PAGE,
        Bar::Page,
        runs,
        || async {
            client.post(PAGE_QUERY, json!({ "filter": filter() })).await;
        },
        || async {
            raw(&db, &first_raw).await;
        },
    )
    .await;
    compare(
        &format!("refunds, provider+status, page after row {deep} (cursor)"),
        PAGE,
        Bar::Page,
        runs,
        || async {
            client
                .post(PAGE_QUERY, json!({ "filter": filter(), "after": cursor }))
                .await;
        },
        || async {
            raw(&db, &deep_raw).await;
        },
    )
    .await;
    compare(
        &format!("refundSummary by provider/status/currency over {matching} refunds"),
        raw(&db, &summary_raw).await.len(),
        Bar::Ratio,
        summary_runs,
        || async {
            client
                .post(SUMMARY_QUERY, json!({ "filter": filter() }))
                .await;
        },
        || async {
            raw(&db, &summary_raw).await;
        },
    )
    .await;
}

/// Serves the rows of our first page (`v`, as we answered it) from memory through
/// `floor`, and returns a client for it.
async fn start_floor(v: &Json) -> Client {
    let text = |j: &Json| j.as_str().unwrap().to_owned();
    let rows = v["data"]["refunds"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let n = &e["node"];
            let node = floor::Node {
                id: async_graphql::ID(text(&n["id"])),
                provider: text(&n["provider"]),
                provider_refund_id: text(&n["providerRefundId"]),
                status: text(&n["status"]),
                amount: n["amount"].as_object().map(|m| floor::Money {
                    amount: text(&m["amount"]),
                    currency: text(&m["currency"]),
                }),
                created_at: text(&n["createdAt"]).parse().unwrap(),
                order: n["order"].as_object().map(|o| floor::Order {
                    order_number: o["orderNumber"].as_str().map(str::to_owned),
                }),
            };
            (text(&e["cursor"]), node)
        })
        .collect();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/graphql", l.local_addr().unwrap());
    tokio::spawn(floor::serve(l, rows));
    Client {
        http: reqwest::Client::new(),
        url,
    }
}

/// `refundSummary` equals the counts of the raw GROUP BY and exact sums of every amount
/// (added up here in decimal).
async fn check_summary(db: &DatabaseConnection, client: &Client) {
    let backend = db.get_database_backend();
    let (cond, values) = filter_sql(backend);
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT r.provider, r.status, r.currency, r.amount FROM refunds r WHERE {cond}"
            ),
            values,
        ))
        .await
        .unwrap();
    let mut want: BTreeMap<(String, String, String), (i64, Decimal)> = BTreeMap::new();
    for r in rows {
        let amount: Decimal = match backend {
            DatabaseBackend::Postgres => r.try_get("", "amount").unwrap(),
            _ => r.try_get::<String>("", "amount").unwrap().parse().unwrap(),
        };
        let e = want
            .entry((
                r.try_get::<String>("", "provider").unwrap().to_uppercase(),
                r.try_get("", "status").unwrap(),
                r.try_get("", "currency").unwrap(),
            ))
            .or_default();
        e.0 += 1;
        e.1 += amount;
    }
    let v = client
        .post(SUMMARY_QUERY, json!({ "filter": filter() }))
        .await;
    let mut got = BTreeMap::new();
    for g in v["data"]["refundSummary"].as_array().unwrap() {
        let s = |k: &str| g[k].as_str().unwrap().to_owned();
        let total: Decimal = g["total"]["amount"].as_str().unwrap().parse().unwrap();
        got.insert(
            (s("provider"), s("status"), s("currency")),
            (g["count"].as_i64().unwrap(), total),
        );
    }
    assert_eq!(got, want, "refundSummary differs from the exact sums");
}
