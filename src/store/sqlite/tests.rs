//! Tests of [`SqliteStore`] over real database files in temporary directories: every `Store` method
//! here; group commit and concurrency in `tests/batching.rs`; the file format (migrations, fixtures,
//! newer versions, reopening, closing) in `tests/format.rs`.

mod batching;
mod format;

use serde_json::json;

use super::SqliteStore;
use crate::store::{
    Change, GlobalRoute, InvocationLog, NewEvent, Status, Store, Subscription, WebhookCommit,
};

/// A store in a fresh temporary directory (kept alive by the returned guard).
pub(super) fn temp_store() -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("store.sqlite")).unwrap();
    (dir, store)
}

pub(super) fn subscription(id: &str) -> Subscription {
    Subscription {
        id: id.into(),
        connector: "github".into(),
        event: "issues".into(),
        parameters: json!({"repo": "acme/app"}),
        credentials: json!({"token": "secret"}),
        connector_parameters: json!({"region": "eu"}),
        state: json!({"hookId": 7}),
        status: Status::Active,
        webhook_uri: format!("https://hooks.example.com/webhooks/{id}"),
        next_refresh_at: Some(1_000),
        last_error: None,
        refresh_failures: 0,
        global: None,
        recreate_failures: 0,
        created_at: 1,
        updated_at: 1,
    }
}

pub(super) fn event(subscription_id: &str, n: i64) -> NewEvent {
    NewEvent {
        subscription_id: subscription_id.into(),
        connector: "github".into(),
        event: "issues".into(),
        kind: Some("created".into()),
        body: json!({"id": n}),
        received_at: 100 + n,
    }
}

pub(super) fn log(subscription_id: &str, method: &str) -> InvocationLog {
    InvocationLog {
        subscription_id: subscription_id.into(),
        method: method.into(),
        started_at: 50,
        duration_micros: 1234,
        outcome: "ok".into(),
        console: json!([{"level": "log", "message": "hello"}]),
        error: None,
    }
}

pub(super) fn commit(subscription_id: &str, events: i64) -> WebhookCommit {
    WebhookCommit {
        subscription_id: subscription_id.into(),
        events: (0..events).map(|n| event(subscription_id, n)).collect(),
        state: None,
        log: log(subscription_id, "handle"),
    }
}

#[tokio::test]
async fn inserted_subscription_reads_back_whole() {
    let (_dir, store) = temp_store();
    let mut stored = subscription("s1");
    stored.last_error = Some("subscribe failed".into());
    stored.next_refresh_at = None;
    stored.refresh_failures = 3;
    store.insert_subscription(stored.clone()).await.unwrap();
    assert_eq!(store.subscription("s1").await.unwrap(), Some(stored));
    assert_eq!(store.subscription("nope").await.unwrap(), None);
}

#[tokio::test]
async fn duplicate_subscription_is_refused_naming_it() {
    let (_dir, store) = temp_store();
    store.insert_subscription(subscription("s1")).await.unwrap();
    let error = store
        .insert_subscription(subscription("s1"))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("s1"), "{error}");
}

#[tokio::test]
async fn subscriptions_page_by_id() {
    let (_dir, store) = temp_store();
    for id in ["c", "a", "b"] {
        store.insert_subscription(subscription(id)).await.unwrap();
    }
    let ids = |page: Vec<Subscription>| page.into_iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(ids(store.subscriptions(None, 2).await.unwrap()), ["a", "b"]);
    assert_eq!(
        ids(store.subscriptions(Some("b"), 10).await.unwrap()),
        ["c"]
    );
    assert_eq!(
        ids(store.subscriptions(Some("c"), 10).await.unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(store.subscriptions(None, usize::MAX).await.unwrap()),
        ["a", "b", "c"]
    );
}

#[tokio::test]
async fn update_applies_only_the_given_fields_and_bumps_updated_at() {
    let (_dir, store) = temp_store();
    store.insert_subscription(subscription("s1")).await.unwrap();
    let change = Change {
        state: Some(json!({"hookId": 8})),
        next_refresh_at: Some(None),
        last_error: Some(Some("refresh failed".into())),
        refresh_failures: Some(2),
        ..Change::default()
    };
    store.update_subscription("s1", change).await.unwrap();
    let updated = store.subscription("s1").await.unwrap().unwrap();
    let mut expected = subscription("s1");
    expected.state = json!({"hookId": 8});
    expected.next_refresh_at = None;
    expected.last_error = Some("refresh failed".into());
    expected.refresh_failures = 2;
    expected.updated_at = updated.updated_at;
    assert_eq!(updated, expected);
    assert!(
        updated.updated_at > 1_600_000_000_000,
        "updated_at is now: {}",
        updated.updated_at
    );
}

#[tokio::test]
async fn update_changes_status_and_clears_last_error() {
    let (_dir, store) = temp_store();
    let mut failed = subscription("s1");
    failed.last_error = Some("boom".into());
    store.insert_subscription(failed).await.unwrap();
    let change = Change {
        status: Some(Status::Deleted),
        last_error: Some(None),
        ..Change::default()
    };
    store.update_subscription("s1", change).await.unwrap();
    let updated = store.subscription("s1").await.unwrap().unwrap();
    assert_eq!(
        (updated.status, updated.last_error, updated.state),
        (Status::Deleted, None, json!({"hookId": 7}))
    );
    store
        .update_subscription("s1", Change::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn update_of_unknown_subscription_fails_naming_it() {
    let (_dir, store) = temp_store();
    let error = store
        .update_subscription("ghost", Change::default())
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("unknown subscription ghost"),
        "{error}"
    );
}

#[tokio::test]
async fn commit_webhook_stores_events_state_and_log() {
    let (_dir, store) = temp_store();
    store.insert_subscription(subscription("s1")).await.unwrap();
    let mut webhook = commit("s1", 3);
    webhook.state = Some(json!({"cursor": "c2"}));
    webhook.events[1].kind = None;
    let ids = store.commit_webhook(webhook.clone()).await.unwrap();
    assert_eq!(ids.len(), 3);
    assert!(ids.windows(2).all(|pair| pair[0] < pair[1]), "{ids:?}");
    let stored = store.events_after(0, 10).await.unwrap();
    assert_eq!(stored.iter().map(|e| e.id).collect::<Vec<_>>(), ids);
    assert_eq!(
        stored.into_iter().map(|e| e.event).collect::<Vec<_>>(),
        webhook.events
    );
    assert_eq!(
        store.subscription("s1").await.unwrap().unwrap().state,
        json!({"cursor": "c2"})
    );
    assert_eq!(store.logs("s1", 10).await.unwrap(), [webhook.log]);
}

#[tokio::test]
async fn commit_webhook_without_state_keeps_the_state() {
    let (_dir, store) = temp_store();
    store.insert_subscription(subscription("s1")).await.unwrap();
    assert_eq!(
        store.commit_webhook(commit("s1", 0)).await.unwrap(),
        Vec::<i64>::new()
    );
    let stored = store.subscription("s1").await.unwrap().unwrap();
    assert_eq!((stored.state, stored.updated_at), (json!({"hookId": 7}), 1));
    assert_eq!(store.logs("s1", 10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn commit_webhook_of_unknown_subscription_stores_nothing() {
    let (_dir, store) = temp_store();
    let error = store.commit_webhook(commit("ghost", 2)).await.unwrap_err();
    assert!(
        error.to_string().contains("unknown subscription ghost"),
        "{error}"
    );
    assert_eq!(store.events_after(0, 10).await.unwrap(), []);
    assert_eq!(store.logs("ghost", 10).await.unwrap(), []);
}

#[tokio::test]
async fn logs_are_newest_first_per_subscription() {
    let (_dir, store) = temp_store();
    for id in ["s1", "s2"] {
        store.insert_subscription(subscription(id)).await.unwrap();
    }
    let mut failed = log("s1", "refresh");
    failed.outcome = "exception".into();
    failed.error = Some(json!({"message": "boom", "stack": "at refresh.js:3"}));
    for entry in [
        log("s1", "subscribe"),
        log("s2", "subscribe"),
        log("s1", "handle"),
        failed.clone(),
    ] {
        store.append_log(entry).await.unwrap();
    }
    let methods = |logs: Vec<InvocationLog>| logs.into_iter().map(|l| l.method).collect::<Vec<_>>();
    assert_eq!(
        methods(store.logs("s1", 10).await.unwrap()),
        ["refresh", "handle", "subscribe"]
    );
    assert_eq!(store.logs("s1", 1).await.unwrap(), [failed]);
    assert_eq!(methods(store.logs("s2", 10).await.unwrap()), ["subscribe"]);
    assert!(
        store
            .append_log(log("ghost", "handle"))
            .await
            .unwrap_err()
            .to_string()
            .contains("ghost")
    );
}

#[tokio::test]
async fn events_after_pages_by_cursor() {
    let (_dir, store) = temp_store();
    store.insert_subscription(subscription("s1")).await.unwrap();
    let mut ids = store.commit_webhook(commit("s1", 3)).await.unwrap();
    ids.extend(store.commit_webhook(commit("s1", 2)).await.unwrap());
    let page = |events: Vec<crate::store::StoredEvent>| {
        events.into_iter().map(|e| e.id).collect::<Vec<_>>()
    };
    assert_eq!(page(store.events_after(0, 2).await.unwrap()), ids[..2]);
    assert_eq!(
        page(store.events_after(ids[1], 10).await.unwrap()),
        ids[2..]
    );
    assert_eq!(
        page(store.events_after(ids[4], 10).await.unwrap()),
        Vec::<i64>::new()
    );
}

#[tokio::test]
async fn due_refreshes_are_active_and_due_earliest_first() {
    let (_dir, store) = temp_store();
    assert_eq!(store.next_refresh_at().await.unwrap(), None);
    let cases = [
        ("late", Status::Active, Some(300)),
        ("early", Status::Active, Some(100)),
        ("future", Status::Active, Some(900)),
        ("never", Status::Active, None),
        ("paused", Status::Failed, Some(50)),
        ("gone", Status::Deleted, Some(60)),
    ];
    for (id, status, next_refresh_at) in cases {
        store
            .insert_subscription(Subscription {
                status,
                next_refresh_at,
                ..subscription(id)
            })
            .await
            .unwrap();
    }
    let ids = |due: Vec<Subscription>| due.into_iter().map(|s| s.id).collect::<Vec<_>>();
    assert_eq!(
        ids(store.due_refreshes(300, 10).await.unwrap()),
        ["early", "late"]
    );
    assert_eq!(ids(store.due_refreshes(300, 1).await.unwrap()), ["early"]);
    assert_eq!(
        ids(store.due_refreshes(99, 10).await.unwrap()),
        Vec::<String>::new()
    );
    assert_eq!(store.next_refresh_at().await.unwrap(), Some(100));
}

#[tokio::test]
async fn in_memory_store_reads_its_writes() {
    let store = SqliteStore::open_in_memory().unwrap();
    store.insert_subscription(subscription("s1")).await.unwrap();
    let ids = store.commit_webhook(commit("s1", 2)).await.unwrap();
    assert_eq!(store.events_after(0, 10).await.unwrap().len(), ids.len());
    assert_eq!(
        store.subscription("s1").await.unwrap(),
        Some(subscription("s1"))
    );
}

#[tokio::test]
async fn global_routes_select_active_subscriptions_by_exact_selector() {
    let (_dir, store) = temp_store();
    let routed = |id: &str, connector: &str, key: &str, selector: &str, status| Subscription {
        connector: connector.into(),
        status,
        global: Some(GlobalRoute {
            key: key.into(),
            selector: selector.into(),
        }),
        ..subscription(id)
    };
    for s in [
        routed("a", "slack", "events", "team:T1", Status::Active),
        routed("b", "slack", "events", "team:T2", Status::Active),
        routed("c", "slack", "events", "team:T1", Status::Active),
        routed("d", "slack", "events", "team:T1", Status::Deleted),
        routed("e", "slack", "other", "team:T1", Status::Active),
        routed("f", "relay", "events", "team:T1", Status::Active),
        routed("g", "slack", "events", "team:t1", Status::Active),
        subscription("h"),
    ] {
        store.insert_subscription(s).await.unwrap();
    }
    let ids = |found: Vec<Subscription>| found.into_iter().map(|s| s.id).collect::<Vec<_>>();
    let found = store
        .subscriptions_for_selector("slack", "events", "team:T1")
        .await
        .unwrap();
    assert_eq!(
        found[0].global,
        routed("a", "slack", "events", "team:T1", Status::Active).global
    );
    assert_eq!(ids(found), ["a", "c"]);
    assert!(
        store
            .subscriptions_for_selector("slack", "events", "team:T9")
            .await
            .unwrap()
            .is_empty()
    );
    // A route set by a change, as activation does.
    let change = Change {
        global: Some(GlobalRoute {
            key: "events".into(),
            selector: "team:T9".into(),
        }),
        webhook_uri: Some("https://hooks.example.com/global-webhooks/slack/events".into()),
        ..Change::default()
    };
    store.update_subscription("h", change).await.unwrap();
    let h = store.subscription("h").await.unwrap().unwrap();
    assert_eq!(
        h.webhook_uri,
        "https://hooks.example.com/global-webhooks/slack/events"
    );
    let found = store
        .subscriptions_for_selector("github", "events", "team:T9")
        .await
        .unwrap();
    assert_eq!(ids(found), ["h"]);
}

#[tokio::test]
async fn commit_events_stores_events_of_several_subscriptions_or_none() {
    let (_dir, store) = temp_store();
    for id in ["a", "b"] {
        store.insert_subscription(subscription(id)).await.unwrap();
    }
    let ids = store
        .commit_events(vec![event("a", 1), event("b", 2)])
        .await
        .unwrap();
    assert_eq!(ids, [1, 2]);
    let unknown = store
        .commit_events(vec![event("a", 3), event("nope", 4)])
        .await;
    assert!(
        unknown.is_err(),
        "an unknown subscription fails the whole commit"
    );
    let stored = store.events_after(0, 10).await.unwrap();
    assert_eq!(
        stored.iter().map(|e| e.event.clone()).collect::<Vec<_>>(),
        [event("a", 1), event("b", 2)]
    );
}

#[tokio::test]
async fn status_counts_count_each_status() {
    let (_dir, store) = temp_store();
    for (id, status) in [
        ("a", Status::Active),
        ("b", Status::Expired),
        ("c", Status::Active),
    ] {
        store
            .insert_subscription(Subscription {
                status,
                ..subscription(id)
            })
            .await
            .unwrap();
    }
    assert_eq!(
        store.status_counts().await.unwrap(),
        [(Status::Active, 2), (Status::Expired, 1)]
    );
}

#[tokio::test]
async fn pruning_deletes_the_oldest_log_entries_in_chunks() {
    let (_dir, store) = temp_store();
    for id in ["s1", "s2"] {
        store.insert_subscription(subscription(id)).await.unwrap();
    }
    let at = |id: &str, started_at: i64| InvocationLog {
        started_at,
        ..log(id, "handle")
    };
    for started_at in 1..=5 {
        store.append_log(at("s1", started_at * 10)).await.unwrap();
        store
            .append_log(at("s2", started_at * 10 + 1))
            .await
            .unwrap();
    }
    let times =
        |logs: Vec<InvocationLog>| logs.into_iter().map(|l| l.started_at).collect::<Vec<_>>();
    // Entries started before 32: six of them, three to a chunk.
    assert_eq!(store.prune_logs(32, 3).await.unwrap(), 3);
    assert_eq!(store.prune_logs(32, 3).await.unwrap(), 3);
    assert_eq!(store.prune_logs(32, 3).await.unwrap(), 0);
    assert_eq!(times(store.logs("s1", 10).await.unwrap()), [50, 40]);
    assert_eq!(times(store.logs("s2", 10).await.unwrap()), [51, 41]);
    assert_eq!(store.prune_logs(1_000, 100).await.unwrap(), 4);
    assert!(store.logs("s1", 10).await.unwrap().is_empty());
    assert_eq!(store.subscriptions(None, 10).await.unwrap().len(), 2);
}

#[tokio::test]
async fn pruning_deletes_the_oldest_events_up_to_the_delivered_one_and_ids_go_on() {
    let (_dir, store) = temp_store();
    store.insert_subscription(subscription("s1")).await.unwrap();
    // Received at 101..=106.
    let ids = store
        .commit_events((1..=6).map(|n| event("s1", n)).collect())
        .await
        .unwrap();
    let left = |events: Vec<crate::store::StoredEvent>| {
        events.into_iter().map(|e| e.id).collect::<Vec<_>>()
    };
    // Received before 105: four, two to a chunk, but push delivery has only delivered three.
    assert_eq!(store.prune_events(105, Some(ids[2]), 2).await.unwrap(), 2);
    assert_eq!(store.prune_events(105, Some(ids[2]), 2).await.unwrap(), 1);
    assert_eq!(store.prune_events(105, Some(ids[2]), 2).await.unwrap(), 0);
    assert_eq!(left(store.events_after(0, 10).await.unwrap()), &ids[3..]);
    // Without push delivery only the age counts.
    assert_eq!(store.prune_events(1_000, None, 100).await.unwrap(), 3);
    assert!(store.events_after(0, 10).await.unwrap().is_empty());
    // An emptied table does not hand out an id again: cursors stay valid.
    let next = store.commit_events(vec![event("s1", 7)]).await.unwrap();
    assert!(next[0] > ids[5], "{next:?} after {ids:?}");
    assert_eq!(left(store.events_after(ids[5], 10).await.unwrap()), next);
}

/// Commits `pages` pages' worth of events (about one 4 KiB page each) and returns the database
/// file's size before and after.
async fn write_pages(store: &SqliteStore, file: &std::path::Path, pages: i64) -> (u64, u64) {
    store.insert_subscription(subscription("s1")).await.unwrap();
    let size = || std::fs::metadata(file).unwrap().len();
    let before = size();
    for n in 0..pages {
        let mut big = event("s1", n);
        big.body = json!({"text": "x".repeat(3_500)});
        store.commit_events(vec![big]).await.unwrap();
    }
    (before, size())
}

#[tokio::test]
async fn the_checkpointer_thread_copies_the_wal_into_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("store.sqlite");
    let thresholds = super::Thresholds {
        signal: 16,
        backstop: i32::MAX,
    };
    let store = SqliteStore::open_with(&file, thresholds).unwrap();
    let (before, _) = write_pages(&store, &file, 64).await;
    // SQLite's own automatic checkpoint would wait for 1 000 pages.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let checkpoints = || {
        super::writer::lock(&store.checkpointer)
            .as_ref()
            .unwrap()
            .checkpoints()
    };
    while checkpoints() == 0 || std::fs::metadata(&file).unwrap().len() < before + 32 * 4096 {
        assert!(
            std::time::Instant::now() < deadline,
            "no checkpoint: {} checkpoints, file {} bytes (was {before})",
            checkpoints(),
            std::fs::metadata(&file).unwrap().len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(store.events_after(0, 100).await.unwrap().len(), 64);
}

#[tokio::test]
async fn a_writer_whose_checkpointer_is_behind_checkpoints_itself() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("store.sqlite");
    let thresholds = super::Thresholds {
        signal: i32::MAX,
        backstop: 16,
    };
    let store = SqliteStore::open_with(&file, thresholds).unwrap();
    let (before, after) = write_pages(&store, &file, 64).await;
    // Done inside the commits, before they returned.
    assert!(
        after >= before + 32 * 4096,
        "file {after} bytes (was {before})"
    );
    let checkpointer = super::writer::lock(&store.checkpointer);
    assert_eq!(checkpointer.as_ref().unwrap().checkpoints(), 0);
}

#[tokio::test]
async fn a_database_in_use_is_refused_until_its_store_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("store.sqlite");
    let store = SqliteStore::open(&file).unwrap();
    let error = SqliteStore::open(&file).err().expect("opened twice");
    assert!(
        error.to_string().contains("in use by another process")
            && error.to_string().contains("store.sqlite.lock"),
        "{error}"
    );
    store.close().await;
    drop(store);
    SqliteStore::open(&file).unwrap();
}
