//! Group commit under concurrency: writes share transactions, a failing write spares its batch,
//! and event ids only ever grow, so a cursor reader sees every event exactly once.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Waker};

use super::{commit, subscription, temp_store};
use crate::store::{Store, StoreResult};

/// Polls `future` once, so that a write is queued before the test goes on.
fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_webhooks_share_commits_and_get_increasing_ids() {
    let (_dir, store) = temp_store();
    let store = Arc::new(store);
    store.insert_subscription(subscription("s1")).await.unwrap();
    let before = store.commits();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let store = store.clone();
        tasks.spawn(async move { store.commit_webhook(commit("s1", 2)).await });
    }
    let mut all = BTreeSet::new();
    for ids in tasks.join_all().await {
        let ids = ids.unwrap();
        assert!(ids.len() == 2 && ids[0] < ids[1], "{ids:?}");
        all.extend(ids);
    }
    assert_eq!(all.len(), 400, "every event got an id of its own");
    let commits = store.commits() - before;
    assert!(commits < 200, "200 webhooks took {commits} transactions");
    let stored: Vec<i64> = store
        .events_after(0, usize::MAX)
        .await
        .unwrap()
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(stored, all.into_iter().collect::<Vec<_>>());
}

#[tokio::test]
async fn a_failing_write_spares_the_rest_of_its_batch() {
    let (_dir, store) = temp_store();
    store.insert_subscription(subscription("s1")).await.unwrap();
    let before = store.commits();
    // Hold the writer inside a batch so that everything below queues up for the next one.
    let (started, running) = tokio::sync::oneshot::channel();
    let (release, gate) = std::sync::mpsc::channel::<()>();
    let mut blocker = Box::pin(store.writer.write(None, move |_| {
        let _ = started.send(());
        let _ = gate.recv();
        Ok(())
    }));
    assert!(poll_once(blocker.as_mut()).is_pending());
    running.await.unwrap();
    let mut good: Vec<_> = (0..10)
        .map(|_| Box::pin(store.commit_webhook(commit("s1", 2))))
        .collect();
    let mut ghost = Box::pin(store.commit_webhook(commit("ghost", 2)));
    let mut duplicate = Box::pin(store.insert_subscription(subscription("s1")));
    good.iter_mut()
        .for_each(|future| assert!(poll_once(future.as_mut()).is_pending()));
    assert!(poll_once(ghost.as_mut()).is_pending() && poll_once(duplicate.as_mut()).is_pending());
    release.send(()).unwrap();
    blocker.await.unwrap();
    let mut ids = Vec::new();
    for future in good {
        ids.extend(future.await.unwrap());
    }
    assert!(
        ghost
            .await
            .unwrap_err()
            .to_string()
            .contains("unknown subscription ghost")
    );
    assert!(
        duplicate
            .await
            .unwrap_err()
            .to_string()
            .contains("already exists")
    );
    assert_eq!(
        store.commits() - before,
        2,
        "the blocker's batch, then one batch of twelve writes"
    );
    assert_eq!(
        store.events_after(0, usize::MAX).await.unwrap().len(),
        ids.len()
    );
    assert_eq!(store.logs("s1", usize::MAX).await.unwrap().len(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cursor_reader_sees_every_event_exactly_once() {
    let (_dir, store) = temp_store();
    let store = Arc::new(store);
    store.insert_subscription(subscription("s1")).await.unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let reader = tokio::spawn(follow(store.clone(), done.clone()));
    let mut writers = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let store = store.clone();
        writers.spawn(async move { sequential_commits(&*store, 10).await });
    }
    let mut written = BTreeSet::new();
    for ids in writers.join_all().await {
        let ids = ids.unwrap();
        assert!(
            ids.windows(2).all(|pair| pair[0] < pair[1]),
            "one writer's ids grow: {ids:?}"
        );
        written.extend(ids);
    }
    done.store(true, Ordering::SeqCst);
    let seen = reader.await.unwrap();
    assert_eq!(written.len(), 600);
    assert_eq!(seen, written.into_iter().collect::<Vec<_>>());
}

/// Commits `count` webhooks one after the other; their event ids in order.
async fn sequential_commits(store: &impl Store, count: usize) -> StoreResult<Vec<i64>> {
    let mut ids = Vec::new();
    for _ in 0..count {
        ids.extend(store.commit_webhook(commit("s1", 3)).await?);
    }
    Ok(ids)
}

/// Pulls events by cursor until `done` and caught up; every id seen, checking they only grow.
async fn follow(store: Arc<impl Store>, done: Arc<AtomicBool>) -> Vec<i64> {
    let (mut cursor, mut seen) = (0, Vec::new());
    loop {
        let finished = done.load(Ordering::SeqCst);
        let page = store.events_after(cursor, 50).await.unwrap();
        if page.is_empty() && finished {
            return seen;
        }
        for event in page {
            assert!(event.id > cursor, "id {} after cursor {cursor}", event.id);
            cursor = event.id;
            seen.push(event.id);
        }
        tokio::task::yield_now().await;
    }
}
