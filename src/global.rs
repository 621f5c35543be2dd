//! Global webhooks: `ANY /global-webhooks/{connector}/{webhook}`, one URI per connector and
//! webhook for every connection (Slack's Events API: the app has one Request URL). The connector's
//! `global-webhooks/<webhook>/handle` runs with no connection (the request and the configured
//! connector parameters only) and returns `{events: [{selector, payload}], response}`; each event
//! goes to every active subscription whose `getEventSelector` gave this webhook and that exact
//! selector. The events of one request are stored in one transaction before the answer. An event
//! that no subscription matches is counted in `/metrics` and logged, with its selector.

use std::time::Instant;

use runtime::{InvokeError, Target};
use serde_json::{Value, json};

use crate::api::ApiError;
use crate::app::{App, now_millis};
use crate::ingress::{self, Delivery, Reply};
use crate::lifecycle::connector;
use crate::store::{NewEvent, Store};

/// One `{selector, payload}` of a global handle's result.
#[derive(Debug)]
struct Routed {
    selector: String,
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
    let (data, data_from_raw_body) = ingress::parse_body(&delivery)?.split();
    let parameters = app.config.parameters_of(connector_key);
    let mut args = json!({ "parameters": parameters, "connectorParameters": parameters,
        "webhookUri": app.config.global_webhook_uri(connector_key, webhook) });
    ingress::request_args(&mut args, &delivery, data);
    let start = Instant::now();
    let invocation = runtime::Invocation {
        connector: connector.clone(),
        target: Target::GlobalWebhook {
            webhook: webhook.to_string(),
            method: "handle".to_string(),
        },
        args,
        // Its own warm sandbox: it runs no connection's code and holds no connection's data.
        subscription: Some(format!("global-webhooks/{connector_key}/{webhook}")),
        timeout: None,
        data_from_raw_body,
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

/// The events of each `{selector, payload}`, one per subscription with that selector, shaped as
/// `handle`'s events are (a record event stays one; `{type, payload}` keeps its type). A delivery
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
    for (index, Routed { selector, payload }) in routed.iter().enumerate() {
        let subscriptions = app
            .store
            .subscriptions_for_selector(connector_key, webhook, selector)
            .await?;
        if subscriptions.is_empty() {
            tracing::debug!(connector = %connector_key, webhook, %selector, "no subscription for a selector");
            missed.push(selector.as_str());
        }
        for subscription in &subscriptions {
            let event = ingress::new_event(subscription, index, payload, now_millis())
                .map_err(|error| {
                    tracing::warn!(connector = %connector_key, webhook, %error, "global webhook handle returned a bad payload");
                    ApiError::HandleFailed
                })?;
            events.push(event);
        }
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
            Ok(Routed { selector, payload })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
