//! Lines of YAML nodes, so that a problem found in a parsed template (a path of keys and indexes,
//! `["requestMapping", "query", "limit"]`) is reported at `subscribe.rest.yml:7`. serde's YAML
//! value keeps no positions; this walks the parser's events, which do.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;

/// The line (1-based) of the node at `path` in `text`, or of its nearest ancestor that exists.
pub fn line_of(text: &str, path: &[String]) -> Option<u32> {
    let lines = node_lines(text);
    (0..=path.len())
        .rev()
        .find_map(|n| lines.get(&path[..n]).copied())
}

/// Every node's path and line.
fn node_lines(text: &str) -> HashMap<Vec<String>, u32> {
    let mut walker = Walker::default();
    let _ = Parser::new_from_str(text).load(&mut walker, false);
    walker.lines
}

enum Frame {
    /// The current key and the line it is on: a value is reported at its key's line.
    Mapping {
        key: Option<(String, u32)>,
    },
    Sequence {
        index: usize,
    },
}

#[derive(Default)]
struct Walker {
    frames: Vec<Frame>,
    lines: HashMap<Vec<String>, u32>,
}

impl Walker {
    fn path(&self) -> Vec<String> {
        self.frames
            .iter()
            .filter_map(|frame| match frame {
                Frame::Mapping { key } => key.as_ref().map(|(k, _)| k.clone()),
                Frame::Sequence { index } => Some(index.to_string()),
            })
            .collect()
    }

    /// Whether the next node is a mapping key rather than a value.
    fn at_key(&self) -> bool {
        matches!(self.frames.last(), Some(Frame::Mapping { key: None }))
    }

    /// A value is complete: its parent moves on to the next key or index.
    fn advance(&mut self) {
        match self.frames.last_mut() {
            Some(Frame::Mapping { key }) => *key = None,
            Some(Frame::Sequence { index }) => *index += 1,
            None => {}
        }
    }

    fn record(&mut self, mark: Marker) {
        let line = match self.frames.last() {
            Some(Frame::Mapping {
                key: Some((_, line)),
            }) => *line,
            _ => line_of_mark(mark),
        };
        self.lines.entry(self.path()).or_insert(line);
    }
}

fn line_of_mark(mark: Marker) -> u32 {
    u32::try_from(mark.line()).unwrap_or(u32::MAX)
}

impl MarkedEventReceiver for Walker {
    fn on_event(&mut self, event: Event, mark: Marker) {
        match event {
            Event::Scalar(text, ..) if self.at_key() => {
                if let Some(Frame::Mapping { key }) = self.frames.last_mut() {
                    *key = Some((text, line_of_mark(mark)));
                }
            }
            Event::Scalar(..) | Event::Alias(_) => {
                self.record(mark);
                self.advance();
            }
            Event::MappingStart(..) => {
                self.record(mark);
                self.frames.push(Frame::Mapping { key: None });
            }
            Event::SequenceStart(..) => {
                self.record(mark);
                self.frames.push(Frame::Sequence { index: 0 });
            }
            Event::MappingEnd | Event::SequenceEnd => {
                self.frames.pop();
                self.advance();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn lines_of_nested_keys_and_items() {
        let text = "path: /hooks\nmethod: post\nrequestMapping:\n  query:\n    limit: 100\n    ids:\n      - a\n      - {$var: x}\n";
        assert_eq!(line_of(text, &path(&["method"])), Some(2));
        assert_eq!(
            line_of(text, &path(&["requestMapping", "query", "limit"])),
            Some(5)
        );
        assert_eq!(
            line_of(text, &path(&["requestMapping", "query", "ids", "1"])),
            Some(8)
        );
        assert_eq!(
            line_of(text, &path(&["requestMapping", "query", "nope"])),
            Some(4)
        );
    }
}
