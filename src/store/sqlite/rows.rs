//! Rows to the store's types and back: JSON values live in TEXT columns, statuses as their lowercase
//! names. A row that does not decode (bad JSON, unknown status) is an error naming its column, never
//! a default.

use rusqlite::Row;
use rusqlite::types::Type;
use serde_json::Value;

use crate::store::{
    GlobalRoute, InvocationLog, NewEvent, Status, StoreError, StoreResult, StoredEvent,
    Subscription,
};

/// The columns [`subscription`] reads, in its order.
pub(super) const SUBSCRIPTION_COLUMNS: &str = "id, connector, event, parameters, credentials, \
    connector_parameters, state, status, webhook_uri, next_refresh_at, last_error, refresh_failures, \
    created_at, updated_at, global_webhook_key, global_webhook_selector, recreate_failures";

/// The columns [`event`] reads, in its order.
pub(super) const EVENT_COLUMNS: &str =
    "id, subscription_id, connector, event, kind, body, received_at";

/// The columns [`log`] reads, in its order.
pub(super) const LOG_COLUMNS: &str =
    "subscription_id, method, started_at, duration_micros, outcome, console, error";

pub(super) fn subscription(row: &Row<'_>) -> rusqlite::Result<Subscription> {
    Ok(Subscription {
        id: row.get(0)?,
        connector: row.get(1)?,
        event: row.get(2)?,
        parameters: json(row, 3)?,
        credentials: json(row, 4)?,
        connector_parameters: json(row, 5)?,
        state: json(row, 6)?,
        status: status(row, 7)?,
        webhook_uri: row.get(8)?,
        next_refresh_at: row.get(9)?,
        last_error: row.get(10)?,
        refresh_failures: row.get(11)?,
        created_at: row.get(12)?,
        updated_at: row.get(13)?,
        global: match (row.get(14)?, row.get(15)?) {
            (Some(key), Some(selector)) => Some(GlobalRoute { key, selector }),
            _ => None,
        },
        recreate_failures: row.get(16)?,
    })
}

pub(super) fn event(row: &Row<'_>) -> rusqlite::Result<StoredEvent> {
    Ok(StoredEvent {
        id: row.get(0)?,
        event: NewEvent {
            subscription_id: row.get(1)?,
            connector: row.get(2)?,
            event: row.get(3)?,
            kind: row.get(4)?,
            body: json(row, 5)?,
            received_at: row.get(6)?,
        },
    })
}

pub(super) fn log(row: &Row<'_>) -> rusqlite::Result<InvocationLog> {
    let error: Option<String> = row.get(6)?;
    Ok(InvocationLog {
        subscription_id: row.get(0)?,
        method: row.get(1)?,
        started_at: row.get(2)?,
        duration_micros: row.get(3)?,
        outcome: row.get(4)?,
        console: json(row, 5)?,
        error: error.map(|text| parse_json(6, &text)).transpose()?,
    })
}

/// A JSON value as column text.
pub(super) fn to_text(value: &Value) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError(format!("encode json: {e}")))
}

/// A row limit as SQLite takes it (`usize::MAX` means no limit).
pub(super) fn limit(limit: usize) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

fn json(row: &Row<'_>, index: usize) -> rusqlite::Result<Value> {
    let text: String = row.get(index)?;
    parse_json(index, &text)
}

fn parse_json(index: usize, text: &str) -> rusqlite::Result<Value> {
    serde_json::from_str(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(index, Type::Text, Box::new(e)))
}

fn status(row: &Row<'_>, index: usize) -> rusqlite::Result<Status> {
    let text: String = row.get(index)?;
    Status::parse(&text).ok_or_else(|| {
        let message = format!("unknown subscription status {text:?}");
        rusqlite::Error::FromSqlConversionFailure(index, Type::Text, message.into())
    })
}
