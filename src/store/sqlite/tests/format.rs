//! The file: created with its directory, WAL, the current schema; everything survives a reopen; an
//! old file (the version-1 fixture) loads; a newer one is refused; a closed store fails cleanly.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use serde_json::json;

use super::super::schema::{self, CURRENT};
use super::{commit, log, subscription, temp_store};
use crate::store::{
    Change, GlobalRoute, InvocationLog, NewEvent, SqliteStore, Status, Store, StoredEvent,
    Subscription,
};

fn fixture(version: u32) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/fixtures/store-v{version}.sqlite"))
}

fn user_version(path: &Path) -> u32 {
    schema::version(&Connection::open(path).unwrap()).unwrap()
}

#[tokio::test]
async fn open_creates_the_directory_and_a_wal_file_at_the_current_version() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/nested/store.sqlite");
    let store = SqliteStore::open(&path).unwrap();
    let settings = |conn: &Connection| {
        let pragma = |name| conn.pragma_query_value(None, name, |row| row.get::<_, i64>(0));
        Ok((
            pragma("synchronous").unwrap(),
            pragma("foreign_keys").unwrap(),
        ))
    };
    let full_with_foreign_keys = (2, 1);
    assert_eq!(
        store.writer.write(None, settings).await.unwrap(),
        full_with_foreign_keys
    );
    assert_eq!(
        store.readers.read(settings).await.unwrap(),
        full_with_foreign_keys
    );
    drop(store);
    let conn = Connection::open(&path).unwrap();
    let mode: String = conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .unwrap();
    assert_eq!(
        (schema::version(&conn).unwrap(), mode.as_str()),
        (CURRENT, "wal")
    );
}

#[tokio::test]
async fn reopening_after_drop_keeps_everything() {
    let (dir, store) = temp_store();
    store.insert_subscription(subscription("s1")).await.unwrap();
    let change = Change {
        status: Some(Status::Expired),
        ..Change::default()
    };
    store.update_subscription("s1", change).await.unwrap();
    let ids = store.commit_webhook(commit("s1", 2)).await.unwrap();
    store.append_log(log("s1", "refresh")).await.unwrap();
    let before = (
        store.subscription("s1").await.unwrap(),
        store.events_after(0, 10).await.unwrap(),
    );
    drop(store);
    let store = SqliteStore::open(&dir.path().join("store.sqlite")).unwrap();
    let after = (
        store.subscription("s1").await.unwrap(),
        store.events_after(0, 10).await.unwrap(),
    );
    assert_eq!(after, before);
    assert_eq!(after.0.unwrap().status, Status::Expired);
    assert_eq!(store.logs("s1", 10).await.unwrap().len(), 2);
    let next = store.commit_webhook(commit("s1", 1)).await.unwrap();
    assert!(
        next[0] > ids[1],
        "ids continue after reopening: {next:?} after {ids:?}"
    );
}

#[test]
fn a_file_from_a_newer_build_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    drop(SqliteStore::open(&path).unwrap());
    Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", CURRENT + 1)
        .unwrap();
    let error = SqliteStore::open(&path)
        .err()
        .expect("a newer schema must not open")
        .to_string();
    assert!(error.contains("newer than this build"), "{error}");
    assert!(error.contains(&path.display().to_string()), "{error}");
    assert_eq!(user_version(&path), CURRENT + 1);
}

#[tokio::test]
async fn the_version_1_fixture_loads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    std::fs::copy(fixture(1), &path).unwrap();
    assert_eq!(user_version(&path), 1);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.subscriptions(None, 10).await.unwrap(),
        [v1_subscription_1(), v1_subscription_2()]
    );
    assert_eq!(store.events_after(0, 10).await.unwrap(), v1_events());
    assert_eq!(store.logs("sub-2", 10).await.unwrap(), [v1_log()]);
    assert_eq!(store.logs("sub-1", 10).await.unwrap().len(), 1);
    assert_eq!(
        store.due_refreshes(1_700_000_060_000, 10).await.unwrap(),
        [v1_subscription_1()]
    );
    assert_eq!(store.commit_webhook(commit("sub-1", 1)).await.unwrap(), [3]);
    drop(store);
    assert_eq!(user_version(&path), CURRENT);
}

#[tokio::test]
async fn the_version_2_fixture_loads_and_takes_global_routes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    std::fs::copy(fixture(2), &path).unwrap();
    assert_eq!(user_version(&path), 2);
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(
        store.subscriptions(None, 10).await.unwrap(),
        [v1_subscription_1(), v1_subscription_2()]
    );
    assert_eq!(store.events_after(0, 10).await.unwrap(), v1_events());
    assert_eq!(store.cursor("push").await.unwrap(), Some(2));
    let route = GlobalRoute {
        key: "events".into(),
        selector: "team:T1".into(),
    };
    let change = Change {
        global: Some(route.clone()),
        recreate_failures: Some(3),
        ..Change::default()
    };
    store.update_subscription("sub-1", change).await.unwrap();
    let routed = store
        .subscriptions_for_selector("github", "events", "team:T1")
        .await
        .unwrap();
    assert_eq!(routed.len(), 1);
    assert_eq!(
        (routed[0].global.clone(), routed[0].recreate_failures),
        (Some(route), 3)
    );
    drop(store);
    assert_eq!(user_version(&path), CURRENT);
}

/// Version 4 turned the log's index ascending (new rows append to it): the newest logs still come
/// first, read from the index without sorting.
#[tokio::test]
async fn logs_read_newest_first_from_the_migrated_index() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite");
    std::fs::copy(fixture(2), &path).unwrap();
    let store = SqliteStore::open(&path).unwrap();
    for method in ["refresh", "handle"] {
        store.append_log(log("sub-2", method)).await.unwrap();
    }
    let methods: Vec<String> = store
        .logs("sub-2", 2)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.method)
        .collect();
    assert_eq!(methods, ["handle", "refresh"]);
    let (plan, descending) = store
        .readers
        .read(|conn| {
            let sql = "EXPLAIN QUERY PLAN SELECT id FROM invocations \
                WHERE subscription_id = 'sub-2' ORDER BY id DESC LIMIT 2";
            let mut statement = conn.prepare(sql).unwrap();
            let plan: Vec<String> = statement
                .query_map([], |row| row.get(3))
                .unwrap()
                .map(Result::unwrap)
                .collect();
            let descending: bool = conn
                .query_row(
                    "SELECT desc FROM pragma_index_xinfo('invocations_by_subscription') WHERE name = 'id'",
                    [],
                    |row| row.get(0),
                )
                .unwrap();
            Ok((plan.join("; "), descending))
        })
        .await
        .unwrap();
    assert!(
        plan.contains("USING COVERING INDEX invocations_by_subscription")
            || plan.contains("USING INDEX invocations_by_subscription"),
        "{plan}"
    );
    assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    assert!(!descending);
}

#[tokio::test]
async fn a_closed_store_fails_without_panicking() {
    let (_dir, store) = temp_store();
    store.insert_subscription(subscription("s1")).await.unwrap();
    store.close().await;
    let closed = |error: crate::store::StoreError| assert!(error.0.contains("closed"), "{error}");
    closed(
        store
            .insert_subscription(subscription("s2"))
            .await
            .unwrap_err(),
    );
    closed(
        store
            .update_subscription("s1", Change::default())
            .await
            .unwrap_err(),
    );
    closed(store.commit_webhook(commit("s1", 1)).await.unwrap_err());
    closed(store.append_log(log("s1", "handle")).await.unwrap_err());
    closed(store.subscription("s1").await.unwrap_err());
    closed(store.subscriptions(None, 10).await.unwrap_err());
    closed(store.logs("s1", 10).await.unwrap_err());
    closed(store.events_after(0, 10).await.unwrap_err());
    closed(store.due_refreshes(0, 10).await.unwrap_err());
    closed(store.next_refresh_at().await.unwrap_err());
    store.close().await;
}

/// The rows `generate_v1_fixture` writes, as the store reads them.
const V1_ROWS: &str = r#"
INSERT INTO subscriptions VALUES ('sub-1', 'github', 'issues', '{"repo":"acme/app"}', '{"token":"secret"}',
    '{}', '{"hookId":42}', 'active', 'https://hooks.example.com/webhooks/sub-1', 1700000060000, NULL, 0,
    1700000000000, 1700000000000);
INSERT INTO subscriptions VALUES ('sub-2', 'github', 'issues', '{}', '{}', '{"region":"eu"}', '{}', 'failed',
    'https://hooks.example.com/webhooks/sub-2', NULL, 'subscribe failed: 401', 2, 1700000000001, 1700000000002);
INSERT INTO events (subscription_id, connector, event, kind, body, received_at) VALUES
    ('sub-1', 'github', 'issues', 'created', '{"id":1,"title":"first"}', 1700000001000),
    ('sub-1', 'github', 'issues', NULL, '{"ping":true}', 1700000002000);
INSERT INTO invocations (subscription_id, method, started_at, duration_micros, outcome, console, error) VALUES
    ('sub-1', 'handle', 1700000001000, 1500, 'ok', '[{"level":"log","message":"got 1"}]', NULL),
    ('sub-2', 'subscribe', 1700000000001, 900, 'exception', '[]', '{"message":"401","stack":"at subscribe.js:4"}');
"#;

fn v1_subscription_1() -> Subscription {
    Subscription {
        id: "sub-1".into(),
        connector: "github".into(),
        event: "issues".into(),
        parameters: json!({"repo": "acme/app"}),
        credentials: json!({"token": "secret"}),
        connector_parameters: json!({}),
        state: json!({"hookId": 42}),
        status: Status::Active,
        webhook_uri: "https://hooks.example.com/webhooks/sub-1".into(),
        next_refresh_at: Some(1_700_000_060_000),
        last_error: None,
        refresh_failures: 0,
        global: None,
        recreate_failures: 0,
        created_at: 1_700_000_000_000,
        updated_at: 1_700_000_000_000,
    }
}

fn v1_subscription_2() -> Subscription {
    Subscription {
        id: "sub-2".into(),
        parameters: json!({}),
        credentials: json!({}),
        connector_parameters: json!({"region": "eu"}),
        state: json!({}),
        status: Status::Failed,
        webhook_uri: "https://hooks.example.com/webhooks/sub-2".into(),
        next_refresh_at: None,
        last_error: Some("subscribe failed: 401".into()),
        refresh_failures: 2,
        created_at: 1_700_000_000_001,
        updated_at: 1_700_000_000_002,
        ..v1_subscription_1()
    }
}

fn v1_events() -> Vec<StoredEvent> {
    let event = |kind: Option<&str>, body, received_at| NewEvent {
        subscription_id: "sub-1".into(),
        connector: "github".into(),
        event: "issues".into(),
        kind: kind.map(str::to_owned),
        body,
        received_at,
    };
    vec![
        StoredEvent {
            id: 1,
            event: event(
                Some("created"),
                json!({"id": 1, "title": "first"}),
                1_700_000_001_000,
            ),
        },
        StoredEvent {
            id: 2,
            event: event(None, json!({"ping": true}), 1_700_000_002_000),
        },
    ]
}

fn v1_log() -> InvocationLog {
    InvocationLog {
        subscription_id: "sub-2".into(),
        method: "subscribe".into(),
        started_at: 1_700_000_000_001,
        duration_micros: 900,
        outcome: "exception".into(),
        console: json!([]),
        error: Some(json!({"message": "401", "stack": "at subscribe.js:4"})),
    }
}

/// Writes `tests/fixtures/store-v1.sqlite`: the version-1 schema and [`V1_ROWS`]. Run once, by hand.
#[test]
#[ignore = "writes the committed fixture; run by hand only to recreate it"]
fn generate_v1_fixture() {
    let path = fixture(1);
    let _ = std::fs::remove_file(&path);
    let mut conn = Connection::open(&path).unwrap();
    schema::migrate_to(&mut conn, 1).unwrap();
    conn.execute_batch(V1_ROWS).unwrap();
    conn.execute_batch("VACUUM").unwrap();
}

/// Writes `tests/fixtures/store-v2.sqlite`: the version-2 schema, [`V1_ROWS`] and a push cursor.
/// Run once, by hand.
#[test]
#[ignore = "writes the committed fixture; run by hand only to recreate it"]
fn generate_v2_fixture() {
    let path = fixture(2);
    let _ = std::fs::remove_file(&path);
    let mut conn = Connection::open(&path).unwrap();
    schema::migrate_to(&mut conn, 2).unwrap();
    conn.execute_batch(V1_ROWS).unwrap();
    conn.execute_batch("INSERT INTO cursors (name, value) VALUES ('push', 2)")
        .unwrap();
    conn.execute_batch("VACUUM").unwrap();
}
