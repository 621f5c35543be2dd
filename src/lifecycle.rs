//! A subscription's life: created (stored `pending` before `subscribe` runs, so a handshake sent
//! during subscribe finds it), `active` with its state and next refresh, refreshed, and deleted
//! (`unsubscribe`, then `deleted`). Every invocation is logged with its console output.

use std::sync::Arc;
use std::time::Instant;

use runtime::{Connector, EventKind, Invocation, InvokeError, Outcome, Target};
use serde_json::{Value, json};

use crate::api::ApiError;
use crate::app::{App, now_millis};
use crate::store::{Change, GlobalRoute, InvocationLog, Millis, Status, Store, Subscription};

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

/// Creates and subscribes a subscription. A subscription to a `global-webhook` event first learns
/// its route from `getEventSelector`; then `subscribe` runs when the event has one.
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
    let connector_parameters = match object_or_empty(request.connector_parameters) {
        given if given.as_object().is_some_and(|o| !o.is_empty()) => given,
        _ => app.config.parameters_of(connector.key.as_str()),
    };
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
        connector_parameters,
        state: json!({}),
        status: Status::Pending,
        next_refresh_at: None,
        last_error: None,
        refresh_failures: 0,
        global: None,
        recreate_failures: 0,
        created_at: now,
        updated_at: now,
    };
    app.store.insert_subscription(subscription.clone()).await?;
    if event.kind == EventKind::GlobalWebhook {
        let selected = event_selector(app, &connector, &subscription).await?;
        let route = match selected.route {
            Ok(route) => route,
            Err(error) => {
                return Err(fail(
                    app,
                    &subscription,
                    selected.method,
                    error,
                    &selected.console,
                )
                .await);
            }
        };
        subscription.webhook_uri = app
            .config
            .global_webhook_uri(connector.key.as_str(), &route.key);
        subscription.global = Some(route);
    }
    if !event.methods.contains_key("subscribe") {
        return activate(app, subscription, json!({}), None).await;
    }
    let outcome = invoke(
        app,
        &connector,
        &subscription,
        "subscribe",
        subscribe_args(&subscription),
    )
    .await?;
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
        Err(error) => Err(fail(app, &subscription, "subscribe", error, &outcome.console).await),
    }
}

/// What `subscribe` gets: where to send webhooks, and the subscription's inputs.
fn subscribe_args(s: &Subscription) -> Value {
    json!({ "webhookUri": s.webhook_uri, "parameters": s.parameters,
        "credentials": s.credentials, "connectorParameters": s.connector_parameters })
}

/// Marks a subscription whose `subscribe` (or `getEventSelector`) failed as `failed`, and
/// returns the 502 that tells the platform why.
async fn fail<S: Store>(
    app: &App<S>,
    subscription: &Subscription,
    method: &str,
    error: InvokeError,
    console: &[runtime::LogEntry],
) -> ApiError {
    tracing::warn!(subscription = %subscription.id, connector = %subscription.connector, %error, "{method} failed");
    let lock = app.lock_of(&subscription.id);
    let _guard = lock.lock().await;
    // Deleted meanwhile: it stays deleted.
    let still_pending = match app.subscription(&subscription.id).await {
        Ok(current) => current.is_some_and(|s| s.status == Status::Pending),
        Err(stored) => return stored.into(),
    };
    let change = Change {
        status: Some(Status::Failed),
        last_error: Some(Some(error.to_string())),
        ..Change::default()
    };
    if still_pending
        && let Err(stored) = app
            .store
            .update_subscription(&subscription.id, change)
            .await
    {
        return stored.into();
    }
    upstream(method, error, console)
}

/// Runs the event's `getEventSelector` (the docs also spell it `getEventsSelector`) and checks
/// what it returns: `{globalWebhookKey, globalWebhookEventSelector}`, the key naming one of the
/// connector's global webhooks.
async fn event_selector<S: Store>(
    app: &App<S>,
    connector: &Arc<Connector>,
    subscription: &Subscription,
) -> Result<Selected, ApiError> {
    let event = &connector.events[&subscription.event];
    let Some(method) = ["getEventSelector", "getEventsSelector"]
        .into_iter()
        .find(|m| event.methods.contains_key(*m))
    else {
        let error = InvokeError::BadResult(format!(
            "event '{}' is a global-webhook event but has no getEventSelector method \
             (events/{}/get-event-selector.js)",
            event.key, event.key
        ));
        return Ok(Selected {
            method: "getEventSelector",
            route: Err(error),
            console: Vec::new(),
        });
    };
    let args = json!({ "parameters": subscription.parameters, "credentials": subscription.credentials,
        "connectorParameters": subscription.connector_parameters });
    let outcome = invoke(app, connector, subscription, method, args).await?;
    let route = outcome.result.and_then(|result| {
        let text = |name: &str| match result.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
            Some(Value::Number(n)) => Some(n.to_string()),
            _ => None,
        };
        let (Some(key), Some(selector)) = (
            text("globalWebhookKey"),
            text("globalWebhookEventSelector"),
        ) else {
            return Err(InvokeError::BadResult(format!(
                "{method} returned {result}, expected {{globalWebhookKey, globalWebhookEventSelector}} (non-empty strings)"
            )));
        };
        if !connector.global_webhooks.contains_key(&key) {
            let known: Vec<&str> = connector.global_webhooks.keys().map(String::as_str).collect();
            return Err(InvokeError::BadResult(format!(
                "{method} returned globalWebhookKey '{key}', but connector '{}' has no global-webhooks/{key}/ (it has: {})",
                connector.key,
                if known.is_empty() { "none".to_string() } else { known.join(", ") }
            )));
        }
        Ok(GlobalRoute { key, selector })
    });
    Ok(Selected {
        method,
        route,
        console: outcome.console,
    })
}

/// What `getEventSelector` gave: the route, or why not, with what a 502 names.
struct Selected {
    method: &'static str,
    route: Result<GlobalRoute, InvokeError>,
    console: Vec<runtime::LogEntry>,
}

/// At start, before serving: subscriptions left `pending` by a process that stopped while their
/// `subscribe` ran (a crash, a kill) become `failed`, saying so, instead of pending forever.
pub async fn fail_interrupted<S: Store>(app: &App<S>) -> Result<(), ApiError> {
    loop {
        let pending = app
            .store
            .subscriptions_with_status(Status::Pending, 100)
            .await?;
        if pending.is_empty() {
            return Ok(());
        }
        for subscription in pending {
            tracing::warn!(subscription = %subscription.id, connector = %subscription.connector,
                "the service stopped while this subscription was being created; marking it failed");
            let change = Change {
                status: Some(Status::Failed),
                last_error: Some(Some(
                    "the service stopped while subscribe ran: whatever it made in the app may remain \
                     (check the app); create a new subscription"
                        .to_string(),
                )),
                ..Change::default()
            };
            app.store
                .update_subscription(&subscription.id, change)
                .await?;
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
        webhook_uri: subscription
            .global
            .is_some()
            .then(|| subscription.webhook_uri.clone()),
        global: subscription.global.clone(),
        ..Change::default()
    };
    app.store
        .update_subscription(&subscription.id, change)
        .await?;
    app.forget_pending_state(&subscription.id);
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
        match outcome.result {
            // Already gone from the external app (deleted there, or with its parent): nothing
            // is left to remove.
            Err(error) if error.is_not_found() => {
                tracing::info!(subscription = %id, %error, "unsubscribe: the external app no longer knew it");
            }
            Err(error) => return Err(upstream("unsubscribe", error, &outcome.console)),
            Ok(_) => {}
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
/// `nextRefreshTimestamp` schedules the next. A failure is retried with backoff; a failure saying
/// the external app no longer knows the subscription (404, 410) re-creates it ([`recreate`]).
pub async fn refresh<S: Store>(app: &App<S>, id: &str) -> Result<Subscription, ApiError> {
    let lock = app.lock_of(id);
    let guard = lock.lock().await;
    let subscription = existing(app, id).await?;
    if app.is_recreating(id) {
        return Err(ApiError::Conflict(format!(
            "subscription {id} is being re-created (the app had lost it); refresh it once that is done"
        )));
    }
    if subscription.status != Status::Active {
        return Err(ApiError::BadRequest(format!(
            "subscription {id} is {}; only active subscriptions are refreshed (create a new one instead)",
            subscription.status.as_str()
        )));
    }
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
    let change = match outcome.result {
        Ok(result) => Change {
            state: result.get("state").cloned().filter(|s| !s.is_null()),
            next_refresh_at: Some(refresh_time(&result)),
            last_error: Some(None),
            refresh_failures: Some(0),
            recreate_failures: Some(0),
            ..Change::default()
        },
        Err(error) if error.is_not_found() => {
            // Marked first, so no other refresh starts a second re-creation; then the lock goes:
            // re-creating may take a handshake that must reach `handle`.
            let mark = app.start_recreating(id);
            drop(guard);
            let result = recreate(app, &connector, subscription, error).await;
            drop(mark);
            return result;
        }
        Err(error) => {
            app.store
                .update_subscription(
                    id,
                    retry_later(&subscription, format!("refresh failed: {error}")),
                )
                .await?;
            app.refresh_wakeup.notify_one();
            app.metrics.refresh("error");
            return Err(upstream("refresh", error, &outcome.console));
        }
    };
    app.store.update_subscription(id, change).await?;
    app.forget_pending_state(id);
    app.refresh_wakeup.notify_one();
    app.metrics.refresh("ok");
    existing(app, id).await
}

/// Attempts at re-creating a subscription the external app lost before it is given up as
/// `expired`: with [`recreate_backoff_millis`] between them, about an hour in all.
const RECREATE_ATTEMPTS: u32 = 8;

/// 30 s, 1 min, 2 min ... up to 1 h between failed re-creations: an outage of the app's API
/// should not expire a subscription for good.
fn recreate_backoff_millis(failures: u32) -> Millis {
    doubling(30_000, 3_600_000, failures)
}

/// The external app no longer knows the subscription (its refresh failed with 404 or 410): runs
/// `subscribe` again with the same webhook URI and parameters, and merges its state over the old
/// one. A failed attempt is retried with [`recreate_backoff_millis`], [`RECREATE_ATTEMPTS`] times
/// in all; an event without `subscribe`, or the last failure, leaves the subscription `expired`,
/// which the API shows with the reason in `lastError` and `/metrics` counts. Nothing dies
/// silently. The caller has marked the subscription as being re-created and released its lock.
async fn recreate<S: Store>(
    app: &App<S>,
    connector: &Arc<Connector>,
    subscription: Subscription,
    lost: InvokeError,
) -> Result<Subscription, ApiError> {
    let id = subscription.id.clone();
    tracing::warn!(subscription = %id, connector = %subscription.connector, error = %lost,
        "the external app no longer knows the subscription; re-creating it");
    let can_subscribe = connector
        .event_method(&subscription.event, "subscribe")
        .is_ok();
    let attempt = match can_subscribe {
        true => Some(
            invoke(
                app,
                connector,
                &subscription,
                "subscribe",
                subscribe_args(&subscription),
            )
            .await?,
        ),
        false => None,
    };
    let lock = app.lock_of(&id);
    let _guard = lock.lock().await;
    let current = match existing(app, &id).await {
        Err(ApiError::Gone(gone)) => {
            // Deleted while re-created: remove what subscribe just made, as delete would have.
            if let Some(Ok(result)) = attempt.as_ref().map(|a| &a.result) {
                let mut made = subscription.clone();
                let state = result.get("state").filter(|s| s.is_object());
                made.state = merge_state(Some(made.state), state.cloned().unwrap_or(json!({})));
                let args = method_args(&made);
                if let Ok(outcome) = invoke(app, connector, &made, "unsubscribe", args).await
                    && let Err(error) = outcome.result
                {
                    tracing::warn!(subscription = %id, %error, "could not remove what the re-creation made");
                }
            }
            return Err(ApiError::Gone(gone));
        }
        other => other?,
    };
    let lost = format!("the external app no longer knows this subscription ({lost})");
    let attempts = current.recreate_failures + 1;
    let (change, outcome, failure) = match attempt {
        Some(Outcome {
            result: Ok(result), ..
        }) => {
            let state = result.get("state").cloned().filter(|s| !s.is_null());
            let change = Change {
                state: Some(merge_state(Some(current.state), state.unwrap_or(json!({})))),
                next_refresh_at: Some(refresh_time(&result)),
                last_error: Some(None),
                refresh_failures: Some(0),
                recreate_failures: Some(0),
                ..Change::default()
            };
            tracing::info!(subscription = %id, "re-created");
            (change, "recreated", None)
        }
        Some(Outcome {
            result: Err(error),
            console,
            ..
        }) if attempts < RECREATE_ATTEMPTS => {
            let change = Change {
                next_refresh_at: Some(Some(now_millis() + recreate_backoff_millis(attempts))),
                last_error: Some(Some(format!(
                    "{lost}; re-creating it failed (attempt {attempts} of {RECREATE_ATTEMPTS}, retried later): {error}"
                ))),
                recreate_failures: Some(attempts),
                ..Change::default()
            };
            (
                change,
                "error",
                Some(upstream("subscribe", error, &console)),
            )
        }
        failed => {
            let why = match failed {
                Some(Outcome {
                    result: Err(error), ..
                }) => format!("re-creating it failed {RECREATE_ATTEMPTS} times, the last: {error}"),
                _ => "its event has no subscribe to re-create it (register its webhookUri in the app again, or create a new subscription)".to_string(),
            };
            tracing::warn!(subscription = %id, %lost, %why, "expired");
            let message = format!("expired: {lost}; {why}");
            let change = Change {
                status: Some(Status::Expired),
                next_refresh_at: Some(None),
                last_error: Some(Some(message.clone())),
                recreate_failures: Some(attempts),
                ..Change::default()
            };
            (
                change,
                "expired",
                Some(ApiError::Expired(format!("subscription {id} {message}"))),
            )
        }
    };
    app.store.update_subscription(&id, change).await?;
    app.forget_pending_state(&id);
    app.refresh_wakeup.notify_one();
    app.metrics.refresh(outcome);
    match failure {
        Some(error) => Err(error),
        None => existing(app, &id).await,
    }
}

/// The change that schedules another try after one more failure, with backoff.
fn retry_later(subscription: &Subscription, error: String) -> Change {
    let failures = subscription.refresh_failures + 1;
    Change {
        next_refresh_at: Some(Some(now_millis() + backoff_millis(failures))),
        last_error: Some(Some(error)),
        refresh_failures: Some(failures),
        ..Change::default()
    }
}

/// 1 s, 2 s, 4 s ... up to 15 min between failed refreshes.
pub fn backoff_millis(failures: u32) -> Millis {
    doubling(1000, 15 * 60 * 1000, failures)
}

/// `first` after one failure, doubling with each further one, at most `cap`.
fn doubling(first: Millis, cap: Millis, failures: u32) -> Millis {
    first
        .saturating_mul(1i64 << failures.saturating_sub(1).min(20))
        .min(cap)
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
        webhook: None,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoffs_double_up_to_their_caps() {
        let refresh: Vec<Millis> = (1..=4).map(backoff_millis).collect();
        assert_eq!(refresh, [1_000, 2_000, 4_000, 8_000]);
        assert_eq!(backoff_millis(40), 15 * 60 * 1000);
        let recreate: Vec<Millis> = (1..=RECREATE_ATTEMPTS)
            .map(recreate_backoff_millis)
            .collect();
        assert_eq!(
            recreate,
            [
                30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000
            ]
        );
    }
}
