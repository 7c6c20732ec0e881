//! Source files of one scan unit and byte spans into them.
//!
//! Spans are byte ranges plus the index of the file inside its unit; line and
//! column are computed only when a finding or error is reported, so parsing
//! never pays for them.

use std::sync::Arc;

/// Index of a file inside its scan unit's [`SourceFile`] list.
pub type FileId = u32;

/// A byte range in one file of a unit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, range: std::ops::Range<usize>) -> Self {
        Span {
            file,
            start: range.start as u32,
            end: range.end as u32,
        }
    }

    /// The same span shifted by `offset` bytes, for values parsed out of a
    /// string that sits verbatim at `offset` in its file (a heredoc policy).
    pub fn shifted(self, offset: u32) -> Self {
        Span {
            file: self.file,
            start: self.start + offset,
            end: self.end + offset,
        }
    }
}

/// One-based line and column (column counted in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: usize,
    pub column: usize,
}

/// A file read into memory, with the path shown to users.
#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the current directory when below it, `/`-separated.
    pub display: String,
    pub text: Arc<str>,
    line_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(display: String, text: Arc<str>) -> Self {
        let line_starts = std::iter::once(0)
            .chain(
                text.bytes()
                    .enumerate()
                    .filter(|&(_, b)| b == b'\n')
                    .map(|(i, _)| i as u32 + 1),
            )
            .collect();
        SourceFile {
            display,
            text,
            line_starts,
        }
    }

    /// Line and column of a byte offset (clamped to the file).
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = offset.min(self.text.len() as u32);
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line] as usize;
        let end = floor_char_boundary(&self.text, offset as usize);
        LineCol {
            line: line + 1,
            column: self.text[start..end.max(start)].chars().count() + 1,
        }
    }

    /// The source text a span covers.
    pub fn slice(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_and_in_characters() {
        let file = SourceFile::new("a.tf".into(), "ab\né x\n".into());
        assert_eq!(file.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(file.line_col(3), LineCol { line: 2, column: 1 });
        // `x` is byte 6 but character 3 of line 2 (é is two bytes).
        assert_eq!(file.line_col(6), LineCol { line: 2, column: 3 });
        assert_eq!(file.line_col(100), LineCol { line: 3, column: 1 });
    }
}
