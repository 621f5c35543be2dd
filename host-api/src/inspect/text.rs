//! Pure string helpers: decoding QuickJS's WTF-8 (strings may hold lone surrogates), Node's
//! quoting and escaping, and widths. Lengths are in UTF-16 units as in JS; display widths follow
//! Node's non-ICU `getStringWidth` table.

/// Decodes QuickJS's WTF-8 into code points (lone surrogates kept as 0xD800..=0xDFFF), keeping at
/// most `max_units` UTF-16 units (a pair cut in half leaves its high surrogate, like
/// `String.prototype.slice`). Also returns the total length in UTF-16 units.
pub(super) fn decode_wtf8(bytes: &[u8], max_units: usize) -> (Vec<u32>, usize) {
    let mut cps = Vec::new();
    let (mut units, mut i) = (0usize, 0usize);
    while let Some(rest) = bytes.get(i..).filter(|r| !r.is_empty()) {
        let (cp, n) = next_code_point(rest);
        i += n;
        let width = if cp >= 0x10000 { 2 } else { 1 };
        if units + width <= max_units {
            cps.push(cp);
        } else if units < max_units {
            cps.push(0xD800 + ((cp - 0x10000) >> 10));
        }
        units += width;
    }
    (cps, units)
}

fn next_code_point(bytes: &[u8]) -> (u32, usize) {
    let lead = u32::from(bytes[0]);
    let (len, init) = match lead {
        0x00..=0x7f => return (lead, 1),
        0xc0..=0xdf => (2, lead & 0x1f),
        0xe0..=0xef => (3, lead & 0x0f),
        0xf0..=0xf7 => (4, lead & 0x07),
        _ => return (0xFFFD, 1),
    };
    let Some(tail) = bytes.get(1..len) else {
        return (0xFFFD, 1);
    };
    let mut cp = init;
    for &b in tail {
        if b & 0xc0 != 0x80 {
            return (0xFFFD, 1);
        }
        cp = (cp << 6) | u32::from(b & 0x3f);
    }
    (cp, len)
}

pub(super) fn lossy(cps: &[u32]) -> String {
    cps.iter()
        .map(|&c| char::from_u32(c).unwrap_or('\u{FFFD}'))
        .collect()
}

/// Node's `strEscape`: single quotes unless the text has some, then double quotes, then backticks.
pub(super) fn quote(cps: &[u32]) -> String {
    let has = |c: char| cps.contains(&u32::from(c));
    let dollar_brace = cps
        .windows(2)
        .any(|w| w == [u32::from('$'), u32::from('{')]);
    let mut quote = '\'';
    if has('\'') {
        if !has('"') {
            quote = '"';
        } else if !has('`') && !dollar_brace {
            quote = '`';
        }
    }
    let mut out = String::with_capacity(cps.len() + 2);
    out.push(quote);
    for &cp in cps {
        push_escaped(&mut out, cp, quote == '\'');
    }
    out.push(quote);
    out
}

/// Escapes like Node's `strEscapeSequencesReplacer` (control chars, `'`, `\`, lone surrogates).
pub(super) fn escape_raw(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_escaped(&mut out, u32::from(c), true);
    }
    out
}

fn push_escaped(out: &mut String, cp: u32, escape_single: bool) {
    match cp {
        0x27 if escape_single => out.push_str("\\'"),
        0x5c => out.push_str("\\\\"),
        0x08 => out.push_str("\\b"),
        0x09 => out.push_str("\\t"),
        0x0a => out.push_str("\\n"),
        0x0c => out.push_str("\\f"),
        0x0d => out.push_str("\\r"),
        0x00..=0x1f | 0x7f..=0x9f => out.push_str(&format!("\\x{cp:02X}")),
        0xD800..=0xDFFF => out.push_str(&format!("\\u{cp:x}")),
        _ => out.push(char::from_u32(cp).unwrap_or('\u{FFFD}')),
    }
}

/// JS `.length` of a Rust string.
pub(super) fn js_len(text: &str) -> usize {
    text.encode_utf16().count()
}

/// Display width as Node's `getStringWidth(str, false)` (non-ICU tables for non-ASCII).
pub(super) fn string_width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            let code = u32::from(c);
            match code {
                0..=0x1f => 0,
                0x20..=0x7e => 1,
                _ if is_zero_width(code) => 0,
                _ if is_full_width(code) => 2,
                _ => 1,
            }
        })
        .sum()
}

fn is_zero_width(code: u32) -> bool {
    matches!(code, 0x7f..=0x9f | 0x300..=0x36f | 0x200b..=0x200f | 0x20d0..=0x20ff)
        || matches!(code, 0xfe00..=0xfe0f | 0xfe20..=0xfe2f | 0xe0100..=0xe01ef)
}

fn is_full_width(code: u32) -> bool {
    code >= 0x1100
        && (code <= 0x115f
            || code == 0x2329
            || code == 0x232a
            || (0x2e80..=0x3247).contains(&code) && code != 0x303f
            || matches!(code, 0x3250..=0x4dbf | 0x4e00..=0xa4c6 | 0xa960..=0xa97c | 0xac00..=0xd7a3)
            || matches!(code, 0xf900..=0xfaff | 0xfe10..=0xfe19 | 0xfe30..=0xfe6b | 0xff01..=0xff60)
            || matches!(code, 0xffe0..=0xffe6 | 0x1b000..=0x1b001 | 0x1f200..=0x1f251)
            || matches!(code, 0x1f300..=0x1f64f | 0x20000..=0x3fffd))
}

pub(super) fn plural(n: u64) -> &'static str {
    if n > 1 { "s" } else { "" }
}
