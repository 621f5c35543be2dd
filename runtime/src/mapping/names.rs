//! `humanparser.parseName` (v2.7, MIT), which `$firstName` and `$lastName` use: salutations,
//! suffixes, `Last, First Middle`, compound last names (`van der Berg`), quoted parts. Its quirks are
//! kept: a repeated middle word vanishes with its twin, only the first comma of a part is removed.

use super::js;

const SALUTATIONS: [&str; 20] = [
    "mr",
    "master",
    "mister",
    "mrs",
    "miss",
    "ms",
    "dr",
    "prof",
    "rev",
    "fr",
    "judge",
    "honorable",
    "hon",
    "tuan",
    "sr",
    "srta",
    "br",
    "pr",
    "mx",
    "sra",
];
const SUFFIXES: [&str; 19] = [
    "i", "ii", "iii", "iv", "v", "senior", "junior", "jr", "sr", "phd", "apr", "rph", "pe", "md",
    "ma", "dmd", "cme", "qc", "kc",
];
const COMPOUND: [&str; 25] = [
    "vere", "von", "van", "de", "del", "della", "der", "den", "di", "da", "pietro", "vanden", "du",
    "st.", "st", "la", "lo", "ter", "bin", "ibn", "te", "ten", "op", "ben", "al",
];

/// The parts `$firstName` and `$lastName` read.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Name {
    pub(super) first: Option<String>,
    pub(super) last: Option<String>,
}

/// `part.toLowerCase().replace(/\./g, '')`.
fn bare(part: &str) -> String {
    part.to_lowercase().replace('.', "")
}

fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(super) fn parse(name: &str) -> Name {
    let mut parts = split(&normalize(js::trim(name)));
    let mut out = Name::default();
    if parts.len() == 1 {
        out.first = parts.first().cloned();
    }
    if parts.len() > 1
        && parts
            .last()
            .is_some_and(|p| SUFFIXES.contains(&bare(p).as_str()))
    {
        parts.pop();
        if let Some(last) = parts.last_mut() {
            *last = last.replacen(',', "", 1);
        }
    }
    if parts.iter().any(|p| p.contains(',')) {
        last_name_first(parts, &mut out);
    } else {
        first_name_first(parts, &mut out);
    }
    let trim = |s: Option<String>| s.map(|s| js::trim(&s).to_owned());
    Name {
        first: trim(out.first),
        last: trim(out.last),
    }
}

/// `.replace(/\b\s+(,\s+)\b/, '$1').replace(/\b,\b/, ', ')` (first match of each).
fn normalize(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = chars.clone();
    for start in 1..chars.len() {
        if !is_word(Some(chars[start - 1])) || !js::is_space(chars[start]) {
            continue;
        }
        let comma = start
            + chars[start..]
                .iter()
                .take_while(|c| js::is_space(**c))
                .count();
        let after = comma
            + 1
            + chars
                .get(comma + 1..)
                .map_or(0, |r| r.iter().take_while(|c| js::is_space(**c)).count());
        if chars.get(comma) == Some(&',') && after > comma + 1 && is_word(chars.get(after).copied())
        {
            out = [&chars[..start], &chars[comma..]].concat();
            break;
        }
    }
    let at = (1..out.len())
        .find(|&i| out[i] == ',' && is_word(Some(out[i - 1])) && is_word(out.get(i + 1).copied()));
    if let Some(i) = at {
        out.insert(i + 1, ' ');
    }
    out.into_iter().collect()
}

/// `s.match(/[^\s"]+|"[^"]+"/g) || s.split(/\s+/)`, then quotes stripped from `"…"` parts.
fn split(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut parts = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let plain = chars[i..]
            .iter()
            .take_while(|c| !js::is_space(**c) && **c != '"')
            .count();
        if plain > 0 {
            parts.push(chars[i..i + plain].iter().collect::<String>());
            i += plain;
        } else if let Some(len) = quoted(&chars[i..]) {
            parts.push(chars[i..i + len].iter().collect::<String>());
            i += len;
        } else {
            i += 1;
        }
    }
    if parts.is_empty() {
        parts = s.split(js::is_space).map(str::to_owned).collect();
        merge_space_runs(&mut parts, s);
    }
    parts.into_iter().map(strip_quotes).collect()
}

/// `split(/\s+/)` splits on runs; `str::split` on each space leaves empty strings between.
fn merge_space_runs(parts: &mut Vec<String>, s: &str) {
    let mut runs: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut in_space = false;
    for c in s.chars() {
        if js::is_space(c) {
            if !in_space {
                runs.push(std::mem::take(&mut current));
            }
            in_space = true;
        } else {
            current.push(c);
            in_space = false;
        }
    }
    runs.push(current);
    *parts = runs;
}

/// The length of `"[^"]+"` at the start of `chars`.
fn quoted(chars: &[char]) -> Option<usize> {
    if chars.first() != Some(&'"') {
        return None;
    }
    let inner = chars[1..].iter().take_while(|c| **c != '"').count();
    (inner > 0 && chars.get(1 + inner) == Some(&'"')).then_some(inner + 2)
}

/// `n.match(/^".*"$/) ? n.slice(1, -1) : n` (`.` matches no line terminator).
fn strip_quotes(part: String) -> String {
    let chars: Vec<char> = part.chars().collect();
    let wrapped = chars.len() >= 2
        && chars[0] == '"'
        && chars[chars.len() - 1] == '"'
        && !chars[1..chars.len() - 1]
            .iter()
            .any(|c| js::is_line_terminator(*c));
    if wrapped {
        chars[1..chars.len() - 1].iter().collect()
    } else {
        part
    }
}

/// `Last, First Middle`: everything up to the first part with a comma is the last name.
fn last_name_first(parts: Vec<String>, out: &mut Name) {
    let mut last: Vec<String> = Vec::new();
    let mut first_index = parts.len();
    for (i, part) in parts.iter().enumerate() {
        if !part.contains(',') {
            last.push(part.clone());
            continue;
        }
        let part = part.replacen(',', "", 1);
        if !SUFFIXES.contains(&bare(&part).as_str()) {
            last.push(part);
        }
        first_index = i + 1;
        break;
    }
    out.last = Some(last.join(" "));
    if let Some(first) = parts.get(first_index) {
        out.first = Some(first.clone());
    }
}

/// `[Salutation] First [Middle...] [compound...] Last`.
fn first_name_first(mut parts: Vec<String>, out: &mut Name) {
    if parts.len() > 1 && SALUTATIONS.contains(&bare(&parts[0]).as_str()) {
        parts.remove(0);
        if parts.len() == 1 {
            out.last = Some(parts.remove(0));
        } else {
            out.first = Some(parts.remove(0));
        }
    } else if !parts.is_empty() {
        out.first = Some(parts.remove(0));
    }
    if out.last.as_ref().is_none_or(|l| l.is_empty()) {
        out.last = Some(parts.pop().unwrap_or_default());
    }
    let compound: Vec<String> = parts
        .iter()
        .rev()
        .take_while(|p| COMPOUND.contains(&bare(p).as_str()))
        .cloned()
        .collect();
    if !compound.is_empty() {
        let joined: Vec<String> = compound.iter().rev().cloned().collect();
        out.last = Some(format!(
            "{} {}",
            joined.join(" "),
            out.last.take().unwrap_or_default()
        ));
    }
    if let Some(last) = out.last.as_mut().filter(|l| !l.is_empty()) {
        *last = last.replacen(',', "", 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(s: &str) -> (Option<String>, Option<String>) {
        let n = parse(s);
        (n.first, n.last)
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn parses_as_humanparser_does() {
        assert_eq!(parts("John Smith"), (some("John"), some("Smith")));
        assert_eq!(parts("Mr. John Smith Jr."), (some("John"), some("Smith")));
        assert_eq!(parts("Smith, John Paul"), (some("John"), some("Smith")));
        assert_eq!(
            parts("Ludwig van Beethoven"),
            (some("Ludwig"), some("van Beethoven"))
        );
        assert_eq!(parts("Madonna"), (some("Madonna"), some("")));
        assert_eq!(parts("Dr Who"), (None, some("Who")));
        assert_eq!(parts(""), (some(""), some("")));
    }
}
