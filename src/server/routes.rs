//! Routing and the HTTP edge of each endpoint (DESIGN.md "HTTP interface"): reading bodies under
//! the size limit, the bearer token on `/api/*`, and turning results and [`ApiError`]s into
//! responses in one place.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response};
use serde_json::{Value, json};

use crate::api::{ApiError, event_view, log_view, subscription_view};
use crate::app::App;
use crate::ingress::{self, Delivery};
use crate::lifecycle::{self, CreateRequest};
use crate::store::Store;

type Reply = Response<Full<Bytes>>;

/// Answers one request.
pub async fn route<S: Store>(app: &Arc<App<S>>, request: Request<Incoming>) -> Reply {
    let path = request.uri().path().to_string();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let result = match segments.as_slice() {
        ["healthz"] => Ok(json_reply(200, &json!({ "status": "ok" }))),
        ["metrics"] => match app.store.status_counts().await {
            Ok(counts) => Ok(text_reply(
                app.metrics.render(app.runtime.sandboxes_alive(), &counts),
            )),
            Err(error) => Err(error.into()),
        },
        ["webhooks", id] => {
            let reply = webhook(app, Target::Subscription(id), request).await;
            app.metrics.webhook(
                reply
                    .as_ref()
                    .map_or_else(ApiError::status, |r| r.status().as_u16()),
            );
            reply
        }
        ["global-webhooks", connector, key] => {
            let reply = webhook(app, Target::Global(connector, key), request).await;
            app.metrics.webhook(
                reply
                    .as_ref()
                    .map_or_else(ApiError::status, |r| r.status().as_u16()),
            );
            reply
        }
        ["api", rest @ ..] => match authorized(app, &request) {
            Ok(()) => api(app, rest, request).await,
            Err(error) => Err(error),
        },
        _ => Err(ApiError::NotFound(format!("no route {path}"))),
    };
    result.unwrap_or_else(|error| error_reply(&error))
}

async fn api<S: Store>(
    app: &Arc<App<S>>,
    path: &[&str],
    request: Request<Incoming>,
) -> Result<Reply, ApiError> {
    let method = request.method().clone();
    let query = request.uri().query().unwrap_or("").to_string();
    match (&method, path) {
        (&Method::POST, ["subscriptions"]) => {
            let body = read_body(app, request).await?;
            let create: CreateRequest = serde_json::from_slice(&body)
                .map_err(|e| ApiError::BadRequest(format!("invalid subscription request: {e}")))?;
            let subscription = detached(
                app,
                |app| async move { lifecycle::create(&app, create).await },
            )
            .await?;
            Ok(json_reply(201, &subscription_view(&subscription)))
        }
        (&Method::GET, ["subscriptions"]) => list_subscriptions(app, &query).await,
        (&Method::GET, ["subscriptions", id]) => match app.store.subscription(id).await? {
            Some(s) => Ok(json_reply(200, &subscription_view(&s))),
            None => Err(ApiError::NotFound(format!("no subscription '{id}'"))),
        },
        (&Method::DELETE, ["subscriptions", id]) => {
            let id = id.to_string();
            detached(app, |app| async move { lifecycle::delete(&app, &id).await }).await?;
            Ok(empty_reply(204))
        }
        (&Method::POST, ["subscriptions", id, "refresh"]) => {
            let id = id.to_string();
            let subscription = detached(
                app,
                |app| async move { lifecycle::refresh(&app, &id).await },
            )
            .await?;
            Ok(json_reply(200, &subscription_view(&subscription)))
        }
        (&Method::GET, ["subscriptions", id, "logs"]) => {
            if app.store.subscription(id).await?.is_none() {
                return Err(ApiError::NotFound(format!("no subscription '{id}'")));
            }
            let logs = app.store.logs(id, limit(&query, 100)).await?;
            Ok(json_reply(
                200,
                &json!({ "logs": logs.iter().map(log_view).collect::<Vec<_>>() }),
            ))
        }
        (&Method::GET, ["events"]) => list_events(app, &query).await,
        (&Method::GET, ["connectors", key, "global-webhooks"]) => global_webhooks(app, key),
        (_, ["subscriptions", ..] | ["events"] | ["connectors", _, "global-webhooks"]) => Err(
            ApiError::MethodNotAllowed(format!("{method} is not allowed here")),
        ),
        _ => Err(ApiError::NotFound(format!(
            "no route /api/{}",
            path.join("/")
        ))),
    }
}

/// Runs a lifecycle operation to its end even if the caller hangs up: it calls the external app
/// (a webhook created, a subscription renewed), so stopping half-way would orphan what it made
/// there and leave no log. Shutdown waits for it.
async fn detached<S: Store, T: Send + 'static, F>(
    app: &Arc<App<S>>,
    work: impl FnOnce(Arc<App<S>>) -> F,
) -> Result<T, ApiError>
where
    F: Future<Output = Result<T, ApiError>> + Send + 'static,
{
    let operation = app.operation();
    let work = work(app.clone());
    let task = tokio::spawn(async move {
        let result = work.await;
        drop(operation);
        result
    });
    task.await.unwrap_or_else(|e| {
        Err(ApiError::Internal(format!(
            "the operation's task failed: {e}"
        )))
    })
}

async fn list_subscriptions<S: Store>(app: &App<S>, query: &str) -> Result<Reply, ApiError> {
    let after = param(query, "after");
    let limit = limit(query, 100);
    let page = app.store.subscriptions(after.as_deref(), limit).await?;
    let next = (page.len() == limit)
        .then(|| page.last().map(|s| s.id.clone()))
        .flatten();
    let views: Vec<Value> = page.iter().map(subscription_view).collect();
    Ok(json_reply(
        200,
        &json!({ "subscriptions": views, "next": next }),
    ))
}

async fn list_events<S: Store>(app: &App<S>, query: &str) -> Result<Reply, ApiError> {
    let after = match param(query, "after") {
        None => 0,
        Some(text) => text.parse::<i64>().map_err(|_| {
            ApiError::BadRequest(format!("`after` must be an event id, got '{text}'"))
        })?,
    };
    let events = app.store.events_after(after, limit(query, 100)).await?;
    let next = events.last().map_or(after, |e| e.id).to_string();
    let views: Vec<Value> = events.iter().map(event_view).collect();
    Ok(json_reply(200, &json!({ "events": views, "next": next })))
}

/// `GET /api/connectors/{key}/global-webhooks`: the URI to register in the external app for each
/// of the connector's global webhooks, with the deliveries that matched no subscription and the
/// last failure of its `handle` since start.
fn global_webhooks<S: Store>(app: &App<S>, key: &str) -> Result<Reply, ApiError> {
    let connector = crate::lifecycle::connector(app, key)?;
    let hooks: Vec<Value> = connector
        .global_webhooks
        .values()
        .map(|hook| {
            json!({
                "key": hook.key,
                "name": hook.name,
                "uri": app.config.global_webhook_uri(key, &hook.key),
                "unmatchedDeliveries": app.metrics.unmatched(key, &hook.key),
                "lastError": app.metrics.last_global_failure(key, &hook.key)
                    .map(|(at, message)| json!({ "at": at, "message": message })),
            })
        })
        .collect();
    Ok(json_reply(200, &json!({ "globalWebhooks": hooks })))
}

/// Where a webhook request goes.
enum Target<'a> {
    Subscription(&'a str),
    /// A connector's global webhook.
    Global(&'a str, &'a str),
}

async fn webhook<S: Store>(
    app: &Arc<App<S>>,
    target: Target<'_>,
    request: Request<Incoming>,
) -> Result<Reply, ApiError> {
    let method = request.method().to_string();
    let query = request.uri().query().map(str::to_string);
    let headers = request
        .headers()
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let body = read_body(app, request).await?;
    let delivery = Delivery {
        method,
        query,
        headers,
        body,
    };
    let reply = match target {
        Target::Subscription(id) => ingress::deliver(app, id, delivery).await?,
        Target::Global(connector, webhook) => {
            crate::global::deliver(app, connector, webhook, delivery).await?
        }
    };
    let mut response = Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        response = response.header(name, value);
    }
    Ok(response
        .body(Full::new(Bytes::from(reply.body)))
        .unwrap_or_else(|_| empty_reply(500)))
}

fn authorized<S: Store>(app: &App<S>, request: &Request<Incoming>) -> Result<(), ApiError> {
    let Some(token) = &app.config.api_token else {
        return Ok(());
    };
    let given = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let equal = given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if equal {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// Beyond the limit, up to this many more bytes are read and dropped, so that the client, still
/// sending, reads a clean 413 instead of a reset connection.
const DRAIN_BEYOND_LIMIT: usize = 16 << 20;

async fn read_body<S: Store>(app: &App<S>, request: Request<Incoming>) -> Result<Bytes, ApiError> {
    let limit = app.config.body_limit;
    let mut body = request.into_body();
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|e| ApiError::BadRequest(format!("could not read the request body: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen += data.len();
        if seen > limit + DRAIN_BEYOND_LIMIT {
            break;
        }
        if seen <= limit {
            bytes.extend_from_slice(&data);
        }
    }
    if seen > limit {
        return Err(ApiError::TooLarge(limit));
    }
    Ok(Bytes::from(bytes))
}

fn param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn limit(query: &str, default: usize) -> usize {
    param(query, "limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(default)
        .clamp(1, 1000)
}

fn json_reply(status: u16, body: &Value) -> Reply {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_else(|_| empty_reply(500))
}

fn text_reply(body: String) -> Reply {
    Response::builder()
        .header("content-type", "text/plain; version=0.0.4")
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| empty_reply(500))
}

fn empty_reply(status: u16) -> Reply {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    response
}

/// Every error becomes a status and a JSON body here; a 5xx is logged with its details.
fn error_reply(error: &ApiError) -> Reply {
    if error.status() >= 500 {
        tracing::error!(%error, "request failed");
    }
    json_reply(error.status(), &error.body())
}
