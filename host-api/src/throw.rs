//! The one crossing from host errors to JS exceptions. Every binding reports a bad argument
//! through [`bad_argument`] (a `TypeError` naming the function and the argument), and any other
//! host failure through [`error`]; bindings never `unwrap` what JS handed them.

use rquickjs::object::Property;
use rquickjs::{Constructor, Ctx, Exception, Object, Value};

/// Throws `TypeError: createHmac: argument 'key' must be a string, Buffer or TypedArray (got number)`.
pub fn bad_argument(
    ctx: &Ctx<'_>,
    function: &str,
    argument: &str,
    expected: &str,
    got: &str,
) -> rquickjs::Error {
    let message = format!("{function}: argument '{argument}' must be {expected} (got {got})");
    Exception::throw_type(ctx, &message)
}

/// Throws `RangeError: function: message` (a value of the right type but out of range).
pub fn out_of_range(ctx: &Ctx<'_>, function: &str, message: &str) -> rquickjs::Error {
    Exception::throw_range(ctx, &format!("{function}: {message}"))
}

/// Throws `Error: function: message` for a failure that is not the caller's argument.
pub fn error(ctx: &Ctx<'_>, function: &str, message: &str) -> rquickjs::Error {
    Exception::throw_message(ctx, &format!("{function}: {message}"))
}

/// The JS type name of a value, for the `(got ...)` part of a message.
pub fn type_name(value: &rquickjs::Value<'_>) -> &'static str {
    use rquickjs::Type;
    match value.type_of() {
        Type::Undefined | Type::Uninitialized => "undefined",
        Type::Null => "null",
        Type::Bool => "boolean",
        Type::Int | Type::Float => "number",
        Type::String => "string",
        Type::Symbol => "symbol",
        Type::BigInt => "bigint",
        Type::Array => "array",
        Type::Function | Type::Constructor => "function",
        _ => "object",
    }
}

/// Throws a `DOMException` named `name` (`InvalidCharacterError`, `QuotaExceededError`, ...) that
/// the engine also sees as an Error object: QuickJS's own DOMException is not one, so a host that
/// reads thrown errors would lose its name, message and stack.
pub fn dom_exception(ctx: &Ctx<'_>, name: &str, message: &str) -> rquickjs::Error {
    let error = (|| -> rquickjs::Result<Object> {
        let error = Exception::from_message(ctx.clone(), message)?.into_object();
        if let Ok(class) = ctx.globals().get::<_, Constructor>("DOMException") {
            let model: Object = class.construct((message, name))?;
            error.set_prototype(model.get_prototype().as_ref())?;
            error.prop(
                "code",
                Property::from(model.get::<_, Value>("code")?)
                    .configurable()
                    .writable(),
            )?;
        }
        error.prop("name", Property::from(name).configurable().writable())?;
        Ok(error)
    })();
    match error {
        Ok(error) => ctx.throw(error.into_value()),
        Err(error) => error,
    }
}
