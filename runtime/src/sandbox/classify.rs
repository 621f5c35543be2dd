//! The one crossing from JS errors to host errors: a caught JS value becomes a [`JsException`]
//! (name, message, stack, file:line), and the engine's limit errors become their typed variants.

use rquickjs::{CaughtError, Ctx, Value};

use crate::error::{InvokeError, JsException, Location};

/// The exception behind `caught`, as the author needs it.
pub fn exception<'js>(ctx: &Ctx<'js>, caught: CaughtError<'js>) -> JsException {
    match caught {
        CaughtError::Exception(e) => {
            let name: String = e
                .get::<_, Option<String>>("name")
                .ok()
                .flatten()
                .unwrap_or_else(|| "Error".into());
            let stack = e.stack().unwrap_or_default();
            let data = e.get::<_, Value>("data").ok().filter(|d| d.is_object());
            let status = e
                .get::<_, Option<rquickjs::Object>>("response")
                .ok()
                .flatten()
                .and_then(|r| r.get::<_, Option<f64>>("status").ok().flatten())
                .filter(|s| (100.0..600.0).contains(s))
                .map(|s| s as u16);
            JsException {
                name,
                message: e.message().unwrap_or_default(),
                location: Location::from_stack(&stack),
                stack,
                data: data.and_then(|d| super::marshal::from_js(ctx, d).ok()),
                status,
            }
        }
        CaughtError::Value(value) => thrown_value(ctx, &value),
        CaughtError::Error(e) => JsException {
            name: "InternalError".into(),
            message: e.to_string(),
            stack: String::new(),
            location: None,
            data: None,
            status: None,
        },
    }
}

fn thrown_value<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> JsException {
    if let Some(error) = error_like(value) {
        return error;
    }
    JsException {
        name: "(thrown value)".into(),
        message: format!(
            "a non-Error value was thrown: {}",
            host_api::inspect::inspect(ctx, value)
        ),
        stack: String::new(),
        location: None,
        data: None,
        status: None,
    }
}

/// An object with a string `name` and `message` that the engine does not count as an Error (a
/// `DOMException`, a hand-made error object): reported by its name and message.
fn error_like(value: &Value<'_>) -> Option<JsException> {
    let object = value.as_object()?;
    let name = object.get::<_, Option<String>>("name").ok().flatten()?;
    let message = object.get::<_, Option<String>>("message").ok().flatten()?;
    let stack = object
        .get::<_, Option<String>>("stack")
        .ok()
        .flatten()
        .unwrap_or_default();
    Some(JsException {
        name,
        message,
        location: Location::from_stack(&stack),
        stack,
        data: None,
        status: None,
    })
}

/// Sorts an exception into the limit it reports, if any.
pub fn classify(exception: JsException, memory_limit: usize) -> InvokeError {
    let location = exception.location.clone();
    match (exception.name.as_str(), exception.message.as_str()) {
        ("InternalError", "out of memory") => InvokeError::OutOfMemory {
            limit: memory_limit,
            location,
        },
        ("RangeError", "Maximum call stack size exceeded")
        | ("InternalError", "stack overflow") => InvokeError::StackOverflow { location },
        _ => InvokeError::Exception(Box::new(exception)),
    }
}
