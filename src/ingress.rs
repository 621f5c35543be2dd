//! Webhook ingress: `ANY /webhooks/{id}` → `handle`. The request becomes the method's arguments
//! (`query` with repeated keys as arrays, lowercased `headers`, the exact `rawBody`, `data` parsed by
//! Content-Type); the events and new state are stored in one transaction *before* the response is
//! sent; the response is the method's `response`, else 200. Invocations of one subscription run one
//! at a time, so no state update is lost.

use std::sync::Arc;
use std::time::Instant;

use runtime::{Data, InvokeError, Webhook};
use serde_json::{Map, Value, json};

use crate::api::ApiError;
use crate::app::{App, now_millis};
use crate::lifecycle::{self, connector, log_of};
use crate::store::{NewEvent, Status, Store, Subscription, WebhookCommit};

/// A webhook request as received.
pub struct Delivery {
    pub method: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    /// As hyper read it: no copy.
    pub body: bytes::Bytes,
}

/// The answer to the external app.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// Handles one delivery to subscription `id`.
pub async fn deliver<S: Store>(
    app: &Arc<App<S>>,
    id: &str,
    delivery: Delivery,
) -> Result<Reply, ApiError> {
    let data = parse_body(&delivery)?;
    // Until its commit is queued: group commit waits for webhooks being handled.
    let coming = app.store.expect_commit();
    // Answers first. On a JS worker, a webhook whose commit is durable is woken from the store's
    // writer thread, and tokio's LocalSet takes such wake-ups only once the tasks woken on the
    // worker itself (new requests, from its sockets) have run: the answers of a whole batch waited
    // behind the handling of every request that came in meanwhile. Yielding once here lets them
    // out first, each a short write, and the app's next requests come sooner.
    tokio::task::yield_now().await;
    let lock = app.lock_of(id);
    let guard = lock.lock().await;
    let subscription = match app.subscription(id).await? {
        Some(s) if matches!(s.status, Status::Deleted | Status::Failed | Status::Expired) => {
            return Err(ApiError::Gone(id.to_string()));
        }
        Some(s) => s,
        None => return Err(ApiError::NotFound(format!("no subscription '{id}'"))),
    };
    let connector = connector(app, &subscription.connector)?;
    let args = lifecycle::method_args(&subscription);
    let started_at = now_millis();
    let start = Instant::now();
    let invocation = runtime::Invocation {
        connector: connector.clone(),
        target: runtime::Target::event(&subscription.event, "handle"),
        args,
        subscription: Some(subscription.id.clone()),
        timeout: None,
        webhook: Some(webhook_of(delivery, data, &subscription.webhook_uri)),
    };
    let outcome = app.runtime.invoke(invocation).await;
    app.metrics
        .invocation("handle", start.elapsed().as_secs_f64());
    let mut log = log_of(id, "handle", started_at, start, &outcome);
    let checked = outcome.result.and_then(|r| {
        let events = events_of(&subscription, &r)?;
        let answer = valid_reply(reply(r.get("response")))?;
        Ok((r, events, answer))
    });
    let (result, events, answer) = match checked {
        Ok(ok) => ok,
        Err(error) => {
            tracing::warn!(subscription = %id, connector = %subscription.connector, event = %subscription.event,
                kind = error.kind(), %error, "handle failed");
            log.outcome = error.kind().to_string();
            log.error = Some(json!({ "message": error.to_string(), "stack": error.stack() }));
            app.store.append_log(log).await?;
            return Err(ApiError::HandleFailed);
        }
    };
    let state = result.get("state").cloned().filter(|s| !s.is_null());
    let stored = events.len();
    let result = answer;
    let pending = state.clone().map(|state| app.set_pending_state(id, state));
    let commit = WebhookCommit {
        subscription_id: id.to_string(),
        events,
        state,
        log,
    };
    // Queued now, in order; the lock goes before the sync, so the next webhook of this
    // subscription runs while this one is made durable (their commits then share a sync).
    let committed = app.store.commit_webhook(commit);
    drop((guard, coming));
    // The pending state is forgotten once the commit is known, also when the caller hangs up
    // first (the guard then waits for the commit in a task of its own): a pending state left
    // behind would shadow later writes.
    let mut wait = CommitWait {
        app: app.clone(),
        id: id.to_string(),
        pending,
        committed: None,
    };
    let outcome = wait.committed.insert(Box::pin(committed)).await;
    wait.committed = None;
    wait.forget_pending();
    outcome?;
    app.metrics.stored(stored);
    if stored > 0 {
        app.events_stored.notify_one();
    }
    Ok(result)
}

type Committing =
    std::pin::Pin<Box<dyn Future<Output = crate::store::StoreResult<Vec<i64>>> + Send>>;

/// A webhook's commit being waited for, and the pending state to forget once it is known.
struct CommitWait<S: Store> {
    app: Arc<App<S>>,
    id: String,
    pending: Option<u64>,
    /// `None` once the commit is known.
    committed: Option<Committing>,
}

impl<S: Store> CommitWait<S> {
    fn forget_pending(&mut self) {
        if let Some(seq) = self.pending.take() {
            self.app.clear_pending_state(&self.id, seq);
        }
    }
}

impl<S: Store> Drop for CommitWait<S> {
    /// The caller hung up before the commit was known: wait for it elsewhere.
    fn drop(&mut self) {
        let (Some(committed), Some(seq)) = (self.committed.take(), self.pending.take()) else {
            return;
        };
        let (app, id) = (self.app.clone(), std::mem::take(&mut self.id));
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn(async move {
                let _ = committed.await;
                app.clear_pending_state(&id, seq);
            })),
            // The process is stopping: nothing will read the state again.
            Err(_) => app.clear_pending_state(&id, seq),
        }
    }
}

/// What `handle` learns of the request: `query`, `headers`, `rawBody`, `data`, `method`, and
/// `webhookUri`, the URI it came to.
pub(crate) fn webhook_of(delivery: Delivery, data: Data, uri: &str) -> Webhook {
    // Repeated headers are joined with ", " as Node does.
    let mut headers: Vec<(String, String)> = Vec::with_capacity(delivery.headers.len());
    for (mut name, value) in delivery.headers {
        name.make_ascii_lowercase();
        match headers.iter_mut().find(|(seen, _)| *seen == name) {
            Some((_, joined)) => {
                joined.push_str(", ");
                joined.push_str(&value);
            }
            None => headers.push((name, value)),
        }
    }
    Webhook {
        method: delivery.method,
        query: query_object(delivery.query.as_deref().unwrap_or("")),
        headers,
        raw_body: text_of(&delivery.body),
        data,
        uri: uri.to_string(),
    }
}

/// The body as text; bytes that are not UTF-8 become U+FFFD. (`from_utf8` first: checking is
/// several times faster than the lossy decoder's scan when, as almost always, it is UTF-8.)
fn text_of(body: &[u8]) -> Arc<str> {
    match std::str::from_utf8(body) {
        Ok(text) => Arc::from(text),
        Err(_) => Arc::from(String::from_utf8_lossy(body)),
    }
}

/// `a=1&a=2&b=x` → `{a: ["1", "2"], b: "x"}`.
fn query_object(query: &str) -> Value {
    let mut object = Map::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        match object.get_mut(key.as_ref()) {
            Some(Value::Array(items)) => items.push(json!(value)),
            Some(existing) => *existing = json!([existing.take(), value]),
            None => {
                object.insert(key.into_owned(), json!(value));
            }
        }
    }
    Value::Object(object)
}

/// `data` by the body's Content-Type: JSON (malformed → 400), form, else text; empty → `null`.
/// A JSON body is only checked here: the sandbox parses it from `rawBody` (lazily when large).
pub(crate) fn parse_body(delivery: &Delivery) -> Result<Data, ApiError> {
    if delivery.body.is_empty() {
        return Ok(Data::Value(Value::Null));
    }
    let content_type = delivery
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.to_ascii_lowercase())
        .unwrap_or_default();
    if content_type.contains("json") {
        return serde_json::from_slice::<serde::de::IgnoredAny>(&delivery.body)
            .map(|_| Data::FromRawBody)
            .map_err(|e| ApiError::BadRequest(format!("malformed JSON body: {e}")));
    }
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return Ok(Data::Value(query_object(&String::from_utf8_lossy(
            &delivery.body,
        ))));
    }
    Ok(Data::Value(json!(String::from_utf8_lossy(&delivery.body))))
}

/// The events of `handle`'s result, validated: an array; record events (`type` created, updated or
/// deleted) need a `record` with an `id`; anything else is a payload event (`{type, payload}`).
fn events_of(s: &Subscription, result: &Value) -> Result<Vec<NewEvent>, InvokeError> {
    let events = match result.get("events") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(events)) => events,
        Some(_) => {
            return Err(InvokeError::BadResult(
                "handle returned `events` that is not an array".into(),
            ));
        }
    };
    let received_at = now_millis();
    events
        .iter()
        .enumerate()
        .map(|(i, event)| new_event(s, i, event, received_at))
        .collect()
}

fn new_event(
    s: &Subscription,
    index: usize,
    event: &Value,
    received_at: i64,
) -> Result<NewEvent, InvokeError> {
    let kind = event
        .get("type")
        .and_then(Value::as_str)
        .filter(|t| matches!(*t, "created" | "updated" | "deleted"));
    let (kind, body) = match kind {
        Some(kind) => {
            let record = event
                .get("record")
                .filter(|r| r.get("id").is_some_and(|id| !id.is_null()));
            let record = record.ok_or_else(|| {
                InvokeError::BadResult(format!(
                    "handle returned events[{index}] of type '{kind}' without a record with an id"
                ))
            })?;
            (Some(kind.to_string()), record.clone())
        }
        // A payload event: `{type, payload}` keeps its type; an object without `payload` is
        // the payload itself.
        None => match event.get("payload") {
            Some(payload) => (
                event
                    .get("type")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                payload.clone(),
            ),
            None => (None, event.clone()),
        },
    };
    Ok(NewEvent {
        subscription_id: s.id.clone(),
        connector: s.connector.clone(),
        event: s.event.clone(),
        kind,
        body,
        received_at,
    })
}

/// The HTTP answer from `handle`'s `response`: status, headers, and `data` encoded by its
/// Content-Type (a string as it is, anything else as JSON).
/// Refuses a response that could not be sent (a bad header, a status outside 200-599), before
/// anything is stored: failing after the commit would make the app retry and store twice.
pub(crate) fn valid_reply(reply: Reply) -> Result<Reply, InvokeError> {
    if !(200..600).contains(&reply.status) {
        return Err(InvokeError::BadResult(format!(
            "handle returned response.status {}, expected 200-599",
            reply.status
        )));
    }
    for (name, value) in &reply.headers {
        let valid = hyper::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
            && hyper::header::HeaderValue::from_str(value).is_ok();
        if !valid {
            return Err(InvokeError::BadResult(format!(
                "handle returned an invalid response header {name:?}"
            )));
        }
    }
    Ok(reply)
}

pub(crate) fn reply(response: Option<&Value>) -> Reply {
    let Some(response) = response.filter(|r| r.is_object()) else {
        return Reply {
            status: 200,
            headers: Vec::new(),
            body: Vec::new(),
        };
    };
    let status = response
        .get("status")
        .and_then(Value::as_u64)
        .map(|s| u16::try_from(s).unwrap_or(0));
    let status = status.unwrap_or(200);
    let mut headers: Vec<(String, String)> = response
        .get("headers")
        .and_then(Value::as_object)
        .map(|h| {
            h.iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str().map_or_else(|| v.to_string(), str::to_string),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let has_type = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
    let body = match response.get("data") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) => {
            if !has_type {
                headers.push(("content-type".into(), "text/plain; charset=utf-8".into()));
            }
            text.clone().into_bytes()
        }
        Some(data) => {
            if !has_type {
                headers.push(("content-type".into(), "application/json".into()));
            }
            data.to_string().into_bytes()
        }
    };
    Reply {
        status,
        headers,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_query_keys_become_arrays() {
        assert_eq!(
            query_object("a=1&b=x&a=2&a=3"),
            json!({ "a": ["1", "2", "3"], "b": "x" })
        );
        assert_eq!(
            query_object("validationToken=a%20b"),
            json!({ "validationToken": "a b" })
        );
    }

    #[test]
    fn reply_encodes_data_by_content_type() {
        let text = reply(Some(&json!({ "data": "token-123" })));
        assert_eq!(
            (text.status, text.body.as_slice()),
            (200, b"token-123".as_slice())
        );
        assert_eq!(
            text.headers,
            vec![(
                "content-type".to_string(),
                "text/plain; charset=utf-8".to_string()
            )]
        );
        let object = reply(Some(&json!({ "status": 202, "data": { "ok": true } })));
        assert_eq!(
            (object.status, object.body.as_slice()),
            (202, br#"{"ok":true}"#.as_slice())
        );
        assert_eq!(reply(None).status, 200);
    }
}
