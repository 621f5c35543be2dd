//! Bytes ↔ text with Node's rules, in plain Rust (no JS values here). Tricky: Node's decoders are
//! lenient (hex stops at the first bad pair; base64 accepts both alphabets, skips anything else and
//! stops at `=`), read each UTF-16 unit of the string truncated to a byte, while `atob` is strict
//! WHATWG forgiving-base64. Strings arrive as WTF-8, which keeps lone surrogates.

use std::borrow::Cow;

/// The encodings `Buffer`, `Hash.update` and `digest` know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16Le,
    Latin1,
    Ascii,
    Base64,
    Base64Url,
    Hex,
}

impl Encoding {
    /// Node's names in any case: `utf8`, `utf-8`, `ucs2`, `ucs-2`, `utf16le`, `utf-16le`,
    /// `latin1`, `binary`, `ascii`, `base64`, `base64url`, `hex`.
    pub fn from_name(name: &str) -> Option<Self> {
        let encoding = match name.to_ascii_lowercase().as_str() {
            "utf8" | "utf-8" => Encoding::Utf8,
            "ucs2" | "ucs-2" | "utf16le" | "utf-16le" => Encoding::Utf16Le,
            "latin1" | "binary" => Encoding::Latin1,
            "ascii" => Encoding::Ascii,
            "base64" => Encoding::Base64,
            "base64url" => Encoding::Base64Url,
            "hex" => Encoding::Hex,
            _ => return None,
        };
        Some(encoding)
    }
}

/// A JS string's text as QuickJS hands it out: WTF-8, i.e. UTF-8 that may encode lone surrogates.
#[derive(Debug)]
pub enum Text {
    /// Well-formed: no lone surrogates (nearly always).
    Utf8(String),
    /// Holds at least one lone surrogate, encoded on three bytes.
    Wtf8(Vec<u8>),
}

impl Text {
    /// UTF-8 with every lone surrogate replaced by U+FFFD, as Node and `TextEncoder` encode it.
    pub fn to_utf8(&self) -> Cow<'_, str> {
        match self {
            Text::Utf8(text) => Cow::Borrowed(text),
            Text::Wtf8(bytes) => {
                let mut out = String::with_capacity(bytes.len());
                for point in code_points(bytes) {
                    out.push(char::from_u32(point).unwrap_or(char::REPLACEMENT_CHARACTER));
                }
                Cow::Owned(out)
            }
        }
    }

    /// The string's UTF-16 code units, as JS sees them.
    pub fn code_units(&self) -> impl Iterator<Item = u16> + '_ {
        let bytes = match self {
            Text::Utf8(text) => text.as_bytes(),
            Text::Wtf8(bytes) => bytes,
        };
        code_points(bytes).flat_map(|point| {
            let mut units = [0; 2];
            let len = char::from_u32(point).map_or(1, |c| c.encode_utf16(&mut units).len());
            if len == 1 {
                units[0] = point as u16;
            }
            units.into_iter().take(len)
        })
    }

    /// Each code unit truncated to its low byte: what Node's latin1, hex and base64 read.
    fn low_bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.code_units().map(|unit| unit as u8)
    }
}

/// Decodes WTF-8 into code points (surrogates included); malformed input gives U+FFFD.
fn code_points(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        let (&lead, tail) = rest.split_first()?;
        let (len, init) = match lead {
            0x00..=0x7F => (0, u32::from(lead)),
            0xC0..=0xDF => (1, u32::from(lead & 0x1F)),
            0xE0..=0xEF => (2, u32::from(lead & 0x0F)),
            0xF0..=0xF7 => (3, u32::from(lead & 0x07)),
            _ => (0, 0xFFFD),
        };
        let Some(continuation) = tail.get(..len) else {
            rest = &[];
            return Some(0xFFFD);
        };
        rest = tail.get(len..).unwrap_or_default();
        Some(
            continuation
                .iter()
                .fold(init, |point, &b| (point << 6) | u32::from(b & 0x3F)),
        )
    })
}

/// `text` as bytes in `encoding`, as `Buffer.from(text, encoding)` makes them.
pub fn encode(text: &Text, encoding: Encoding) -> Vec<u8> {
    match encoding {
        Encoding::Utf8 => text.to_utf8().into_owned().into_bytes(),
        Encoding::Utf16Le => text.code_units().flat_map(u16::to_le_bytes).collect(),
        Encoding::Latin1 | Encoding::Ascii => text.low_bytes().collect(),
        Encoding::Hex => hex_decode(text.low_bytes()),
        Encoding::Base64 | Encoding::Base64Url => base64_decode(text.low_bytes()),
    }
}

/// `bytes` as text in `encoding`, as `buffer.toString(encoding)` shows them (UTF-16 lossily).
pub fn decode(bytes: &[u8], encoding: Encoding) -> String {
    match encoding {
        Encoding::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
        Encoding::Utf16Le => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|p| u16::from_le_bytes([p[0], p[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        Encoding::Latin1 => bytes.iter().copied().map(char::from).collect(),
        Encoding::Ascii => bytes.iter().map(|&b| char::from(b & 0x7F)).collect(),
        Encoding::Hex => hex_encode(bytes),
        Encoding::Base64 => base64_encode(bytes, STANDARD, true),
        Encoding::Base64Url => base64_encode(bytes, URL_SAFE, false),
    }
}

pub fn hex_encode(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xF)]));
    }
    out
}

/// Node's hex decoding: pairs of hex digits until the first pair that is not (a lone last digit
/// is dropped).
fn hex_decode(mut chars: impl Iterator<Item = u8>) -> Vec<u8> {
    let mut out = Vec::new();
    while let (Some(high), Some(low)) = (chars.next(), chars.next()) {
        match (hex_value(high), hex_value(low)) {
            (Some(high), Some(low)) => out.push((high << 4) | low),
            _ => break,
        }
    }
    out
}

fn hex_value(c: u8) -> Option<u8> {
    char::from(c).to_digit(16).map(|d| d as u8)
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

pub fn base64_encode(bytes: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let group = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        let sextets = chunk.len() + 1;
        for i in 0..4 {
            if i < sextets {
                out.push(char::from(
                    alphabet[(group >> (18 - 6 * i) & 0x3F) as usize],
                ));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

/// A base64 digit of either alphabet.
fn sextet(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' | b'-' => Some(62),
        b'/' | b'_' => Some(63),
        _ => None,
    }
}

/// Node's base64 decoding: digits of either alphabet, anything else skipped, `=` ends the input;
/// leftover bits that do not make a byte are dropped.
fn base64_decode(chars: impl Iterator<Item = u8>) -> Vec<u8> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in chars.take_while(|&c| c != b'=') {
        let Some(value) = sextet(c) else { continue };
        acc = (acc << 6 | u32::from(value)) & 0xFFFF;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// Why `atob` refuses its input (both are `InvalidCharacterError`s, with Node's messages).
pub const INVALID_CHARACTER: &str = "Invalid character";
pub const NOT_CORRECTLY_ENCODED: &str = "The string to be decoded is not correctly encoded.";

/// WHATWG forgiving-base64 decode (`atob`): ASCII whitespace ignored, padding complete or absent,
/// nothing outside the standard alphabet.
pub fn forgiving_base64_decode(text: &Text) -> Result<Vec<u8>, &'static str> {
    let mut chars: Vec<u16> = text
        .code_units()
        .filter(|&u| !matches!(u, 0x09 | 0x0A | 0x0C | 0x0D | 0x20))
        .collect();
    if chars.len().is_multiple_of(4) {
        for _ in 0..2 {
            if chars.last() == Some(&u16::from(b'=')) {
                chars.pop();
            }
        }
    }
    let digits = chars.iter().map(|&u| {
        u8::try_from(u)
            .ok()
            .filter(|c| !matches!(c, b'-' | b'_'))
            .and_then(sextet)
    });
    let digits: Option<Vec<u8>> = digits.collect();
    let digits = digits.ok_or(INVALID_CHARACTER)?;
    if digits.len() % 4 == 1 {
        return Err(NOT_CORRECTLY_ENCODED);
    }
    Ok(base64_decode(
        digits.into_iter().map(|d| STANDARD[usize::from(d)]),
    ))
}

/// `btoa`: base64 of a string whose every code unit is a byte; `None` if one is not.
pub fn btoa(text: &Text) -> Option<String> {
    let bytes: Option<Vec<u8>> = text
        .code_units()
        .map(|unit| u8::try_from(unit).ok())
        .collect();
    Some(base64_encode(&bytes?, STANDARD, true))
}

/// How many bytes at the end of `bytes` start a UTF-8 sequence that more input could complete
/// (what a streaming decoder holds back).
pub fn incomplete_utf8_tail(bytes: &[u8]) -> usize {
    let window = bytes
        .get(bytes.len().saturating_sub(3)..)
        .unwrap_or_default();
    let Some(lead) = window.iter().rposition(|b| b & 0xC0 != 0x80) else {
        return 0;
    };
    let tail = window.get(lead..).unwrap_or_default();
    match std::str::from_utf8(tail) {
        Err(e) if e.valid_up_to() == 0 && e.error_len().is_none() => tail.len(),
        _ => 0,
    }
}

/// Node's `buf.indexOf` / `lastIndexOf` over bytes: where `needle` first occurs at or after
/// `offset` (or last occurs at or before it), negative offsets counting from the end; -1 if nowhere.
/// An empty needle is found at the clamped offset, as `String.prototype.indexOf` does.
pub fn index_of(haystack: &[u8], needle: &[u8], offset: i64, forward: bool) -> i64 {
    let (len, n) = (haystack.len() as i64, needle.len() as i64);
    let at = if offset < 0 {
        match offset.saturating_add(len) {
            from_end if from_end >= 0 => from_end,
            _ if forward || n == 0 => 0,
            _ => -1,
        }
    } else if offset.saturating_add(n) <= len {
        offset
    } else if n == 0 {
        len
    } else if forward {
        -1
    } else {
        len - 1
    };
    if n == 0 {
        return at;
    }
    let Ok(at) = usize::try_from(at) else {
        return -1;
    };
    let found = if forward {
        let mut windows = haystack.get(at..).unwrap_or_default().windows(needle.len());
        windows.position(|w| w == needle).map(|i| at + i)
    } else {
        let last_start = at.min(haystack.len().saturating_sub(needle.len()));
        let mut windows = haystack
            .get(..last_start + needle.len())
            .unwrap_or_default()
            .windows(needle.len());
        windows.rposition(|w| w == needle)
    };
    found.map_or(-1, |i| i as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Text {
        Text::Utf8(s.to_string())
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        let wtf8 = Text::Wtf8(vec![b'a', 0xED, 0xA0, 0x80, b'b']);
        assert_eq!(wtf8.to_utf8(), "a\u{FFFD}b");
        assert_eq!(wtf8.code_units().collect::<Vec<_>>(), [0x61, 0xD800, 0x62]);
        assert_eq!(
            text("😀").code_units().collect::<Vec<_>>(),
            [0xD83D, 0xDE00]
        );
    }

    #[test]
    fn lenient_decoders_match_node() {
        assert_eq!(encode(&text("abzz12"), Encoding::Hex), [0xAB]);
        assert_eq!(encode(&text("abc"), Encoding::Hex), [0xAB]);
        assert_eq!(encode(&text(" QU\nJD "), Encoding::Base64), b"ABC");
        assert_eq!(encode(&text("QUI=junk"), Encoding::Base64), b"AB");
        assert_eq!(encode(&text("-_-_"), Encoding::Base64), [251, 255, 191]);
        assert_eq!(encode(&text("Q"), Encoding::Base64), b"");
    }

    #[test]
    fn base64_round_trips() {
        for len in 0..10 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 200) as u8).collect();
            let encoded = base64_encode(&bytes, STANDARD, true);
            assert_eq!(forgiving_base64_decode(&text(&encoded)).unwrap(), bytes);
            let url = base64_encode(&bytes, URL_SAFE, false);
            assert_eq!(encode(&text(&url), Encoding::Base64Url), bytes);
        }
    }

    #[test]
    fn atob_is_strict() {
        assert_eq!(forgiving_base64_decode(&text(" Y Q = = ")).unwrap(), b"a");
        assert_eq!(
            forgiving_base64_decode(&text("YQ=")),
            Err(INVALID_CHARACTER)
        );
        assert_eq!(
            forgiving_base64_decode(&text("Y")),
            Err(NOT_CORRECTLY_ENCODED)
        );
        assert_eq!(
            forgiving_base64_decode(&text("-_==")),
            Err(INVALID_CHARACTER)
        );
    }

    #[test]
    fn index_of_follows_node_offsets() {
        let hay = b"abcabc";
        assert_eq!(index_of(hay, b"c", 3, true), 5);
        assert_eq!(index_of(hay, b"a", -3, true), 3);
        assert_eq!(index_of(hay, b"", 10, true), 6);
        assert_eq!(index_of(hay, b"a", 2, false), 0);
        assert_eq!(index_of(hay, b"a", -100, false), -1);
        assert_eq!(index_of(hay, b"bc", 100, false), 4);
        assert_eq!(index_of(hay, b"abcabcd", 0, true), -1);
        assert_eq!(index_of(b"", b"a", 0, false), -1);
        assert_eq!(index_of(hay, b"a", i64::MAX, true), -1);
        assert_eq!(index_of(hay, b"a", i64::MIN, true), 0);
    }

    #[test]
    fn incomplete_tails() {
        assert_eq!(incomplete_utf8_tail(b"a\xE2\x82"), 2);
        assert_eq!(incomplete_utf8_tail(b"a\xF0\x9F\x98"), 3);
        assert_eq!(incomplete_utf8_tail(b"a\xED\xA0"), 0);
        assert_eq!(incomplete_utf8_tail("a€".as_bytes()), 0);
        assert_eq!(incomplete_utf8_tail(b""), 0);
    }
}
