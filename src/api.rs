//! What the HTTP API says: the one mapping of errors to statuses (5xx bodies say nothing internal;
//! the details go to the log), and the JSON views of stored things. Credentials never appear here.

use runtime::InvokeError;
use serde_json::{Value, json};

use crate::store::{InvocationLog, StoreError, StoredEvent, Subscription};

/// A failed API or ingress request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("invalid parameters: {}", .0.join("; "))]
    InvalidParameters(Vec<String>),
    #[error("missing or wrong bearer token")]
    Unauthorized,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("subscription {0} was deleted")]
    Gone(String),
    /// The request cannot run now (the subscription is being re-created).
    #[error("{0}")]
    Conflict(String),
    /// The external app lost the subscription and it could not be re-created.
    #[error("{0}")]
    Expired(String),
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    /// A connector method failed where the caller must know why (subscribe, unsubscribe, refresh).
    #[error("{method} failed: {error}")]
    Upstream {
        method: String,
        error: Box<InvokeError>,
        console: Value,
    },
    /// `handle` failed: the external app gets a short 500; the details are in the invocation log.
    #[error("the webhook could not be handled")]
    HandleFailed,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            ApiError::BadRequest(_) | ApiError::InvalidParameters(_) => 400,
            ApiError::Unauthorized => 401,
            ApiError::NotFound(_) => 404,
            ApiError::MethodNotAllowed(_) => 405,
            ApiError::Gone(_) => 410,
            ApiError::Conflict(_) => 409,
            ApiError::Expired(_) => 502,
            ApiError::TooLarge(_) => 413,
            ApiError::HandleFailed | ApiError::Store(_) | ApiError::Internal(_) => 500,
            ApiError::Upstream { .. } => 502,
        }
    }

    /// The JSON body: `{error: {status, message, ...}}`; a 5xx says nothing internal.
    pub fn body(&self) -> Value {
        let mut error = json!({ "status": self.status(), "message": self.to_string() });
        match self {
            ApiError::InvalidParameters(violations) => error["violations"] = json!(violations),
            ApiError::Upstream {
                error: failure,
                console,
                ..
            } => {
                error["kind"] = json!(failure.kind());
                error["stack"] = json!(failure.stack());
                error["location"] = json!(failure.location().map(ToString::to_string));
                // What the external app answered, when an apiClient call failed (the SDK's
                // `ConnectionError.data.data`): often the only explanation there is.
                if let InvokeError::Exception(e) = failure.as_ref()
                    && let Some(answer) = e.data.as_ref().and_then(|d| d.get("data"))
                {
                    error["response"] = excerpt(answer);
                }
                error["console"] = console.clone();
            }
            ApiError::Store(_) | ApiError::Internal(_) => {
                error["message"] = json!("internal error")
            }
            _ => {}
        }
        json!({ "error": error })
    }
}

/// Larger upstream answers are cut to this many bytes of their JSON text in a 502.
const RESPONSE_EXCERPT: usize = 4096;

/// The external app's answer as a 502 shows it: whole when small, else the start of its text.
fn excerpt(answer: &Value) -> Value {
    let text = answer.to_string();
    if text.len() <= RESPONSE_EXCERPT {
        return answer.clone();
    }
    let mut end = RESPONSE_EXCERPT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    json!(format!("{}… ({} bytes in all)", &text[..end], text.len()))
}

/// A subscription as the API shows it.
pub fn subscription_view(s: &Subscription) -> Value {
    json!({
        "id": s.id,
        "connector": s.connector,
        "event": s.event,
        "status": s.status.as_str(),
        "webhookUri": s.webhook_uri,
        "parameters": s.parameters,
        "state": s.state,
        "nextRefreshTimestamp": s.next_refresh_at,
        "lastError": s.last_error,
        "refreshFailures": s.refresh_failures,
        "recreateFailures": s.recreate_failures,
        "createdAt": s.created_at,
        "updatedAt": s.updated_at,
    })
}

pub fn event_view(stored: &StoredEvent) -> Value {
    let e = &stored.event;
    let mut view = json!({
        "id": stored.id.to_string(),
        "subscriptionId": e.subscription_id,
        "connector": e.connector,
        "event": e.event,
        "receivedAt": e.received_at,
    });
    match e.kind.as_deref() {
        Some(kind @ ("created" | "updated" | "deleted")) => {
            view["type"] = json!(kind);
            view["record"] = e.body.clone();
        }
        kind => {
            view["type"] = json!(kind.unwrap_or("payload"));
            view["payload"] = e.body.clone();
        }
    }
    view
}

pub fn log_view(log: &InvocationLog) -> Value {
    json!({
        "method": log.method,
        "startedAt": log.started_at,
        "durationMicros": log.duration_micros,
        "outcome": log.outcome,
        "console": log.console,
        "error": log.error,
    })
}
