//! Errors: Node's `formatError` and `improveStack`. The stack is printed (or `[Name: message]`
//! when it has no frames), keys it already shows are dropped, and frames shared with `cause` are
//! folded. Tricky: QuickJS stacks lack V8's `Name: message` first line, so it is synthesised.

use rquickjs::Object;

use super::inspector::Inspector;
use super::prefix::get_prefix;
use super::property::Key;
use super::raw;
use super::shared::truthy;

impl<'js> Inspector<'_, 'js> {
    /// Node's `formatError`: the stack (or `[Name: message]`), with duplicate keys dropped and
    /// `cause` / `errors` added to the keys.
    pub(super) fn format_error(
        &mut self,
        err: &Object<'js>,
        ctor: Option<&str>,
        tag: &str,
        keys: &mut Vec<Key<'js>>,
    ) -> String {
        let name = self.sh.get(err, "name");
        let name = match name.is_null() || name.is_undefined() {
            true => "Error".to_string(),
            false => self.sh.to_string(&name).unwrap_or_else(|| "Error".into()),
        };
        let stack = self.stack_string(err);
        self.remove_duplicate_error_keys(keys, err, &stack);
        for extra in ["cause", "errors"] {
            let present = match extra {
                "cause" => raw::has_property(self.ctx(), err.as_value(), extra),
                _ => self.sh.get(err, extra).is_array(),
            };
            if present && !keys.iter().any(|k| k.is(extra)) {
                keys.extend(self.str_key(extra));
            }
        }
        let stack = improve_stack(stack, ctor, &name, tag);
        let stack = self.wrap_stack(err, stack);
        match self.indent {
            0 => stack,
            n => stack.replace('\n', &format!("\n{}", " ".repeat(n))),
        }
    }

    /// `err.stack` if truthy, else `Error.prototype.toString`. QuickJS stacks lack the
    /// `Name: message` first line V8 has, so it is added.
    fn stack_string(&self, err: &Object<'js>) -> String {
        let stack = self.sh.get(err, "stack");
        if !truthy(self.sh, &stack) {
            return self.sh.error_to_string(err.as_value());
        }
        let stack = self.sh.to_string(&stack).unwrap_or_default();
        match stack.starts_with("    at ") {
            true => format!(
                "{}\n{}",
                self.sh.error_to_string(err.as_value()),
                stack.trim_end_matches('\n')
            ),
            false => stack,
        }
    }

    fn remove_duplicate_error_keys(
        &self,
        keys: &mut Vec<Key<'js>>,
        err: &Object<'js>,
        stack: &str,
    ) {
        if self.opts.show_hidden {
            return;
        }
        for name in ["name", "message", "stack"] {
            let Some(index) = keys.iter().position(|k| k.is(name)) else {
                continue;
            };
            let value = self.sh.get(err, name);
            let text = self.sh.to_string(&value).unwrap_or_default();
            if stack.contains(&text) {
                keys.remove(index);
            }
        }
    }

    /// Brackets a stack without frames; otherwise dedupes frames shared with `cause`.
    fn wrap_stack(&self, err: &Object<'js>, stack: String) -> String {
        let message = self.sh.get(err, "message");
        let mut pos = None;
        if truthy(self.sh, &message) {
            let text = self.sh.to_string(&message).unwrap_or_default();
            pos = stack.find(&text).filter(|p| *p != 0);
            if !message.is_string() {
                pos = pos.map(|_| 0);
            } else {
                pos = pos.map(|p| p + text.len());
            }
        }
        let from = pos.unwrap_or(0).min(stack.len());
        let Some(start) = stack
            .get(from..)
            .and_then(|s| s.find("\n    at"))
            .map(|p| p + from)
        else {
            return format!("[{stack}]");
        };
        let frames = self.stack_frames(err, &stack[start + 1..]);
        format!("{}\n{}", &stack[..start], frames.join("\n"))
    }

    fn stack_frames(&self, err: &Object<'js>, frames: &str) -> Vec<String> {
        let mut lines: Vec<String> = frames.split('\n').map(str::to_string).collect();
        let cause = self.sh.get(err, "cause");
        let Some(cause) = cause.as_object().filter(|c| self.sh.is_error(c.as_value())) else {
            return lines;
        };
        let cause_stack = self.stack_string(cause);
        let Some(at) = cause_stack.find("\n    at") else {
            return lines;
        };
        let cause_lines: Vec<&str> = cause_stack[at + 1..].split('\n').collect();
        let (len, offset) = identical_sequence_range(&lines, &cause_lines);
        if len > 0 {
            let skipped = len - 2;
            let msg = format!("    ... {skipped} lines matching cause stack trace ...");
            lines.splice(offset + 1..offset + 1 + skipped, [msg]);
        }
        lines
    }
}

/// Node's `identicalSequenceRange`.
fn identical_sequence_range(a: &[String], b: &[&str]) -> (usize, usize) {
    for i in 0..a.len().saturating_sub(3) {
        let Some(pos) = b.iter().position(|line| *line == a[i]) else {
            continue;
        };
        let rest = b.len() - pos;
        if rest > 3 {
            let max = (a.len() - i).min(rest);
            let mut len = 1;
            while max > len && a[i + len] == b[pos + len] {
                len += 1;
            }
            if len > 3 {
                return (len, i);
            }
        }
    }
    (0, 0)
}

/// Node's `improveStack`: puts the constructor name into the first line of "regular" errors.
fn improve_stack(stack: String, ctor: Option<&str>, name: &str, tag: &str) -> String {
    let mut len = name.len();
    let regular = name.ends_with("Error")
        && stack.starts_with(name)
        && matches!(stack.as_bytes().get(len), None | Some(b':') | Some(b'\n'));
    if ctor.is_some() && !regular {
        return stack;
    }
    let mut fallback = "Error".to_string();
    if ctor.is_none() {
        let found = null_proto_error_name(&stack).unwrap_or_default();
        len = found.len();
        fallback = if found.is_empty() {
            "Error".into()
        } else {
            found
        };
    }
    let mut prefix = get_prefix(ctor, tag, &fallback, "");
    prefix.pop();
    if name == prefix {
        return stack;
    }
    let rest = stack.get(len..).unwrap_or_default();
    match prefix.contains(name) {
        true if len == 0 => format!("{prefix}: {stack}"),
        true => format!("{prefix}{rest}"),
        false => format!("{prefix} [{name}]{rest}"),
    }
}

/// `/^([A-Z][a-z_ A-Z0-9[\]()-]+)(?::|\n {4}at)/` or `/^([a-z_A-Z0-9-]*Error)$/` on a stack.
fn null_proto_error_name(stack: &str) -> Option<String> {
    let class = |c: char| c.is_ascii_alphanumeric() || " _[]()-".contains(c);
    if stack.starts_with(|c: char| c.is_ascii_uppercase()) {
        let end = stack.find(|c: char| !class(c)).unwrap_or(stack.len());
        let rest = &stack[end..];
        if end > 1 && (rest.starts_with(':') || rest.starts_with("\n    at")) {
            return Some(stack[..end].to_string());
        }
    }
    let whole = stack
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    (whole && stack.ends_with("Error")).then(|| stack.to_string())
}
