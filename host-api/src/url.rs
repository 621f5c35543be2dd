//! The natives under `URL` and `URLSearchParams` (`js/url.js`): WHATWG parsing, the setters and
//! `application/x-www-form-urlencoded` parsing, all by the `url` crate. A URL crosses as an array
//! of its components ([`COMPONENTS`]); the glue keeps that array and re-parses only on a set.
//! Strings with lone surrogates are made well-formed by the glue before they get here.

use rquickjs::function::{Func, Opt};
use rquickjs::{Array, Ctx, Exception, Object, Value};
use url::{Position, Url, quirks};

use crate::{HostState, throw};

/// The order of the components in the arrays the natives return (the glue reads them by index).
pub const COMPONENTS: [&str; 11] = [
    "href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname",
    "search", "hash",
];

/// Registers `parseUrl`, `canParseUrl`, `setUrlComponent` and `parseQuery` on `__host`.
pub fn install(ctx: &Ctx<'_>, host: &HostState) -> rquickjs::Result<()> {
    let _ = host;
    let natives = crate::glue::natives(ctx)?;
    natives.set("parseUrl", Func::from(parse_url))?;
    natives.set("canParseUrl", Func::from(can_parse_url))?;
    natives.set("setUrlComponent", Func::from(set_url_component))?;
    natives.set("parseQuery", Func::from(parse_query))?;
    Ok(())
}

/// `__host.parseUrl(input, base?)`: the components of `input` resolved against `base`, or a
/// `TypeError: Invalid URL` with Node's `code` and `input`.
fn parse_url<'js>(
    ctx: Ctx<'js>,
    input: Value<'js>,
    base: Opt<Value<'js>>,
) -> rquickjs::Result<Array<'js>> {
    let input = string_arg(&ctx, "parseUrl", "input", &input)?;
    let base = optional_string_arg(&ctx, "parseUrl", "base", base.0)?;
    match parse(&input, base.as_deref()) {
        Some(url) => components(&ctx, &url),
        None => Err(invalid_url(&ctx, &input, base.as_deref())),
    }
}

/// `__host.canParseUrl(input, base?)`: whether `parseUrl` would succeed.
fn can_parse_url<'js>(
    ctx: Ctx<'js>,
    input: Value<'js>,
    base: Opt<Value<'js>>,
) -> rquickjs::Result<bool> {
    let input = string_arg(&ctx, "canParseUrl", "input", &input)?;
    let base = optional_string_arg(&ctx, "canParseUrl", "base", base.0)?;
    Ok(parse(&input, base.as_deref()).is_some())
}

/// `__host.setUrlComponent(href, name, value)`: the components after setting one of them with
/// the WHATWG setter's rules. A setter given an unusable value leaves the URL as it was, except
/// `href`, which throws like the constructor.
fn set_url_component<'js>(
    ctx: Ctx<'js>,
    href: Value<'js>,
    name: Value<'js>,
    value: Value<'js>,
) -> rquickjs::Result<Array<'js>> {
    const FUNCTION: &str = "setUrlComponent";
    let href = string_arg(&ctx, FUNCTION, "href", &href)?;
    let name = string_arg(&ctx, FUNCTION, "name", &name)?;
    let value = string_arg(&ctx, FUNCTION, "value", &value)?;
    let mut url = Url::parse(&href).map_err(|_| invalid_url(&ctx, &href, None))?;
    let Some(applied) = apply(&mut url, &name, &value) else {
        return Err(throw::bad_argument(
            &ctx,
            FUNCTION,
            "name",
            "a URL component",
            &name,
        ));
    };
    if !applied && name == "href" {
        return Err(invalid_url(&ctx, &value, None));
    }
    normalize_drive_letter(&mut url);
    components(&ctx, &reparsed(url))
}

/// The URL as parsing its own href gives it. The `url` crate's setters can leave a serialisation
/// that does not round-trip: a `/.` kept before a path that no longer needs it
/// (`non-spec://h/.//p`), or, missing, a path starting with `//` on a URL without host, which
/// would read back as a host (`non-spec://p`).
fn reparsed(url: Url) -> Url {
    let text = if url.host().is_none() && url.path().starts_with("//") {
        format!("{}:/.{}", url.scheme(), &url[Position::BeforePath..])
    } else {
        url.as_str().to_string()
    };
    Url::parse(&text).unwrap_or(url)
}

/// Runs the WHATWG setter of component `name`: whether it took the value, or `None` for no such
/// component.
fn apply(url: &mut Url, name: &str, value: &str) -> Option<bool> {
    let applied = match name {
        "href" => quirks::set_href(url, value).is_ok(),
        "protocol" => quirks::set_protocol(url, value).is_ok(),
        "username" => quirks::set_username(url, value).is_ok(),
        "password" => quirks::set_password(url, value).is_ok(),
        "host" => quirks::set_host(url, value).is_ok(),
        "hostname" => quirks::set_hostname(url, value).is_ok(),
        "port" => quirks::set_port(url, value).is_ok(),
        "pathname" => {
            quirks::set_pathname(url, value);
            true
        }
        "search" => {
            quirks::set_search(url, value);
            true
        }
        "hash" => {
            quirks::set_hash(url, value);
            true
        }
        _ => return None,
    };
    Some(applied)
}

/// `__host.parseQuery(query)`: the name/value pairs of a form-urlencoded string (no leading `?`),
/// flattened: `[name0, value0, name1, value1, ...]`.
fn parse_query<'js>(ctx: Ctx<'js>, query: Value<'js>) -> rquickjs::Result<Array<'js>> {
    let query = string_arg(&ctx, "parseQuery", "query", &query)?;
    let pairs = Array::new(ctx.clone())?;
    for (index, (name, value)) in url::form_urlencoded::parse(query.as_bytes()).enumerate() {
        pairs.set(2 * index, name.as_ref())?;
        pairs.set(2 * index + 1, value.as_ref())?;
    }
    Ok(pairs)
}

fn parse(input: &str, base: Option<&str>) -> Option<Url> {
    let mut url = match base {
        Some(base) => Url::parse(base).ok()?.join(input).ok()?,
        None => Url::parse(input).ok()?,
    };
    normalize_drive_letter(&mut url);
    Some(url)
}

/// `file:///C|/x` → `file:///C:/x`: the WHATWG path state normalises a Windows drive letter
/// written with `|` (Node does), the `url` crate keeps the `|`.
fn normalize_drive_letter(url: &mut Url) {
    if url.scheme() != "file" {
        return;
    }
    let path = url.path();
    let bytes = path.as_bytes();
    let is_drive = bytes.len() >= 3 && bytes[1].is_ascii_alphabetic() && bytes[2] == b'|';
    if is_drive && matches!(bytes.get(3), None | Some(b'/')) {
        let fixed = format!("/{}:{}", &path[1..2], &path[3..]);
        url.set_path(&fixed);
    }
}

fn components<'js>(ctx: &Ctx<'js>, url: &Url) -> rquickjs::Result<Array<'js>> {
    let origin = origin(url);
    let values: [&str; 11] = [
        quirks::href(url),
        &origin,
        quirks::protocol(url),
        quirks::username(url),
        quirks::password(url),
        quirks::host(url),
        quirks::hostname(url),
        quirks::port(url),
        quirks::pathname(url),
        quirks::search(url),
        quirks::hash(url),
    ];
    let array = Array::new(ctx.clone())?;
    for (index, value) in values.into_iter().enumerate() {
        array.set(index, value)?;
    }
    Ok(array)
}

/// The WHATWG origin; a `blob:` URL has its inner URL's only if that is http(s) (the `url` crate
/// gives it for any inner URL with a tuple origin).
fn origin(url: &Url) -> String {
    if url.scheme() == "blob" {
        let inner = Url::parse(url.path()).ok();
        if !inner.is_some_and(|inner| matches!(inner.scheme(), "http" | "https")) {
            return "null".into();
        }
    }
    quirks::origin(url)
}

/// Throws Node's `TypeError: Invalid URL` (`code: 'ERR_INVALID_URL'`, `input`, and `base` if any).
fn invalid_url(ctx: &Ctx<'_>, input: &str, base: Option<&str>) -> rquickjs::Error {
    let error = Exception::throw_type(ctx, "Invalid URL");
    let Some(exception) = ctx.catch().into_object() else {
        return error;
    };
    let _ = decorate(&exception, input, base);
    ctx.throw(exception.into_value())
}

fn decorate(error: &Object<'_>, input: &str, base: Option<&str>) -> rquickjs::Result<()> {
    error.set("code", "ERR_INVALID_URL")?;
    error.set("input", input)?;
    if let Some(base) = base {
        error.set("base", base)?;
    }
    Ok(())
}

/// A string argument, or a `TypeError` naming `function` and `argument`.
fn string_arg(
    ctx: &Ctx<'_>,
    function: &str,
    argument: &str,
    value: &Value<'_>,
) -> rquickjs::Result<String> {
    match value.as_string().map(|s| s.to_string()) {
        Some(Ok(text)) => Ok(text),
        Some(Err(_)) => Err(throw::bad_argument(
            ctx,
            function,
            argument,
            "a well-formed string",
            "string",
        )),
        None => Err(throw::bad_argument(
            ctx,
            function,
            argument,
            "a string",
            throw::type_name(value),
        )),
    }
}

fn optional_string_arg(
    ctx: &Ctx<'_>,
    function: &str,
    argument: &str,
    value: Option<Value<'_>>,
) -> rquickjs::Result<Option<String>> {
    match value {
        Some(value) if !value.is_undefined() => {
            string_arg(ctx, function, argument, &value).map(Some)
        }
        _ => Ok(None),
    }
}
