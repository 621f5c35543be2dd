//! A subscription's life: created (stored `pending` before `subscribe` runs, so a handshake sent
//! during subscribe finds it), `active` with its state and next refresh, refreshed, and deleted
//! (`unsubscribe`, then `deleted`). Every invocation is logged with its console output.

use std::sync::Arc;
use std::time::Instant;

use runtime::{Connector, Invocation, InvokeError, Outcome, Target};
use serde_json::{Value, json};

use crate::api::ApiError;
use crate::app::{App, now_millis};
use crate::store::{Change, InvocationLog, Millis, Status, Store, Subscription};

/// `POST /api/subscriptions`.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateRequest {
    pub connector: String,
    pub event: String,
    #[serde(default)]
    pub parameters: Value,
    #[serde(default)]
    pub credentials: Value,
    #[serde(default)]
    pub connector_parameters: Value,
}

/// Creates and subscribes a subscription.
pub async fn create<S: Store>(
    app: &App<S>,
    request: CreateRequest,
) -> Result<Subscription, ApiError> {
    let connector = connector(app, &request.connector)?;
    let event = connector.events.get(&request.event).ok_or_else(|| {
        ApiError::NotFound(format!(
            "connector '{}' has no event '{}'",
            connector.key, request.event
        ))
    })?;
    let parameters = object_or_empty(request.parameters);
    check_parameters(event.parameters_schema.as_ref(), &parameters)?;
    let id = new_id()?;
    let now = now_millis();
    let mut subscription = Subscription {
        webhook_uri: format!(
            "{}/webhooks/{id}",
            app.config.public_url.trim_end_matches('/')
        ),
        id,
        connector: connector.key.to_string(),
        event: event.key.clone(),
        parameters,
        credentials: object_or_empty(request.credentials),
        connector_parameters: object_or_empty(request.connector_parameters),
        state: json!({}),
        status: Status::Pending,
        next_refresh_at: None,
        last_error: None,
        refresh_failures: 0,
        created_at: now,
        updated_at: now,
    };
    app.store.insert_subscription(subscription.clone()).await?;
    if !event.methods.contains_key("subscribe") {
        return activate(app, subscription, json!({}), None).await;
    }
    let args = json!({ "webhookUri": subscription.webhook_uri, "parameters": subscription.parameters,
        "credentials": subscription.credentials, "connectorParameters": subscription.connector_parameters });
    let outcome = invoke(app, &connector, &subscription, "subscribe", args).await?;
    match outcome.result {
        Ok(result) => {
            let state = result
                .get("state")
                .cloned()
                .filter(|s| !s.is_null())
                .unwrap_or(json!({}));
            let mut subscribed = subscription.clone();
            subscribed.state = state.clone();
            let activated = activate(app, subscription, state, refresh_time(&result)).await;
            let removable = connector
                .event_method(&subscribed.event, "unsubscribe")
                .is_ok();
            if let (Err(ApiError::Gone(_)), true) = (&activated, removable) {
                // Deleted while subscribing: remove what subscribe created, as delete would have.
                let args = method_args(&subscribed);
                let _ = invoke(app, &connector, &subscribed, "unsubscribe", args).await;
            }
            activated
        }
        Err(error) => {
            tracing::warn!(subscription = %subscription.id, connector = %subscription.connector, %error, "subscribe failed");
            let change = Change {
                status: Some(Status::Failed),
                last_error: Some(Some(error.to_string())),
                ..Change::default()
            };
            app.store
                .update_subscription(&subscription.id, change)
                .await?;
            subscription.status = Status::Failed;
            Err(upstream("subscribe", error, &outcome.console))
        }
    }
}

/// Makes the subscription active with `state` merged (shallow) over the state it has now: a
/// handshake that reached `handle` while `subscribe` ran (a secret learned there) survives beside
/// what `subscribe` returns (the id from the create call). Holds the subscription's lock, so no
/// webhook commits in between.
async fn activate<S: Store>(
    app: &App<S>,
    mut subscription: Subscription,
    state: Value,
    next_refresh_at: Option<Millis>,
) -> Result<Subscription, ApiError> {
    let lock = app.lock_of(&subscription.id);
    let _guard = lock.lock().await;
    let stored = app.subscription(&subscription.id).await?;
    if stored.as_ref().is_some_and(|s| s.status != Status::Pending) {
        // Deleted while `subscribe` ran: it stays deleted (the external hook may need removing).
        tracing::warn!(subscription = %subscription.id, "deleted during subscribe; not activated");
        return Err(ApiError::Gone(subscription.id));
    }
    let current = stored.map(|s| s.state);
    let state = merge_state(current, state);
    let change = Change {
        status: Some(Status::Active),
        state: Some(state.clone()),
        next_refresh_at: Some(next_refresh_at),
        ..Change::default()
    };
    app.store
        .update_subscription(&subscription.id, change)
        .await?;
    if next_refresh_at.is_some() {
        app.refresh_wakeup.notify_one();
    }
    subscription.status = Status::Active;
    subscription.state = state;
    subscription.next_refresh_at = next_refresh_at;
    Ok(subscription)
}

/// `DELETE /api/subscriptions/{id}`: runs `unsubscribe`, then marks the subscription deleted. A
/// failed unsubscribe leaves it as it was, to be retried.
pub async fn delete<S: Store>(app: &App<S>, id: &str) -> Result<(), ApiError> {
    let lock = app.lock_of(id);
    let _guard = lock.lock().await;
    let subscription = existing(app, id).await?;
    let connector = connector(app, &subscription.connector)?;
    let has_unsubscribe = connector
        .event_method(&subscription.event, "unsubscribe")
        .is_ok();
    if has_unsubscribe && subscription.status == Status::Active {
        let outcome = invoke(
            app,
            &connector,
            &subscription,
            "unsubscribe",
            method_args(&subscription),
        )
        .await?;
        if let Err(error) = outcome.result {
            return Err(upstream("unsubscribe", error, &outcome.console));
        }
    }
    let change = Change {
        status: Some(Status::Deleted),
        next_refresh_at: Some(None),
        ..Change::default()
    };
    app.store.update_subscription(id, change).await?;
    Ok(())
}

/// Runs `refresh` now. Its state replaces the old one only when it returns one; its
/// `nextRefreshTimestamp` schedules the next. A failure is retried with backoff.
pub async fn refresh<S: Store>(app: &App<S>, id: &str) -> Result<Subscription, ApiError> {
    let lock = app.lock_of(id);
    let _guard = lock.lock().await;
    let subscription = existing(app, id).await?;
    let connector = connector(app, &subscription.connector)?;
    if connector
        .event_method(&subscription.event, "refresh")
        .is_err()
    {
        let change = Change {
            next_refresh_at: Some(None),
            ..Change::default()
        };
        app.store.update_subscription(id, change).await?;
        return Err(ApiError::BadRequest(format!(
            "event '{}' has no refresh method",
            subscription.event
        )));
    }
    let mut args = method_args(&subscription);
    args["webhookUri"] = json!(subscription.webhook_uri);
    let outcome = invoke(app, &connector, &subscription, "refresh", args).await?;
    let change = match &outcome.result {
        Ok(result) => Change {
            state: result.get("state").cloned().filter(|s| !s.is_null()),
            next_refresh_at: Some(refresh_time(result)),
            last_error: Some(None),
            refresh_failures: Some(0),
            ..Change::default()
        },
        Err(error) => {
            let failures = subscription.refresh_failures + 1;
            Change {
                next_refresh_at: Some(Some(now_millis() + backoff_millis(failures))),
                last_error: Some(Some(format!("refresh failed: {error}"))),
                refresh_failures: Some(failures),
                ..Change::default()
            }
        }
    };
    app.store.update_subscription(id, change).await?;
    app.refresh_wakeup.notify_one();
    app.metrics.refresh(if outcome.result.is_ok() {
        "ok"
    } else {
        "error"
    });
    if let Err(error) = outcome.result {
        return Err(upstream("refresh", error, &outcome.console));
    }
    existing(app, id).await
}

/// 1 s, 2 s, 4 s ... up to 15 min between failed refreshes.
pub fn backoff_millis(failures: u32) -> Millis {
    1000i64
        .saturating_mul(1i64 << failures.saturating_sub(1).min(20))
        .min(15 * 60 * 1000)
}

/// Runs `method` of the subscription's event and logs it.
pub async fn invoke<S: Store>(
    app: &App<S>,
    connector: &Arc<Connector>,
    subscription: &Subscription,
    method: &str,
    args: Value,
) -> Result<Outcome, ApiError> {
    let started_at = now_millis();
    let start = Instant::now();
    let invocation = Invocation {
        connector: connector.clone(),
        target: Target::event(&subscription.event, method),
        args,
        subscription: Some(subscription.id.clone()),
        timeout: None,
        data_from_raw_body: false,
    };
    let outcome = app.runtime.invoke(invocation).await;
    app.metrics
        .invocation(method, start.elapsed().as_secs_f64());
    let log = log_of(&subscription.id, method, started_at, start, &outcome);
    app.store.append_log(log).await?;
    Ok(outcome)
}

pub fn log_of(
    subscription_id: &str,
    method: &str,
    started_at: Millis,
    start: Instant,
    outcome: &Outcome,
) -> InvocationLog {
    let error = outcome.result.as_ref().err().map(|e| {
        json!({ "message": e.to_string(), "stack": e.stack(), "location": e.location().map(ToString::to_string) })
    });
    InvocationLog {
        subscription_id: subscription_id.to_string(),
        method: method.to_string(),
        started_at,
        duration_micros: i64::try_from(start.elapsed().as_micros()).unwrap_or(i64::MAX),
        outcome: outcome
            .result
            .as_ref()
            .map_or_else(|e| e.kind().to_string(), |_| "ok".to_string()),
        console: json!(outcome.console),
        error,
    }
}

pub fn upstream(method: &str, error: InvokeError, console: &[runtime::LogEntry]) -> ApiError {
    ApiError::Upstream {
        method: method.to_string(),
        error: Box::new(error),
        console: json!(console),
    }
}

/// The arguments every method of a subscription gets.
pub fn method_args(s: &Subscription) -> Value {
    json!({ "state": s.state, "parameters": s.parameters, "credentials": s.credentials,
        "connectorParameters": s.connector_parameters })
}

pub fn connector<S: Store>(app: &App<S>, key: &str) -> Result<Arc<Connector>, ApiError> {
    app.connectors()
        .get(key)
        .cloned()
        .ok_or_else(|| ApiError::NotFound(format!("no connector '{key}'")))
}

/// The subscription `id`, which must exist and not be deleted.
pub async fn existing<S: Store>(app: &App<S>, id: &str) -> Result<Subscription, ApiError> {
    match app.subscription(id).await? {
        Some(s) if s.status == Status::Deleted => Err(ApiError::Gone(id.to_string())),
        Some(s) => Ok(s),
        None => Err(ApiError::NotFound(format!("no subscription '{id}'"))),
    }
}

fn merge_state(current: Option<Value>, returned: Value) -> Value {
    match (current, returned) {
        (Some(Value::Object(mut merged)), Value::Object(returned)) => {
            merged.extend(returned);
            Value::Object(merged)
        }
        (_, returned) => returned,
    }
}

fn refresh_time(result: &Value) -> Option<Millis> {
    result
        .get("nextRefreshTimestamp")
        .and_then(Value::as_f64)
        .map(|t| t as Millis)
}

fn object_or_empty(value: Value) -> Value {
    if value.is_null() { json!({}) } else { value }
}

/// Validates `parameters` against the event's JSON Schema, naming each violation.
fn check_parameters(schema: Option<&Value>, parameters: &Value) -> Result<(), ApiError> {
    let Some(schema) = schema else { return Ok(()) };
    let validator = jsonschema::validator_for(schema).map_err(|e| {
        ApiError::BadRequest(format!(
            "the event's parametersSchema is not a valid JSON Schema: {e}"
        ))
    })?;
    let violations: Vec<String> = validator
        .iter_errors(parameters)
        .map(|e| {
            let path = e.instance_path().to_string();
            if path.is_empty() {
                e.to_string()
            } else {
                format!("{path}: {e}")
            }
        })
        .collect();
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ApiError::InvalidParameters(violations))
    }
}

/// 128 random bits, hex: the subscription id, which is also the webhook URI's secret part.
pub fn new_id() -> Result<String, ApiError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        ApiError::Store(crate::store::StoreError(format!(
            "no randomness for a subscription id: {e}"
        )))
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}
