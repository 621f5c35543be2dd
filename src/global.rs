//! Global webhooks: `ANY /global-webhooks/{connector}/{webhook}`, one URI per connector and
//! webhook for every connection (Slack's Events API: the app has one Request URL). The connector's
//! `global-webhooks/<webhook>/handle` runs with no connection (the request and the configured
//! connector parameters only) and returns `{events: [{selector, type?, payload}], response}`; each
//! event goes to every active subscription whose `getEventSelector` gave this webhook and that exact
//! selector. The events of one request are stored in one transaction before the answer. A delivery
//! whose events reach no subscription is counted in `/metrics` and logged with its selectors; a
//! failing `handle` is counted and its last error kept for the listing.

use std::time::Instant;

use runtime::{InvokeError, Target};
use serde_json::{Value, json};

use crate::api::ApiError;
use crate::app::{App, now_millis};
use crate::ingress::{self, Delivery, Reply};
use crate::lifecycle::connector;
use crate::store::{NewEvent, Store};

/// One `{selector, type?, payload}` of a global handle's result.
#[derive(Debug)]
struct Routed {
    selector: String,
    /// The event's type, when the handle gives one beside the payload.
    kind: Option<String>,
    payload: Value,
}

/// Handles one delivery to global webhook `webhook` of connector `connector_key`.
pub async fn deliver<S: Store>(
    app: &App<S>,
    connector_key: &str,
    webhook: &str,
    delivery: Delivery,
) -> Result<Reply, ApiError> {
    let connector = connector(app, connector_key)?;
    let known = connector
        .global_webhooks
        .get(webhook)
        .is_some_and(|w| w.methods.contains_key("handle"));
    if !known {
        return Err(ApiError::NotFound(format!(
            "connector '{connector_key}' has no global webhook '{webhook}'"
        )));
    }
    let data = ingress::parse_body(&delivery)?;
    let parameters = app.config.parameters_of(connector_key);
    let args = json!({ "parameters": parameters, "connectorParameters": parameters });
    let uri = app.config.global_webhook_uri(connector_key, webhook);
    let start = Instant::now();
    let invocation = runtime::Invocation {
        connector: connector.clone(),
        target: Target::GlobalWebhook {
            webhook: webhook.to_string(),
            method: "handle".to_string(),
        },
        args,
        // Warm sandboxes of its own, taken in turn so that deliveries spread over the JS workers:
        // it runs no connection's code and holds no connection's data.
        subscription: Some(format!(
            "global-webhooks/{connector_key}/{webhook}#{}",
            app.global_turn
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                % app.runtime.workers()
        )),
        timeout: None,
        webhook: Some(ingress::webhook_of(delivery, data, &uri)),
    };
    let outcome = app.runtime.invoke(invocation).await;
    app.metrics
        .invocation("global-webhook-handle", start.elapsed().as_secs_f64());
    let checked = outcome.result.and_then(|result| {
        let routed = routed_events(&result)?;
        let answer = ingress::valid_reply(ingress::reply(result.get("response")))?;
        Ok((routed, answer))
    });
    let (routed, answer) = checked.map_err(|error| {
        tracing::warn!(connector = %connector_key, webhook, kind = error.kind(), %error,
            stack = error.stack().unwrap_or(""), console = %json!(outcome.console), "global webhook handle failed");
        let location = error.location().map(|l| format!(" at {l}")).unwrap_or_default();
        app.metrics
            .global_failure(connector_key, webhook, format!("{error}{location}"));
        ApiError::HandleFailed
    })?;
    let events = route(app, connector_key, webhook, routed).await?;
    if !events.is_empty() {
        let stored = events.len();
        app.store.commit_events(events).await?;
        app.metrics.stored(stored);
        app.events_stored.notify_one();
    }
    Ok(answer)
}

/// The events of each `{selector, payload}`, one per subscription with that selector: the payload
/// as it is (of the routed event's `type` when it has one), or, when the payload is shaped as a
/// record event (`{type: created|updated|deleted, record: {id}}`), that record event. No payload
/// fails the delivery: it is the app's data, stored as given. A delivery
/// whose events reached no subscription at all is counted as unmatched and logged with its
/// selectors; per-selector misses are normal (a connector may offer one event under several
/// selectors, for the subscriptions that want it) and only logged at debug level.
async fn route<S: Store>(
    app: &App<S>,
    connector_key: &str,
    webhook: &str,
    routed: Vec<Routed>,
) -> Result<Vec<NewEvent>, ApiError> {
    let mut events = Vec::new();
    let mut missed = Vec::new();
    for Routed {
        selector,
        kind,
        payload,
    } in &routed
    {
        let subscriptions = app
            .store
            .subscriptions_for_selector(connector_key, webhook, selector)
            .await?;
        if subscriptions.is_empty() {
            tracing::debug!(connector = %connector_key, webhook, %selector, "no subscription for a selector");
            missed.push(selector.as_str());
        }
        let (kind, body) = shape(kind, payload);
        events.extend(subscriptions.iter().map(|s| NewEvent {
            subscription_id: s.id.clone(),
            connector: s.connector.clone(),
            event: s.event.clone(),
            kind: kind.clone(),
            body: body.clone(),
            received_at: now_millis(),
        }));
    }
    if !routed.is_empty() {
        let reached = !events.is_empty();
        if !reached {
            tracing::warn!(connector = %connector_key, webhook, selectors = ?missed,
                "a global webhook delivery matched no subscription");
        }
        app.metrics.global_delivery(connector_key, webhook, reached);
    }
    Ok(events)
}

/// The stored kind and body of a routed payload.
fn shape(kind: &Option<String>, payload: &Value) -> (Option<String>, Value) {
    let record_kind = payload
        .get("type")
        .and_then(Value::as_str)
        .filter(|t| matches!(*t, "created" | "updated" | "deleted"));
    let record = payload
        .get("record")
        .filter(|r| r.get("id").is_some_and(|id| !id.is_null()));
    let is_record_kind = |k: &str| matches!(k, "created" | "updated" | "deleted");
    match (record_kind, record) {
        (Some(record_kind), Some(record)) => (Some(record_kind.to_string()), record.clone()),
        // `{selector, type: 'created', payload: {id, ...}}`: the payload is the record.
        _ => match kind.as_deref() {
            Some(k) if is_record_kind(k) && payload.get("id").is_none_or(Value::is_null) => {
                (None, payload.clone())
            }
            _ => (kind.clone(), payload.clone()),
        },
    }
}

/// `events` of a global handle's result: an array of `{selector: string, payload}`.
fn routed_events(result: &Value) -> Result<Vec<Routed>, InvokeError> {
    let events = match result.get("events") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(events)) => events,
        Some(_) => {
            return Err(InvokeError::BadResult(
                "global webhook handle returned `events` that is not an array".into(),
            ));
        }
    };
    events
        .iter()
        .enumerate()
        .map(|(i, event)| {
            let selector = match event.get("selector") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => {
                    return Err(InvokeError::BadResult(format!(
                        "global webhook handle returned events[{i}] without a string `selector`"
                    )));
                }
            };
            let payload = event.get("payload").cloned().unwrap_or(Value::Null);
            let kind = event
                .get("type")
                .and_then(Value::as_str)
                .map(str::to_string);
            Ok(Routed {
                selector,
                kind,
                payload,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_are_stored_as_given_or_as_the_record_they_carry() {
        let message = json!({ "type": "message", "text": "hi" });
        assert_eq!(shape(&None, &message), (None, message.clone()));
        assert_eq!(
            shape(&Some("message".into()), &message),
            (Some("message".into()), message.clone())
        );
        let record = json!({ "type": "created", "record": { "id": "C1:1.0", "text": "hi" } });
        assert_eq!(
            shape(&None, &record),
            (
                Some("created".into()),
                json!({ "id": "C1:1.0", "text": "hi" })
            )
        );
        let with_id = json!({ "id": "7" });
        assert_eq!(
            shape(&Some("updated".into()), &with_id),
            (Some("updated".into()), with_id.clone())
        );
        // A record type without a record: stored as a payload, never failing the delivery.
        let no_record = json!({ "type": "deleted", "text": "no id" });
        assert_eq!(shape(&None, &no_record), (None, no_record.clone()));
        assert_eq!(
            shape(&Some("deleted".into()), &no_record),
            (None, no_record.clone())
        );
    }

    #[test]
    fn routed_events_need_an_array_of_selectors() {
        let ok = routed_events(
            &json!({ "events": [{ "selector": "team:T1", "payload": { "a": 1 } }, { "selector": 7 }] }),
        )
        .unwrap();
        assert_eq!(
            ok.iter()
                .map(|r| (r.selector.as_str(), r.payload.clone()))
                .collect::<Vec<_>>(),
            vec![("team:T1", json!({ "a": 1 })), ("7", Value::Null)]
        );
        assert!(routed_events(&json!({})).unwrap().is_empty());
        let not_array = routed_events(&json!({ "events": {} })).unwrap_err();
        assert!(
            not_array.to_string().contains("not an array"),
            "{not_array}"
        );
        let no_selector = routed_events(&json!({ "events": [{ "payload": 1 }] })).unwrap_err();
        assert!(
            no_selector
                .to_string()
                .contains("events[0] without a string `selector`"),
            "{no_selector}"
        );
    }
}
