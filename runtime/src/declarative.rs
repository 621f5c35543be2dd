//! Declarative methods: templates the host evaluates instead of JavaScript. `mapping` (handle,
//! getEventSelector, makeApiClient) runs in Rust alone, with no sandbox: the fastest path.
//! `rest-api-mapping` and `graphql-api-mapping` evaluate their request in Rust, send it through the
//! invocation's apiClient in the subscription's sandbox (so makeApiClient's base URI, headers,
//! default query and auth apply exactly as they do for JavaScript), then map the response in Rust.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::connector::{Connector, ImplementationType};
use crate::error::{InvokeError, JsException};
use crate::mapping;

/// The result of mapping method `file` over `inputs`; a template that yields nothing gives `null`.
/// Past `timeout` it fails as a timeout, like JavaScript.
pub fn mapping(
    connector: &Connector,
    file: &str,
    inputs: &Value,
    timeout: Duration,
) -> Result<Value, InvokeError> {
    let template = template(connector, file)?;
    let deadline = Instant::now() + timeout;
    match mapping::evaluate_until(template, inputs, Some(deadline)) {
        Ok(value) => Ok(value.unwrap_or(Value::Null)),
        Err(_) if Instant::now() >= deadline => Err(InvokeError::Timeout(timeout)),
        Err(e) => Err(InvokeError::Mapping(format!("{file}: {e}"))),
    }
}

/// The request `{method, path, query, data, headers}` a REST or GraphQL method makes.
pub fn request(
    kind: ImplementationType,
    connector: &Connector,
    file: &str,
    args: &Value,
) -> Result<Value, InvokeError> {
    let template = template(connector, file)?;
    match kind {
        ImplementationType::GraphqlApiMapping => graphql_request(file, template, args),
        _ => rest_request(file, template, args),
    }
}

/// The method's result from the response `{status, headers, data}` to its request.
pub fn respond(
    kind: ImplementationType,
    connector: &Connector,
    file: &str,
    args: &Value,
    response: Value,
) -> Result<Value, InvokeError> {
    let template = template(connector, file)?;
    let response = match kind {
        ImplementationType::GraphqlApiMapping => graphql_body(file, response)?,
        _ => with_status_code(response),
    };
    let Some(mapping) = template.get("responseMapping") else {
        return Ok(response.get("data").cloned().unwrap_or(Value::Null));
    };
    let mut inputs = args.as_object().cloned().unwrap_or_default();
    inputs.insert("response".into(), response);
    Ok(evaluate(file, "responseMapping", mapping, &Value::Object(inputs))?.unwrap_or(Value::Null))
}

fn template<'c>(connector: &'c Connector, file: &str) -> Result<&'c Value, InvokeError> {
    connector.template(file).map(|t| t.as_ref()).ok_or_else(|| {
        InvokeError::NotFound(format!(
            "no template '{file}' in connector '{}'",
            connector.key
        ))
    })
}

fn evaluate(
    file: &str,
    part: &str,
    template: &Value,
    inputs: &Value,
) -> Result<Option<Value>, InvokeError> {
    let place = if part.is_empty() {
        file.to_string()
    } else {
        format!("{file} ({part})")
    };
    mapping::evaluate_until(template, inputs, Some(Instant::now() + TEMPLATE_DEADLINE))
        .map_err(|e| InvokeError::Mapping(format!("{place}: {e}")))
}

/// How long one request or response template of a REST or GraphQL method may take.
const TEMPLATE_DEADLINE: Duration = Duration::from_secs(5);

fn rest_request(file: &str, template: &Value, args: &Value) -> Result<Value, InvokeError> {
    let bad = |what: &str| InvokeError::Mapping(format!("{file}: {what}"));
    let path = template
        .get("path")
        .and_then(Value::as_str)
        .ok_or_else(|| bad("`path` is required and must be a string"))?;
    let method = template
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or("get")
        .to_ascii_uppercase();
    let mapping = template
        .get("requestMapping")
        .cloned()
        .unwrap_or(Value::Null);
    let part =
        |key: &str| -> Result<Value, InvokeError> {
            match mapping.get(key) {
                Some(t) => Ok(evaluate(file, &format!("requestMapping.{key}"), t, args)?
                    .unwrap_or(Value::Null)),
                None => Ok(Value::Null),
            }
        };
    let path = fill_path(file, path, &part("pathParameters")?)?;
    Ok(
        json!({ "method": method, "path": path, "query": part("query")?, "data": part("data")?, "headers": part("headers")? }),
    )
}

fn graphql_request(file: &str, template: &Value, args: &Value) -> Result<Value, InvokeError> {
    let query = template
        .get("query")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            InvokeError::Mapping(format!(
                "{file}: `query` (the GraphQL document) is required and must be a string"
            ))
        })?;
    let variables = match template.get("variables") {
        Some(t) => evaluate(file, "variables", t, args)?.unwrap_or(Value::Null),
        None => Value::Object(Map::new()),
    };
    let path = template.get("path").and_then(Value::as_str).unwrap_or("");
    Ok(
        json!({ "method": "POST", "path": path, "data": { "query": query, "variables": variables } }),
    )
}

/// The GraphQL answer itself (`{data, errors, extensions}`); `errors` fail the call.
fn graphql_body(file: &str, response: Value) -> Result<Value, InvokeError> {
    let body = response.get("data").cloned().unwrap_or(Value::Null);
    let errors = body
        .get("errors")
        .and_then(Value::as_array)
        .filter(|e| !e.is_empty());
    let Some(errors) = errors else {
        return Ok(body);
    };
    let messages: Vec<&str> = errors
        .iter()
        .map(|e| {
            e.get("message")
                .and_then(Value::as_str)
                .unwrap_or("(no message)")
        })
        .collect();
    Err(InvokeError::Exception(Box::new(JsException {
        name: "GraphQLError".into(),
        message: format!(
            "{file}: the GraphQL API answered with errors: {}",
            messages.join("; ")
        ),
        stack: String::new(),
        location: None,
        data: Some(json!({ "type": "connection", "data": body })),
        status: None,
    })))
}

/// The SDK's response has `status`; some templates read `statusCode`.
fn with_status_code(mut response: Value) -> Value {
    if let Some(object) = response.as_object_mut() {
        let status = object.get("status").cloned().unwrap_or(Value::Null);
        object.insert("statusCode".into(), status);
    }
    response
}

/// `/hooks/{id}` with `{id}` from `parameters`, percent-encoded.
fn fill_path(file: &str, path: &str, parameters: &Value) -> Result<String, InvokeError> {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let name = &rest[open + 1..open + close];
        let value = match parameters.get(name) {
            Some(Value::String(s)) if s == "." || s == ".." => {
                return Err(InvokeError::Mapping(format!(
                    "{file}: path parameter '{name}' is '{s}', which would change the path"
                )));
            }
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => {
                return Err(InvokeError::Mapping(format!(
                    "{file}: path parameter '{name}' has no value"
                )));
            }
            Some(other) => other.to_string(),
        };
        out.push_str(&rest[..open]);
        out.push_str(&percent_encode(&value));
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_placeholders_are_filled_and_encoded() {
        let parameters = json!({ "id": "a b/c", "n": 7 });
        assert_eq!(
            fill_path("f", "/hooks/{id}/x/{n}", &parameters).unwrap(),
            "/hooks/a%20b%2Fc/x/7"
        );
        let error = fill_path("f", "/hooks/{missing}", &parameters).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("path parameter 'missing' has no value"),
            "{error}"
        );
    }

    #[test]
    fn graphql_errors_fail_with_their_messages() {
        let response = json!({ "status": 200, "data": { "errors": [{ "message": "bad id" }, { "message": "denied" }] } });
        let error = graphql_body("r.graphql.yml", response).unwrap_err();
        assert!(error.to_string().contains("bad id; denied"), "{error}");
    }
}
