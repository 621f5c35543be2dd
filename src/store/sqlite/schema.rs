//! The database file's format: connection settings and the schema, versioned by `PRAGMA user_version`.
//! Migrations only ever append: `MIGRATIONS[n]` takes version `n` to `n + 1`, all pending ones run in
//! one transaction at open, and a file from a newer build is refused rather than half understood.

use rusqlite::{Connection, TransactionBehavior};

use crate::store::{StoreError, StoreResult};

/// Each entry takes the schema from version `index` to `index + 1`. Never edit a released entry:
/// `tests/fixtures/store-v<n>.sqlite` holds files made by them.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4];

/// Version 1: subscriptions, the event stream (its id is the pull cursor), the invocation log.
const V1: &str = "
CREATE TABLE subscriptions (
    id                   TEXT PRIMARY KEY NOT NULL,
    connector            TEXT NOT NULL,
    event                TEXT NOT NULL,
    parameters           TEXT NOT NULL,
    credentials          TEXT NOT NULL,
    connector_parameters TEXT NOT NULL,
    state                TEXT NOT NULL,
    status               TEXT NOT NULL,
    webhook_uri          TEXT NOT NULL,
    next_refresh_at      INTEGER,
    last_error           TEXT,
    refresh_failures     INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
);
CREATE INDEX subscriptions_due ON subscriptions (status, next_refresh_at);

CREATE TABLE events (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    connector       TEXT NOT NULL,
    event           TEXT NOT NULL,
    kind            TEXT,
    body            TEXT NOT NULL,
    received_at     INTEGER NOT NULL
);

CREATE TABLE invocations (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id),
    method          TEXT NOT NULL,
    started_at      INTEGER NOT NULL,
    duration_micros INTEGER NOT NULL,
    outcome         TEXT NOT NULL,
    console         TEXT NOT NULL,
    error           TEXT
);
CREATE INDEX invocations_by_subscription ON invocations (subscription_id, id DESC);
";

/// Version 2: named cursors (how far push delivery has got).
const V2: &str = "
CREATE TABLE cursors (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
);
";

/// Version 3: the global webhook and selector of subscriptions to `global-webhook` events, indexed
/// for routing a global webhook's events; the count of failed re-creations.
const V3: &str = "
ALTER TABLE subscriptions ADD COLUMN recreate_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE subscriptions ADD COLUMN global_webhook_key TEXT;
ALTER TABLE subscriptions ADD COLUMN global_webhook_selector TEXT;
CREATE INDEX subscriptions_by_selector
    ON subscriptions (connector, global_webhook_key, global_webhook_selector)
    WHERE global_webhook_key IS NOT NULL;
";

/// Version 4: the invocation log's index ascending. A new row has the largest id, so it goes at
/// the end of its subscription's run of the index rather than the start: the descending index
/// split a leaf at the front every few commits (7.9 → 6.5 WAL pages per commit of eight
/// webhooks). Reading the newest logs first walks it backwards.
const V4: &str = "
DROP INDEX invocations_by_subscription;
CREATE INDEX invocations_by_subscription ON invocations (subscription_id, id);
";

/// The schema version this build writes and understands.
pub(super) const CURRENT: u32 = MIGRATIONS.len() as u32;

/// How long a connection waits for another process's lock before failing with "database is locked".
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Settings every connection needs. `synchronous=FULL` in WAL mode syncs the WAL at each commit, so
/// an acknowledged write survives power loss.
pub(super) fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)
}

/// Switches the file to WAL (persistent in the file; in-memory databases keep their own journal).
pub(super) fn enable_wal(conn: &Connection) -> rusqlite::Result<()> {
    let _mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    Ok(())
}

/// Brings the schema up to [`CURRENT`], in one transaction; refuses a file newer than this build.
pub(super) fn migrate(conn: &mut Connection) -> StoreResult<()> {
    migrate_to(conn, CURRENT)
}

/// Brings the schema up to `target` (tests build old fixtures with it).
pub(super) fn migrate_to(conn: &mut Connection, target: u32) -> StoreResult<()> {
    let failed = |e: rusqlite::Error| StoreError(format!("migrate schema: {e}"));
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(failed)?;
    let found = version(&tx).map_err(failed)?;
    if found > CURRENT {
        return Err(StoreError(format!(
            "database schema version {found} is newer than this build's {CURRENT}: refusing to open it"
        )));
    }
    if found > 0 && target > found {
        // Version 4 rebuilds the invocation log's index: seconds for a log of millions of rows.
        tracing::info!(from = found, to = target, "upgrading the database schema");
    }
    for (from, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target as usize)
        .skip(found as usize)
    {
        tx.execute_batch(sql)
            .map_err(|e| StoreError(format!("migrate schema from version {from}: {e}")))?;
    }
    if target > found {
        tx.pragma_update(None, "user_version", target)
            .map_err(failed)?;
    }
    tx.commit().map_err(failed)
}

/// The file's schema version (0 for a new, empty file).
pub(super) fn version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}
