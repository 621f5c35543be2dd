//! Placeholder: Node-style formatting of console arguments (being written in full).

use rquickjs::{Ctx, Value};

pub fn format_args<'js>(ctx: &Ctx<'js>, args: &[Value<'js>]) -> String {
    args.iter().map(|v| inspect(ctx, v)).collect::<Vec<_>>().join(" ")
}

pub fn inspect<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> String {
    let _ = ctx;
    if let Some(s) = value.as_string() {
        return s.to_string().unwrap_or_default();
    }
    format!("{value:?}")
}
