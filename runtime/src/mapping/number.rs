//! Numbers as JS writes and reads them: `Number.prototype.toString()` (shortest round-trip digits,
//! exponent past 1e21 and below 1e-6), `StringToNumber` (`+s`, `==`: whole string, hex/octal/binary,
//! empty is 0) and `parseFloat` (longest decimal prefix).

/// `String(f)`.
pub(super) fn to_string(f: f64) -> String {
    if f.is_nan() {
        return "NaN".to_owned();
    }
    if f == 0.0 {
        return "0".to_owned();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.to_owned();
    }
    let sign = if f < 0.0 { "-" } else { "" };
    // Rust's `{:e}` gives the shortest digits that round-trip, as JS requires.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let n = exponent.parse::<i32>().unwrap_or(0) + 1;
    format!("{sign}{}", layout(&digits, n))
}

/// Places the decimal point in `digits` (value = 0.digits × 10^n) as ECMA-262 Number::toString does.
fn layout(digits: &str, n: i32) -> String {
    let k = digits.len() as i32;
    if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let sign = if e < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        let dot = if rest.is_empty() { "" } else { "." };
        format!("{first}{dot}{rest}e{sign}{}", e.abs())
    }
}

/// `StringToNumber(s)`: NaN unless the whole (trimmed) string is a number.
pub(super) fn string_to_number(s: &str) -> f64 {
    let s = super::js::trim(s);
    if s.is_empty() {
        return 0.0;
    }
    if let Some(f) = radix_literal(s) {
        return f;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let negative = s.starts_with('-');
    if unsigned == "Infinity" {
        return if negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    match decimal_prefix(unsigned) {
        Some(len) if len == unsigned.len() => {
            let f = unsigned.parse::<f64>().unwrap_or(f64::NAN);
            if negative { -f } else { f }
        }
        _ => f64::NAN,
    }
}

/// `0x…`, `0o…`, `0b…` (no sign allowed).
fn radix_literal(s: &str) -> Option<f64> {
    let bytes = s.as_bytes();
    if bytes.len() < 2 || bytes[0] != b'0' {
        return None;
    }
    let radix = match bytes[1] {
        b'x' | b'X' => 16,
        b'o' | b'O' => 8,
        b'b' | b'B' => 2,
        _ => return None,
    };
    let digits = &s[2..];
    if digits.is_empty() {
        return Some(f64::NAN);
    }
    let mut value = 0.0_f64;
    for c in digits.chars() {
        let Some(d) = c.to_digit(radix) else {
            return Some(f64::NAN);
        };
        value = value * f64::from(radix) + f64::from(d);
    }
    Some(value)
}

/// The length of the longest `StrUnsignedDecimalLiteral` (without `Infinity`) at the start of `s`.
fn decimal_prefix(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let digits = |from: usize| b[from..].iter().take_while(|c| c.is_ascii_digit()).count();
    let int = digits(0);
    let mut end = int;
    let mut frac = 0;
    if b.get(end) == Some(&b'.') {
        frac = digits(end + 1);
        if int > 0 || frac > 0 {
            end += 1 + frac;
        }
    }
    if int == 0 && frac == 0 {
        return None;
    }
    if matches!(b.get(end), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(end + 1), Some(b'+' | b'-')));
        let exp = digits(end + 1 + sign);
        if exp > 0 {
            end += 1 + sign + exp;
        }
    }
    Some(end)
}

/// `parseFloat(s)`.
pub(super) fn parse_float(s: &str) -> f64 {
    let s = s.trim_start_matches(super::js::is_space);
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let negative = s.starts_with('-');
    let value = if unsigned.starts_with("Infinity") {
        f64::INFINITY
    } else {
        match decimal_prefix(unsigned) {
            Some(len) => unsigned[..len].parse::<f64>().unwrap_or(f64::NAN),
            None => f64::NAN,
        }
    };
    if negative { -value } else { value }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_js_prints_them() {
        let cases = [
            (1.0, "1"),
            (-0.0, "0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1e21, "1e+21"),
            (123456789012345680000.0, "123456789012345680000"),
            (1.5e-7, "1.5e-7"),
            (0.000001, "0.000001"),
            (-2.5, "-2.5"),
            (5e-324, "5e-324"),
            (f64::INFINITY, "Infinity"),
        ];
        for (f, s) in cases {
            assert_eq!(to_string(f), s, "{f:e}");
        }
    }

    #[test]
    fn strings_read_as_js_reads_them() {
        assert_eq!(string_to_number(" 12 "), 12.0);
        assert_eq!(string_to_number(""), 0.0);
        assert_eq!(string_to_number("0x1f"), 31.0);
        assert!(string_to_number("1e").is_nan());
        assert_eq!(string_to_number("1."), 1.0);
        assert_eq!(string_to_number(".5"), 0.5);
        assert!(string_to_number("-0x1").is_nan());
        assert_eq!(parse_float("  3.5abc"), 3.5);
        assert_eq!(parse_float("1e3x"), 1000.0);
        assert_eq!(parse_float("-.5e-1"), -0.05);
        assert!(parse_float("abc").is_nan());
        assert!(parse_float(".").is_nan());
        assert_eq!(parse_float("-Infinityx"), f64::NEG_INFINITY);
    }
}
