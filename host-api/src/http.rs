//! Outgoing HTTP for connector code: the one way a connector reaches the network, through a reqwest
//! client with a per-request timeout, a response size cap and limited redirects. Requests run on
//! the runtime of the thread that makes them: each JS worker has its own client, so connections
//! never cross runtimes and a reply wakes only the worker waiting for it.
//! `__host.httpRequest(request)` is the native that `apiClient` and `fetch` are built on.
//! Error messages name the method and the URL without its query string, which may hold secrets.

use std::time::Duration;

use rquickjs::function::{Async, Func};
use rquickjs::{ArrayBuffer, Ctx, Exception, Object, Value};

use crate::throw;

/// Limits of outgoing requests.
#[derive(Clone, Debug)]
pub struct HttpLimits {
    /// Whole-request timeout (connect, send, receive). Default 30 s; the invocation's deadline
    /// still applies on top.
    pub timeout: Duration,
    /// Largest response body accepted. Default 16 MiB.
    pub max_response_bytes: usize,
    /// Redirects followed. Default 5.
    pub max_redirects: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            timeout: Duration::from_secs(30),
            max_response_bytes: 16 << 20,
            max_redirects: 5,
        }
    }
}

/// Requests one sandbox has in flight at once; more wait their turn.
pub const MAX_IN_FLIGHT: usize = 16;

/// A request as the natives receive it.
#[derive(Debug)]
pub struct Request {
    pub method: reqwest::Method,
    pub url: url::Url,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// A response with its whole body read.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub status_text: String,
    /// Lowercased names, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The URL after redirects.
    pub url: String,
}

/// An HTTP client; clones share its connection pool. Use it from one tokio runtime only.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    limits: HttpLimits,
}

impl std::fmt::Debug for Http {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Http")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl Http {
    pub fn new(limits: HttpLimits) -> std::io::Result<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(limits.timeout)
            .redirect(reqwest::redirect::Policy::limited(limits.max_redirects))
            .user_agent(concat!("connector-runtime/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(std::io::Error::other)?;
        Ok(Http { client, limits })
    }

    /// Sends `request` and reads the whole response.
    pub async fn send(&self, request: Request) -> Result<Response, String> {
        send(self.client.clone(), request, self.limits.max_response_bytes).await
    }
}

async fn send(client: reqwest::Client, request: Request, max: usize) -> Result<Response, String> {
    let what = describe(&request.method, &request.url);
    let mut builder = client.request(request.method, request.url);
    for (name, value) in request.headers {
        builder = builder.header(name, value);
    }
    if let Some(body) = request.body {
        builder = builder.body(body);
    }
    let mut response = builder
        .send()
        .await
        .map_err(|e| format!("{what} failed: {}", cause(&e)))?;
    let status = response.status();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let url = response.url().to_string();
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("{what}: reading the response failed: {}", cause(&e)))?
    {
        if body.len() + chunk.len() > max {
            return Err(format!(
                "{what}: the response is larger than {} MiB",
                max >> 20
            ));
        }
        body.extend_from_slice(&chunk);
    }
    let status_text = status.canonical_reason().unwrap_or("").to_string();
    Ok(Response {
        status: status.as_u16(),
        status_text,
        headers,
        body,
        url,
    })
}

/// `POST https://api.example.com/hooks`: the query string is left out, it may carry a key.
pub fn describe(method: &reqwest::Method, url: &url::Url) -> String {
    let mut shown = url.clone();
    shown.set_query(None);
    shown.set_fragment(None);
    let _ = shown.set_password(None);
    let _ = shown.set_username("");
    format!("{method} {shown}")
}

/// The error and its causes, without the URL reqwest would add (its query may hold a key).
fn cause(error: &reqwest::Error) -> String {
    let timeout = error.is_timeout();
    let mut text = kind_of(error).to_string();
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    if timeout {
        format!("timed out ({text})")
    } else {
        text
    }
}

/// What kind of failure it was, in words, with no URL in it.
fn kind_of(error: &reqwest::Error) -> &'static str {
    if error.is_timeout() {
        "operation timed out"
    } else if error.is_connect() {
        "could not connect"
    } else if error.is_redirect() {
        "too many redirects"
    } else if error.is_body() || error.is_decode() {
        "error reading the response"
    } else if error.is_request() {
        "error sending the request"
    } else {
        "request failed"
    }
}

/// Registers `__host.httpRequest({method, url, headers, body}) → Promise<{status, statusText,
/// headers: [[name, value]], body: ArrayBuffer, url}>`. Without an [`Http`] (tests, `check`) the
/// native rejects: this context has no network.
pub fn install<'js>(ctx: &Ctx<'js>, http: Option<Http>) -> rquickjs::Result<()> {
    // Per sandbox: responses are buffered outside the JS heap while they download.
    let permits = std::rc::Rc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    let request = move |ctx: Ctx<'js>, spec: Value<'js>| {
        let (http, permits) = (http.clone(), permits.clone());
        let parsed = parse_request(&ctx, &spec);
        async move {
            let request = parsed?;
            let Some(http) = http else {
                return Err(Exception::throw_message(
                    &ctx,
                    "network access is not available here",
                ));
            };
            let _permit = permits.acquire().await;
            let response = http
                .send(request)
                .await
                .map_err(|e| Exception::throw_message(&ctx, &e))?;
            response_object(&ctx, response)
        }
    };
    crate::glue::natives(ctx)?.set("httpRequest", Func::from(Async(request)))
}

fn parse_request<'js>(ctx: &Ctx<'js>, spec: &Value<'js>) -> rquickjs::Result<Request> {
    let name = "httpRequest";
    let spec = spec.as_object().ok_or_else(|| {
        throw::bad_argument(ctx, name, "request", "an object", throw::type_name(spec))
    })?;
    let method: String = spec
        .get::<_, Option<String>>("method")?
        .unwrap_or_else(|| "GET".into());
    let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        .map_err(|_| throw::bad_argument(ctx, name, "method", "an HTTP method", &method))?;
    let url: String = spec
        .get("url")
        .map_err(|_| throw::bad_argument(ctx, name, "url", "a string", "other"))?;
    let url = url::Url::parse(&url).map_err(|e| {
        throw::bad_argument(
            ctx,
            name,
            "url",
            "an absolute URL",
            &format!("{url:?}: {e}"),
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(throw::bad_argument(
            ctx,
            name,
            "url",
            "an http or https URL",
            url.scheme(),
        ));
    }
    let headers = header_pairs(ctx, spec.get("headers")?)?;
    let body = body_bytes(ctx, spec.get("body")?)?;
    Ok(Request {
        method,
        url,
        headers,
        body,
    })
}

fn header_pairs<'js>(
    ctx: &Ctx<'js>,
    headers: Value<'js>,
) -> rquickjs::Result<Vec<(String, String)>> {
    let Some(pairs) = headers.as_array() else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(pairs.len());
    for pair in pairs.iter::<rquickjs::Array>() {
        let pair = pair?;
        let (name, value): (String, String) = (pair.get(0)?, pair.get(1)?);
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err()
            || reqwest::header::HeaderValue::from_str(&value).is_err()
        {
            return Err(throw::bad_argument(
                ctx,
                "httpRequest",
                "headers",
                "valid HTTP header names and values",
                &name,
            ));
        }
        out.push((name, value));
    }
    Ok(out)
}

fn body_bytes<'js>(ctx: &Ctx<'js>, body: Value<'js>) -> rquickjs::Result<Option<Vec<u8>>> {
    if body.is_undefined() || body.is_null() {
        return Ok(None);
    }
    if let Some(text) = body.as_string() {
        return Ok(Some(text.to_string()?.into_bytes()));
    }
    if let Some(bytes) = crate::bytes::copy_bytes(&body) {
        return Ok(Some(bytes));
    }
    Err(throw::bad_argument(
        ctx,
        "httpRequest",
        "body",
        "a string, Uint8Array or ArrayBuffer",
        throw::type_name(&body),
    ))
}

/// The body is copied onto the JS heap (not handed over), so the sandbox memory limit counts it.
fn response_object<'js>(ctx: &Ctx<'js>, response: Response) -> rquickjs::Result<Object<'js>> {
    let object = Object::new(ctx.clone())?;
    object.set("status", response.status)?;
    object.set("statusText", response.status_text)?;
    let headers = rquickjs::Array::new(ctx.clone())?;
    for (i, (name, value)) in response.headers.into_iter().enumerate() {
        headers.set(i, vec![name, value])?;
    }
    object.set("headers", headers)?;
    object.set("body", ArrayBuffer::new_copy(ctx.clone(), &response.body)?)?;
    object.set("url", response.url)?;
    Ok(object)
}
