//! The hand-over and lag rules against an in-memory feed, deterministically.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicUsize, Ordering},
};

use futures::StreamExt;

use super::*;

#[derive(Debug)]
struct Row(i64);

impl FeedRow for Row {
    fn feed_id(&self) -> i64 {
        self.0
    }
}

/// A feed table: committed ids in order (with gaps, as a sequence may have).
#[derive(Clone, Default)]
struct Table(Arc<Mutex<Vec<i64>>>);

impl Table {
    fn commit(&self, id: i64, notifier: &Notifier) {
        self.0.lock().unwrap().push(id);
        notifier.notify();
    }

    /// The rows after `after` that `keep`, as the database read does.
    fn read(&self, after: i64, limit: u64, keep: fn(i64) -> bool) -> FeedPage<Row> {
        let ids = self.0.lock().unwrap();
        let upper = ids.last().copied().unwrap_or(0).max(after);
        let rows: Vec<Row> = ids
            .iter()
            .copied()
            .filter(|&id| id > after && keep(id))
            .take(limit as usize)
            .map(Row)
            .collect();
        let scanned_to = if rows.len() as u64 == limit {
            rows.last().map_or(upper, |r| r.0)
        } else {
            upper
        };
        FeedPage { rows, scanned_to }
    }
}

/// The hub over `table`; `reads` counts its reads (pages and ends).
fn start_counting(
    table: &Table,
    notifier: &Notifier,
    capacity: usize,
    reads: Arc<AtomicUsize>,
) -> (FeedHub<Row>, JoinHandle<()>) {
    let hub = FeedHub::new(capacity);
    let (t, t2, reads2) = (table.clone(), table.clone(), reads.clone());
    let task = hub.start(
        0,
        notifier,
        move |after, limit| {
            reads.fetch_add(1, Ordering::Relaxed);
            let page = t.read(after, limit, |_| true);
            async move { Ok(page) }
        },
        move || {
            reads2.fetch_add(1, Ordering::Relaxed);
            let end = t2.0.lock().unwrap().last().copied().unwrap_or(0);
            async move { Ok(end) }
        },
    );
    (hub, task)
}

fn start(table: &Table, notifier: &Notifier, capacity: usize) -> (FeedHub<Row>, JoinHandle<()>) {
    start_counting(table, notifier, capacity, Arc::default())
}

/// A subscriber from `since`, keeping ids that `keep`; counts its database reads.
fn follow(
    hub: &FeedHub<Row>,
    table: &Table,
    since: i64,
    keep: fn(i64) -> bool,
    reads: Arc<AtomicUsize>,
) -> impl Stream<Item = Result<Arc<Row>, DbErr>> + use<> {
    let t = table.clone();
    hub.follow(
        hub.join(),
        since,
        move |after| {
            reads.fetch_add(1, Ordering::Relaxed);
            let page = t.read(after, 7, keep);
            async move { Ok(page) }
        },
        move |r: &Row| keep(r.0),
    )
}

async fn take(s: impl Stream<Item = Result<Arc<Row>, DbErr>>, until: i64) -> Vec<i64> {
    let mut s = std::pin::pin!(s);
    let mut got = vec![];
    while got.last() != Some(&until) {
        let next = tokio::time::timeout(std::time::Duration::from_secs(10), s.next()).await;
        got.push(next.expect("stalled").expect("ended").unwrap().0);
    }
    got
}

async fn published(hub: &FeedHub<Row>, id: i64) {
    while hub.join().published < id {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_subscriber_that_lags_behind_the_buffer_reads_the_gap_and_misses_nothing() {
    let (table, notifier) = (Table::default(), Notifier::default());
    let (hub, task) = start(&table, &notifier, 2);
    let reads = Arc::new(AtomicUsize::new(0));
    let odd = |id: i64| id % 2 == 1;
    let s = follow(&hub, &table, 0, odd, reads.clone());
    // 100 changes published while the subscriber is not polled: far past the buffer.
    for id in (1..=100).map(|i| i * 3) {
        table.0.lock().unwrap().push(id);
    }
    notifier.notify();
    published(&hub, 300).await;
    assert_eq!(
        reads.load(Ordering::Relaxed),
        0,
        "nothing to catch up when joined"
    );
    let got = take(s, 297).await;
    let want: Vec<i64> = (1..=100).map(|i| i * 3).filter(|&id| odd(id)).collect();
    assert_eq!(got, want);
    assert!(
        reads.load(Ordering::Relaxed) > 0,
        "the gap came from the database"
    );
    // And it follows live again.
    table.commit(301, &notifier);
    let s2 = follow(&hub, &table, 297, odd, reads.clone());
    assert_eq!(take(s2, 301).await, vec![301]);
    task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribers_joining_during_commits_see_every_change_once_in_order() {
    let (table, notifier) = (Table::default(), Notifier::default());
    let (hub, task) = start(&table, &notifier, 16);
    let writer = {
        let (table, notifier) = (table.clone(), notifier.clone());
        tokio::spawn(async move {
            for id in 1..=600 {
                table.commit(id, &notifier);
                if id % 5 == 0 {
                    tokio::task::yield_now().await;
                }
            }
        })
    };
    let mut followers = vec![];
    for k in 0..40i64 {
        // Join at various points of the stream, resuming from various earlier cursors.
        tokio::time::sleep(std::time::Duration::from_micros(200)).await;
        let since = (k * 13) % 300;
        let keep: fn(i64) -> bool = if k % 2 == 0 {
            |_| true
        } else {
            |id| id % 4 != 0
        };
        let s = follow(&hub, &table, since, keep, Arc::default());
        followers.push(tokio::spawn(async move {
            let got = take(s, 599).await;
            let want: Vec<i64> = (since + 1..=599).filter(|&id| keep(id)).collect();
            assert_eq!(got, want, "since {since}");
        }));
    }
    writer.await.unwrap();
    for f in followers {
        f.await.unwrap();
    }
    task.abort();
}

#[tokio::test]
async fn an_idle_hub_reads_nothing_and_whoever_joins_it_misses_nothing() {
    let (table, notifier) = (Table::default(), Notifier::default());
    let hub_reads = Arc::new(AtomicUsize::new(0));
    let (hub, task) = start_counting(&table, &notifier, 8, hub_reads.clone());
    for id in 1..=50 {
        table.commit(id, &notifier);
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(hub_reads.load(Ordering::Relaxed), 0, "nobody listens");
    // Joins the idle hub (still at 0), resuming after 10; more commits follow.
    let s = follow(&hub, &table, 10, |_| true, Arc::default());
    for id in 51..=60 {
        table.commit(id, &notifier);
    }
    assert_eq!(take(s, 60).await, (11..=60).collect::<Vec<_>>());
    assert!(hub_reads.load(Ordering::Relaxed) > 0);
    task.abort();
}
