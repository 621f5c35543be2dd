//! `$tpl: {template, values}`: for each key of `values` in turn, every `{key}` in the text is
//! replaced by the built value. As in the SDK the key is the source of a JS regular expression
//! (`new RegExp('\\{' + key + '\\}', 'g')`, run here by `regress`, an ECMAScript regex engine), and
//! the replacement text honours `$&`, `` $` ``, `$'`, `$$` and `$1`. A template that is no string is
//! returned as written.

use serde_json::Value;

use super::build::{Builder, Result};
use super::formulas::arg;
use super::value::{Built, Scope, Val, as_ref};
use super::{MappingError, js};

/// One entry of `values`: a template to build, or a character of a string `values`.
enum Entry<'t> {
    Template(&'t Value),
    Char(String),
}

impl Builder {
    pub(super) fn tpl<'v>(&mut self, args: &'v Value, scope: &Scope<'v, '_>) -> Result<Built<'v>> {
        let template = arg(args, "template");
        let Some(Value::String(text)) = template else {
            return Ok(template.map(Val::Ref));
        };
        let mut text = text.clone();
        for (key, entry) in entries(arg(args, "values")) {
            let replacement = match entry {
                Entry::Char(c) => c,
                Entry::Template(t) => {
                    let built = self.build_at(Some(t), scope, &format!("values/{key}"))?;
                    match as_ref(&built) {
                        None | Some(Value::Null) => String::new(),
                        Some(v) => js::value_to_string(v),
                    }
                }
            };
            text = replace_all(&text, &key, &replacement)
                .map_err(|m| MappingError::formula("$tpl", m).within(format!("values/{key}")))?;
        }
        Ok(Some(Val::Own(Value::String(text))))
    }
}

/// `Object.keys(values ?? {})` with the values they name.
fn entries(values: Option<&Value>) -> Vec<(String, Entry<'_>)> {
    match values {
        Some(Value::Object(map)) => js::entries(map)
            .into_iter()
            .map(|(k, v)| (k.clone(), Entry::Template(v)))
            .collect(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), Entry::Template(v)))
            .collect(),
        Some(Value::String(s)) => s
            .chars()
            .enumerate()
            .map(|(i, c)| (i.to_string(), Entry::Char(c.to_string())))
            .collect(),
        _ => Vec::new(),
    }
}

/// The longest text `$tpl` builds: `$'` and `` $` `` in data-borne replacements copy the rest of
/// the text at every match, which grows quadratically.
const MAX_OUTPUT: usize = 8 << 20;

/// `text.replace(new RegExp('\\{' + key + '\\}', 'g'), replacement)`.
pub(super) fn replace_all(
    text: &str,
    key: &str,
    replacement: &str,
) -> std::result::Result<String, String> {
    let regex = placeholder(key)?;
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut from = 0;
    while from <= text.len() {
        let Some(m) = regex.find_from(text, from).next() else {
            break;
        };
        let range = m.range();
        out.push_str(&text[copied..range.start]);
        substitute(&mut out, replacement, text, &m);
        if out.len() > MAX_OUTPUT {
            return Err(format!("the text grows beyond {} MiB", MAX_OUTPUT >> 20));
        }
        if super::build::Deadline::check().is_err() {
            return Err("ran past the invocation's deadline".into());
        }
        copied = range.end;
        from = if range.is_empty() {
            range.end + text[range.end..].chars().next().map_or(1, char::len_utf8)
        } else {
            range.end
        };
    }
    out.push_str(&text[copied.min(text.len())..]);
    Ok(out)
}

/// The placeholder pattern for `key`; `Err` where JS would throw a `SyntaxError`.
pub(super) fn placeholder(key: &str) -> std::result::Result<regress::Regex, String> {
    regress::Regex::new(&format!("\\{{{key}\\}}"))
        .map_err(|e| format!("the placeholder `{key}` is no valid regular expression: {e}"))
}

/// `GetSubstitution`: the replacement text with its `$` patterns expanded.
fn substitute(out: &mut String, replacement: &str, text: &str, m: &regress::Match) {
    let range = m.range();
    let groups = m.captures.len();
    let group = |i: usize| m.group(i).map_or("", |r| &text[r]);
    let mut rest = replacement;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let bytes = after.as_bytes();
        let (text_for, used) = match bytes.first() {
            Some(b'$') => ("$", 1),
            Some(b'&') => (&text[range.clone()], 1),
            Some(b'`') => (&text[..range.start], 1),
            Some(b'\'') => (&text[range.end..], 1),
            Some(d) if d.is_ascii_digit() => match group_reference(bytes, groups) {
                Some((i, used)) => (group(i), used),
                None => ("$", 0),
            },
            Some(b'<') if m.named_groups().next().is_some() => match after.find('>') {
                Some(end) => (
                    m.named_group(&after[1..end]).map_or("", |r| &text[r]),
                    end + 1,
                ),
                None => ("$", 0),
            },
            _ => ("$", 0),
        };
        out.push_str(text_for);
        rest = &after[used..];
    }
    out.push_str(rest);
}

/// `$n` / `$nn`: the group number and how many digits it took, if such a group exists.
fn group_reference(digits: &[u8], groups: usize) -> Option<(usize, usize)> {
    let one = usize::from(digits[0] - b'0');
    let two = digits
        .get(1)
        .filter(|d| d.is_ascii_digit())
        .map(|d| one * 10 + usize::from(d - b'0'));
    match two {
        Some(n) if (1..=groups).contains(&n) => Some((n, 2)),
        _ if (1..=groups).contains(&one) => Some((one, 1)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_as_string_replace_does() {
        assert_eq!(replace_all("a {x} {x}", "x", "1").unwrap(), "a 1 1");
        assert_eq!(replace_all("{a.b} {aXb}", "a.b", "v").unwrap(), "v v");
        assert_eq!(replace_all("{$x}", "$x", "v").unwrap(), "{$x}");
        assert_eq!(
            replace_all("<{x}>", "x", "[$&|$`|$'|$$|$1]").unwrap(),
            "<[{x}|<|>|$|$1]>"
        );
        assert_eq!(replace_all("{ab}", "(a)(b)", "$2$1").unwrap(), "ba");
        assert!(replace_all("{x}", "(", "v").is_err());
    }
}
