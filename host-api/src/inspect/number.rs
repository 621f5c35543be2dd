//! JS's `parseInt` and `parseFloat` over Rust text, for the `%i` and `%f` specifiers: leading JS
//! whitespace skipped, the longest valid prefix parsed, `NaN` when there is none.

/// `parseInt(text)` (radix 10 unless a `0x` prefix).
pub(super) fn parse_int(text: &str) -> f64 {
    let text = trim_js_start(text);
    let (negative, text) = split_sign(text);
    let (radix, text) = match text.get(..2) {
        Some("0x" | "0X") => (16, &text[2..]),
        _ => (10, text),
    };
    let end = text
        .find(|c: char| !c.is_digit(radix))
        .unwrap_or(text.len());
    let digits = &text[..end];
    if digits.is_empty() {
        return f64::NAN;
    }
    let value = match radix {
        10 => digits.parse::<f64>().unwrap_or(f64::NAN),
        _ => digits
            .chars()
            .filter_map(|c| c.to_digit(16))
            .fold(0.0, |acc, d| acc * 16.0 + f64::from(d)),
    };
    if negative { -value } else { value }
}

/// `parseFloat(text)`: the longest prefix that is a decimal literal or `Infinity`.
pub(super) fn parse_float(text: &str) -> f64 {
    let text = trim_js_start(text);
    let (negative, rest) = split_sign(text);
    let sign = if negative { -1.0 } else { 1.0 };
    if rest.starts_with("Infinity") {
        return sign * f64::INFINITY;
    }
    let int_len = leading_digits(rest);
    let mut end = int_len;
    let mut frac_len = 0;
    if rest[end..].starts_with('.') {
        frac_len = leading_digits(&rest[end + 1..]);
        end += 1 + frac_len;
    }
    if int_len + frac_len == 0 {
        return f64::NAN;
    }
    let int_part = if int_len == 0 { "0" } else { &rest[..int_len] };
    let frac_part = if frac_len == 0 {
        "0"
    } else {
        &rest[int_len + 1..end]
    };
    let literal = format!("{int_part}.{frac_part}{}", exponent(&rest[end..]));
    sign * literal.parse::<f64>().unwrap_or(f64::NAN)
}

/// The exponent (`e-7`) a decimal literal may start `text` with; empty if it has no digits.
fn exponent(text: &str) -> String {
    let Some(e) = text.strip_prefix(['e', 'E']) else {
        return String::new();
    };
    let (negative, e) = split_sign(e);
    let len = leading_digits(e);
    if len == 0 {
        return String::new();
    }
    format!("e{}{}", if negative { "-" } else { "" }, &e[..len])
}

fn leading_digits(text: &str) -> usize {
    text.find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len())
}

fn split_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

/// Trims JS `WhiteSpace` and `LineTerminator` characters from the start.
fn trim_js_start(text: &str) -> &str {
    text.trim_start_matches(|c: char| {
        matches!(
            c,
            '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}'
        ) || matches!(
            c,
            '\u{2000}'..='\u{200a}' | '\u{2028}' | '\u{2029}' | '\u{202f}'
        ) || matches!(c, '\u{205f}' | '\u{3000}' | '\u{feff}')
    })
}
