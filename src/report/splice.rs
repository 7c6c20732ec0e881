//! Large JSON reports (the JSON report's findings, SARIF's results) rendered
//! in parallel: every element of the one large array is pretty-printed on
//! its own, indented for its place, and the rest of the document (the
//! shell) is rendered once with a marker where the array goes. Joined, the
//! pieces are what pretty-printing the whole value gives, and they can be
//! written out one by one, never whole in memory.

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;
use std::io::{self, Write};
use std::ops::Range;

pub struct Spliced {
    shell: String,
    /// Where the marker stands in the shell.
    marker: Range<usize>,
    /// Opens the array before the first element, and follows the last.
    open: String,
    close: String,
    /// Between two elements: a comma, a line break, the indent.
    separator: String,
    elements: Vec<String>,
}

impl Spliced {
    /// `document` builds the whole value with the value it is given where
    /// the array of `element` of each of `items` goes.
    pub fn new<T, E>(
        items: &[T],
        element: impl Fn(&T) -> E + Sync,
        document: impl Fn(Value) -> Value,
    ) -> Spliced
    where
        T: Sync,
        E: Serialize,
    {
        // A marker no string of the document holds (a file name in an error
        // message is anyone's to choose), so it is found exactly once.
        let (shell, marker) = (0u64..)
            .find_map(|n| {
                let marker = format!("\u{1}array {n}\u{1}");
                let shell = pretty(&document(Value::String(marker.clone())));
                let quoted = serde_json::to_string(&marker).expect("a string always serializes");
                let mut found = shell.match_indices(&quoted).map(|(at, _)| at);
                match (found.next(), found.next()) {
                    (Some(at), None) => Some((shell, at..at + quoted.len())),
                    _ => None,
                }
            })
            .expect("some marker is not in the document");
        // The key's line gives the depth: elements sit one level deeper.
        let line_start = shell[..marker.start].rfind('\n').map_or(0, |at| at + 1);
        let key_indent = shell[line_start..].len() - shell[line_start..].trim_start().len();
        let indent = format!("\n{}", " ".repeat(key_indent + 2));
        let elements = items
            .par_iter()
            .map(|item| pretty(&element(item)).replace('\n', &indent))
            .collect::<Vec<_>>();
        let (open, close) = match elements.is_empty() {
            true => ("[]".to_string(), String::new()),
            false => (
                format!("[{indent}"),
                format!("\n{}]", " ".repeat(key_indent)),
            ),
        };
        Spliced {
            shell,
            marker,
            open,
            close,
            separator: format!(",{indent}"),
            elements,
        }
    }

    /// The document's text, in order.
    pub fn pieces(&self) -> impl Iterator<Item = &str> {
        let elements = self.elements.iter().enumerate().flat_map(|(i, element)| {
            let separator = if i == 0 { "" } else { self.separator.as_str() };
            [separator, element.as_str()]
        });
        [&self.shell[..self.marker.start], self.open.as_str()]
            .into_iter()
            .chain(elements)
            .chain([self.close.as_str(), &self.shell[self.marker.end..], "\n"])
    }

    /// The document in one string, with a final line break.
    pub fn text(&self) -> String {
        let mut text = String::with_capacity(self.pieces().map(str::len).sum());
        self.pieces().for_each(|piece| text.push_str(piece));
        text
    }

    /// The document written to `out`, with a final line break.
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        let mut out = io::BufWriter::with_capacity(1 << 16, out);
        for piece in self.pieces() {
            out.write_all(piece.as_bytes())?;
        }
        out.flush()
    }
}

fn pretty(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).expect("a report always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Whatever the depth of the array, whatever the elements, empty or
    /// not, and with a document that holds the first marker it would try.
    #[test]
    fn joined_pieces_are_the_pretty_printed_whole() {
        let nested =
            |array: Value| json!({"a": 1, "runs": [{"tool": "x", "results": array}], "z": [1]});
        let flat = |array: Value| json!({"version": 1, "findings": array, "errors": ["\u{1}array 0\u{1}"]});
        let items = [json!({"k": [1, 2], "s": "a\nb"}), json!(3), json!({})];
        for document in [&nested as &dyn Fn(Value) -> Value, &flat] {
            for count in [0, 1, 3] {
                let items = &items[..count];
                let spliced = Spliced::new(items, |v| v.clone(), document);
                let whole = pretty(&document(Value::Array(items.to_vec()))) + "\n";
                assert_eq!(spliced.text(), whole);
                let mut written = Vec::new();
                spliced.write(&mut written).unwrap();
                assert_eq!(written, whole.as_bytes());
            }
        }
    }
}
