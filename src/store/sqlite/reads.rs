//! The read queries, each a plain function of a connection so that the read pool runs them on a
//! blocking thread. Each one is a single statement, so it reads one committed snapshot.

use rusqlite::{Connection, OptionalExtension, Params, Row, params};

use super::rows::{self, EVENT_COLUMNS, LOG_COLUMNS, SUBSCRIPTION_COLUMNS};
use crate::store::{
    InvocationLog, Millis, Status, StoreError, StoreResult, StoredEvent, Subscription,
};

pub(super) fn subscription(conn: &Connection, id: &str) -> StoreResult<Option<Subscription>> {
    let sql = format!("SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE id = ?1");
    let run = || {
        conn.prepare_cached(&sql)?
            .query_row([id], rows::subscription)
            .optional()
    };
    run().map_err(|e| StoreError(format!("read subscription {id}: {e}")))
}

pub(super) fn subscriptions(
    conn: &Connection,
    after: Option<&str>,
    limit: usize,
) -> StoreResult<Vec<Subscription>> {
    let sql = format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE ?1 IS NULL OR id > ?1 ORDER BY id LIMIT ?2"
    );
    all(
        conn,
        &sql,
        params![after, rows::limit(limit)],
        rows::subscription,
    )
    .map_err(|e| StoreError(format!("list subscriptions: {e}")))
}

pub(super) fn logs(
    conn: &Connection,
    subscription_id: &str,
    limit: usize,
) -> StoreResult<Vec<InvocationLog>> {
    let sql = format!(
        "SELECT {LOG_COLUMNS} FROM invocations WHERE subscription_id = ?1 ORDER BY id DESC LIMIT ?2"
    );
    all(
        conn,
        &sql,
        params![subscription_id, rows::limit(limit)],
        rows::log,
    )
    .map_err(|e| StoreError(format!("read logs of subscription {subscription_id}: {e}")))
}

pub(super) fn events_after(
    conn: &Connection,
    cursor: i64,
    limit: usize,
) -> StoreResult<Vec<StoredEvent>> {
    let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE id > ?1 ORDER BY id LIMIT ?2");
    all(conn, &sql, params![cursor, rows::limit(limit)], rows::event)
        .map_err(|e| StoreError(format!("read events after {cursor}: {e}")))
}

pub(super) fn due_refreshes(
    conn: &Connection,
    now: Millis,
    limit: usize,
) -> StoreResult<Vec<Subscription>> {
    let sql = format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions \
         WHERE status = ?1 AND next_refresh_at <= ?2 ORDER BY next_refresh_at, id LIMIT ?3"
    );
    let values = params![Status::Active.as_str(), now, rows::limit(limit)];
    all(conn, &sql, values, rows::subscription)
        .map_err(|e| StoreError(format!("read due refreshes: {e}")))
}

pub(super) fn subscriptions_for_selector(
    conn: &Connection,
    connector: &str,
    key: &str,
    selector: &str,
) -> StoreResult<Vec<Subscription>> {
    let sql = format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE connector = ?1 \
         AND global_webhook_key = ?2 AND global_webhook_selector = ?3 AND status = ?4 ORDER BY id"
    );
    let values = params![connector, key, selector, Status::Active.as_str()];
    all(conn, &sql, values, rows::subscription)
        .map_err(|e| StoreError(format!("read subscriptions of selector {selector:?}: {e}")))
}

pub(super) fn subscriptions_with_status(
    conn: &Connection,
    status: Status,
    limit: usize,
) -> StoreResult<Vec<Subscription>> {
    let sql = format!(
        "SELECT {SUBSCRIPTION_COLUMNS} FROM subscriptions WHERE status = ?1 ORDER BY id LIMIT ?2"
    );
    all(
        conn,
        &sql,
        params![status.as_str(), rows::limit(limit)],
        rows::subscription,
    )
    .map_err(|e| StoreError(format!("read {} subscriptions: {e}", status.as_str())))
}

pub(super) fn status_counts(conn: &Connection) -> StoreResult<Vec<(Status, u64)>> {
    let sql = "SELECT status, COUNT(*) FROM subscriptions GROUP BY status ORDER BY status";
    let decode = |row: &Row<'_>| {
        let status: String = row.get(0)?;
        Ok((status, row.get::<_, i64>(1)?))
    };
    let counts =
        all(conn, sql, [], decode).map_err(|e| StoreError(format!("count subscriptions: {e}")))?;
    Ok(counts
        .into_iter()
        .filter_map(|(status, n)| Some((Status::parse(&status)?, u64::try_from(n).ok()?)))
        .collect())
}

pub(super) fn cursor(conn: &Connection, name: &str) -> StoreResult<Option<i64>> {
    use rusqlite::OptionalExtension;
    conn.query_row("SELECT value FROM cursors WHERE name = ?1", [name], |row| {
        row.get(0)
    })
    .optional()
    .map_err(|e| StoreError(format!("read cursor {name}: {e}")))
}

pub(super) fn next_refresh_at(conn: &Connection) -> StoreResult<Option<Millis>> {
    let sql = "SELECT MIN(next_refresh_at) FROM subscriptions WHERE status = ?1";
    let run = || {
        conn.prepare_cached(sql)?
            .query_row([Status::Active.as_str()], |row| row.get(0))
    };
    run().map_err(|e| StoreError(format!("read next refresh time: {e}")))
}

/// Every row `sql` selects, decoded by `decode`.
fn all<T>(
    conn: &Connection,
    sql: &str,
    values: impl Params,
    decode: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Vec<T>> {
    let mut statement = conn.prepare_cached(sql)?;
    let found = statement.query_map(values, decode)?;
    found.collect()
}
