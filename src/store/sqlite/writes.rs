//! The write statements, each a plain function of a connection run by the writer thread inside its
//! batch transaction (and a savepoint of its own). They never begin or commit: the batch does.

use rusqlite::types::ToSql;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::rows::to_text;
use crate::store::{
    Change, InvocationLog, Millis, NewEvent, StoreError, StoreResult, Subscription, WebhookCommit,
};

pub(super) fn insert_subscription(conn: &Connection, s: &Subscription) -> StoreResult<()> {
    let failed = |e| StoreError(format!("insert subscription {}: {e}", s.id));
    if exists(conn, &s.id).map_err(failed)? {
        return Err(StoreError(format!(
            "insert subscription {}: it already exists",
            s.id
        )));
    }
    let sql = "INSERT INTO subscriptions (id, connector, event, parameters, credentials, \
        connector_parameters, state, status, webhook_uri, next_refresh_at, last_error, refresh_failures, \
        created_at, updated_at, global_webhook_key, global_webhook_selector, recreate_failures) \
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";
    let values = params![
        s.id,
        s.connector,
        s.event,
        to_text(&s.parameters)?,
        to_text(&s.credentials)?,
        to_text(&s.connector_parameters)?,
        to_text(&s.state)?,
        s.status.as_str(),
        s.webhook_uri,
        s.next_refresh_at,
        s.last_error,
        s.refresh_failures,
        s.created_at,
        s.updated_at,
        s.global.as_ref().map(|g| &g.key),
        s.global.as_ref().map(|g| &g.selector),
        s.recreate_failures,
    ];
    conn.prepare_cached(sql)
        .and_then(|mut statement| statement.execute(values))
        .map_err(failed)?;
    Ok(())
}

/// Applies the `Some` fields of `change` and sets `updated_at` to `now`.
pub(super) fn update_subscription(
    conn: &Connection,
    id: &str,
    change: &Change,
    now: Millis,
) -> StoreResult<()> {
    let mut assignments = assignments(change)?;
    assignments.push(("updated_at", Box::new(now)));
    let columns: Vec<String> = assignments
        .iter()
        .enumerate()
        .map(|(i, (column, _))| format!("{column} = ?{}", i + 1))
        .collect();
    let sql = format!(
        "UPDATE subscriptions SET {} WHERE id = ?{}",
        columns.join(", "),
        columns.len() + 1
    );
    let mut values: Vec<Box<dyn ToSql>> = assignments.into_iter().map(|(_, value)| value).collect();
    values.push(Box::new(id.to_owned()));
    let changed = conn
        .prepare_cached(&sql)
        .and_then(|mut statement| statement.execute(params_from_iter(values.iter())))
        .map_err(|e| StoreError(format!("update subscription {id}: {e}")))?;
    match changed {
        0 => Err(unknown(id)),
        _ => Ok(()),
    }
}

/// The columns `change` sets, with their values.
fn assignments(change: &Change) -> StoreResult<Vec<(&'static str, Box<dyn ToSql>)>> {
    let mut set: Vec<(&'static str, Box<dyn ToSql>)> = Vec::new();
    if let Some(status) = change.status {
        set.push(("status", Box::new(status.as_str())));
    }
    if let Some(state) = &change.state {
        set.push(("state", Box::new(to_text(state)?)));
    }
    if let Some(next_refresh_at) = change.next_refresh_at {
        set.push(("next_refresh_at", Box::new(next_refresh_at)));
    }
    if let Some(last_error) = &change.last_error {
        set.push(("last_error", Box::new(last_error.clone())));
    }
    if let Some(refresh_failures) = change.refresh_failures {
        set.push(("refresh_failures", Box::new(refresh_failures)));
    }
    if let Some(recreate_failures) = change.recreate_failures {
        set.push(("recreate_failures", Box::new(recreate_failures)));
    }
    if let Some(global) = &change.global {
        set.push(("global_webhook_key", Box::new(global.key.clone())));
        set.push(("global_webhook_selector", Box::new(global.selector.clone())));
    }
    if let Some(uri) = &change.webhook_uri {
        set.push(("webhook_uri", Box::new(uri.clone())));
    }
    Ok(set)
}

/// Stores a webhook's state, events and log; returns the new event ids in order.
pub(super) fn commit_webhook(
    conn: &Connection,
    commit: &WebhookCommit,
    now: Millis,
) -> StoreResult<Vec<i64>> {
    let id = &commit.subscription_id;
    let failed = |e| StoreError(format!("commit webhook of subscription {id}: {e}"));
    if !exists(conn, id).map_err(failed)? {
        return Err(unknown(id));
    }
    if let Some(state) = &commit.state {
        let sql = "UPDATE subscriptions SET state = ?1, updated_at = ?2 WHERE id = ?3";
        let values = params![to_text(state)?, now, id];
        conn.prepare_cached(sql)
            .and_then(|mut statement| statement.execute(values))
            .map_err(failed)?;
    }
    let ids = commit
        .events
        .iter()
        .map(|event| insert_event(conn, event))
        .collect::<StoreResult<Vec<i64>>>()?;
    insert_log(conn, &commit.log)?;
    Ok(ids)
}

/// Stores events of any subscriptions; returns their ids in order.
pub(super) fn commit_events(conn: &Connection, events: &[NewEvent]) -> StoreResult<Vec<i64>> {
    events
        .iter()
        .map(|event| insert_event(conn, event))
        .collect()
}

pub(super) fn set_cursor(conn: &Connection, name: &str, value: i64) -> StoreResult<()> {
    conn.execute(
        "INSERT INTO cursors (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = ?2",
        rusqlite::params![name, value],
    )
    .map(drop)
    .map_err(|e| StoreError(format!("set cursor {name}: {e}")))
}

pub(super) fn append_log(conn: &Connection, log: &InvocationLog) -> StoreResult<()> {
    let id = &log.subscription_id;
    let failed = |e| StoreError(format!("append log of subscription {id}: {e}"));
    if !exists(conn, id).map_err(failed)? {
        return Err(unknown(id));
    }
    insert_log(conn, log)
}

/// Deletes those of the `limit` oldest log entries that started before `before`.
pub(super) fn prune_logs(conn: &Connection, before: Millis, limit: usize) -> StoreResult<usize> {
    let sql = "DELETE FROM invocations WHERE id IN (SELECT id FROM invocations ORDER BY id LIMIT ?2) \
        AND started_at < ?1";
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    conn.prepare_cached(sql)
        .and_then(|mut statement| statement.execute(params![before, limit]))
        .map_err(|e| StoreError(format!("delete log entries older than {before}: {e}")))
}

/// Deletes those of the `limit` oldest events received before `before` and not past `delivered`.
pub(super) fn prune_events(
    conn: &Connection,
    before: Millis,
    delivered: Option<i64>,
    limit: usize,
) -> StoreResult<usize> {
    let sql = "DELETE FROM events WHERE id IN (SELECT id FROM events ORDER BY id LIMIT ?2) \
        AND received_at < ?1 AND (?3 IS NULL OR id <= ?3)";
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    conn.prepare_cached(sql)
        .and_then(|mut statement| statement.execute(params![before, limit, delivered]))
        .map_err(|e| StoreError(format!("delete events received before {before}: {e}")))
}

/// Appends `log` to a subscription known to exist.
fn insert_log(conn: &Connection, log: &InvocationLog) -> StoreResult<()> {
    let id = &log.subscription_id;
    let failed = |e| StoreError(format!("append log of subscription {id}: {e}"));
    let sql = "INSERT INTO invocations (subscription_id, method, started_at, duration_micros, outcome, \
        console, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
    let error = log.error.as_ref().map(to_text).transpose()?;
    let values = params![
        id,
        log.method,
        log.started_at,
        log.duration_micros,
        log.outcome,
        to_text(&log.console)?,
        error
    ];
    conn.prepare_cached(sql)
        .and_then(|mut statement| statement.execute(values))
        .map_err(failed)?;
    Ok(())
}

fn insert_event(conn: &Connection, event: &NewEvent) -> StoreResult<i64> {
    // Not `RETURNING id`: SQLite gathers returned rows in a table of their own, which took a third
    // of the insert's time; the connection's last rowid is this row's.
    let sql = "INSERT INTO events (subscription_id, connector, event, kind, body, received_at) \
        VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    let values = params![
        event.subscription_id,
        event.connector,
        event.event,
        event.kind,
        to_text(&event.body)?,
        event.received_at
    ];
    conn.prepare_cached(sql)
        .and_then(|mut statement| statement.execute(values))
        .map(|_| conn.last_insert_rowid())
        .map_err(|e| {
            StoreError(format!(
                "insert event of subscription {}: {e}",
                event.subscription_id
            ))
        })
}

fn exists(conn: &Connection, id: &str) -> rusqlite::Result<bool> {
    let sql = "SELECT 1 FROM subscriptions WHERE id = ?1";
    let found: Option<i64> = conn
        .prepare_cached(sql)?
        .query_row([id], |row| row.get(0))
        .optional()?;
    Ok(found.is_some())
}

fn unknown(id: &str) -> StoreError {
    StoreError(format!("unknown subscription {id}"))
}
