//! The source excerpt a text-report finding shows: the lines its labels touch
//! and one line of context around them, each line clipped to a window around
//! what it marks.
//!
//! miette draws a snippet from whatever source it is given and pads to the
//! column of each label with a formatting width, which panics past column
//! 65,535 (a one-line JSON template). Handing it only the visible part, with
//! lines no wider than the report, keeps that out of reach and keeps a
//! minified template from printing a 70,000-character line.

use miette::{LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// Marks where a clipped line continues.
const ELLIPSIS: &str = "…";
/// Characters of a clipped line kept before the first mark on it.
const LEAD_CHARS: usize = 16;
/// The narrowest window, whatever the report width.
const MIN_LINE_CHARS: usize = 40;
/// The narrowest a label is wrapped to, however far right its underline.
const MIN_LABEL_CHARS: usize = 16;

/// One label to draw, in byte offsets of the whole file (end exclusive).
pub struct Mark {
    pub label: Option<String>,
    pub start: usize,
    pub end: usize,
    pub primary: bool,
}

/// The visible part of a file, with the file's line numbers and columns.
#[derive(Debug)]
pub struct Excerpt {
    name: String,
    text: String,
    /// The file line (0-based) of the excerpt's first line.
    first_line: usize,
    /// Per excerpt line: how far a byte column in it lies from the same
    /// column in the file (non-zero on clipped lines only).
    shifts: Vec<isize>,
}

/// A line of the file as it appears in the excerpt.
struct Window {
    /// File offsets of the line's start and end (before its line break).
    line: (usize, usize),
    /// File offsets of the part shown.
    shown: (usize, usize),
    /// Offsets in the excerpt of the line's start and of the shown part
    /// (after any leading ellipsis).
    line_at: usize,
    at: usize,
}

impl Window {
    /// A file offset on this line, in the excerpt; `None` when the line is
    /// clipped and the offset lies outside what is shown.
    fn map(&self, offset: usize) -> Option<usize> {
        let (start, end) = self.shown;
        if (start..=end).contains(&offset) {
            return Some(self.at + offset - start);
        }
        // In the line break after a line shown to its end.
        (offset > self.line.1 && end == self.line.1).then_some(self.at + end - start)
    }

    /// A file offset clamped to the shown part, in the excerpt.
    fn clamp(&self, offset: usize) -> usize {
        let (start, end) = self.shown;
        self.at + offset.clamp(start, end) - start
    }
}

/// The excerpt of `text` showing `marks`, and each mark's label placed in
/// it. Lines are clipped to fit a report `width` columns wide (keeping at
/// least [`MIN_LINE_CHARS`] characters) and label texts are wrapped to fit
/// beside their underline. A mark other than the primary one that falls
/// outside its line's window is not drawn (`None`).
pub fn excerpt(
    name: &str,
    text: &str,
    marks: &[Mark],
    width: usize,
) -> Option<(Excerpt, Vec<Option<LabeledSpan>>)> {
    let first = marks.iter().map(|m| m.start).min()?;
    let last = marks.iter().map(|m| m.end.max(m.start)).max()?;
    if last > text.len() {
        return None;
    }
    // One line of context each side, as miette is configured to show.
    let line_start = |offset: usize| text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let first_line_start = match line_start(first) {
        0 => 0,
        start => line_start(start - 1),
    };
    let last_line_end = {
        let end_of = |offset: usize| text[offset..].find('\n').map_or(text.len(), |i| offset + i);
        let end = end_of(last);
        if end < text.len() {
            end_of(end + 1)
        } else {
            end
        }
    };

    let mut excerpt = Excerpt {
        name: name.to_string(),
        text: String::new(),
        first_line: text[..first_line_start].matches('\n').count(),
        shifts: Vec::new(),
    };
    // What is left of the report's width beside miette's gutter: ` 12 │ `,
    // and when a mark spans lines, `├─▶ ` with room for a second one.
    let last_line_number =
        excerpt.first_line + text[first_line_start..last_line_end].matches('\n').count() + 1;
    let spans_lines = marks
        .iter()
        .any(|m| text[m.start..m.end.max(m.start)].contains('\n'));
    let gutter = last_line_number.to_string().len() + 4 + if spans_lines { 5 } else { 0 };
    let max_chars = width.saturating_sub(gutter).max(MIN_LINE_CHARS);
    let mut windows = Vec::new();
    let mut start = first_line_start;
    loop {
        let end = text[start..last_line_end]
            .find('\n')
            .map_or(last_line_end, |i| start + i);
        let content_end = if text[start..end].ends_with('\r') {
            end - 1
        } else {
            end
        };
        let shown = window(text, (start, content_end), marks, max_chars);
        let line_at = excerpt.text.len();
        if shown.0 > start {
            excerpt.text.push_str(ELLIPSIS);
        }
        let at = excerpt.text.len();
        excerpt.text.push_str(&text[shown.0..shown.1]);
        if shown.1 < content_end {
            excerpt.text.push_str(ELLIPSIS);
        }
        excerpt
            .shifts
            .push(shown.0 as isize - start as isize - (at - line_at) as isize);
        windows.push(Window {
            line: (start, content_end),
            shown,
            line_at,
            at,
        });
        if end >= last_line_end {
            break;
        }
        excerpt.text.push('\n');
        start = end + 1;
    }

    let window_of = |offset: usize| {
        let i = windows.partition_point(|w| w.line.0 <= offset);
        &windows[i.saturating_sub(1)]
    };
    let labels = marks
        .iter()
        .map(|mark| {
            let end = mark.end.max(mark.start);
            let (from, to) = (window_of(mark.start), window_of(end));
            let placed = match (from.map(mark.start), to.map(end)) {
                (Some(s), Some(e)) => (s, e),
                // A mark that starts before its window (a long value) keeps
                // the part shown.
                (None, Some(e)) if mark.start < from.shown.0 => (from.clamp(mark.start), e),
                (Some(s), None) => (s, to.clamp(end)),
                _ if mark.primary => (from.clamp(mark.start), to.clamp(end)),
                _ => return None,
            };
            let span = (placed.0, placed.1.max(placed.0) - placed.0);
            // miette writes a one-line label after `╰── ` below the middle
            // of its underline, a multi-line one after the gutter's `╰──── `.
            let column = if std::ptr::eq(from, to) {
                let columns = |offset: usize| excerpt.text[from.line_at..offset].chars().count();
                let start = columns(placed.0);
                (start + columns(placed.1).max(start + 1)) / 2 + 4
            } else {
                6
            };
            let room = width.saturating_sub(gutter + column).max(MIN_LABEL_CHARS);
            let label = mark.label.as_deref().map(|label| wrap(label, room));
            Some(match mark.primary {
                true => LabeledSpan::new_primary_with_span(label, span),
                false => LabeledSpan::new_with_span(label, span),
            })
        })
        .collect();
    Some((excerpt, labels))
}

/// The part of the line `(start, end)` to show: all of it when it fits,
/// else `max_chars` characters from a little before the first mark on it
/// (the primary one when it is there).
fn window(
    text: &str,
    (start, end): (usize, usize),
    marks: &[Mark],
    max_chars: usize,
) -> (usize, usize) {
    let line = &text[start..end];
    if line.chars().count() <= max_chars {
        return (start, end);
    }
    let on_line = |m: &&Mark| m.start <= end && m.end.max(m.start) >= start;
    let anchor = marks
        .iter()
        .filter(on_line)
        .find(|m| m.primary)
        .or_else(|| marks.iter().find(on_line))
        .map_or(start, |m| m.start.max(start));
    // Room for the ellipses at either end.
    let room = max_chars - 2;
    let mut from = text[start..anchor]
        .char_indices()
        .rev()
        .nth(LEAD_CHARS.saturating_sub(1))
        .map_or(start, |(i, _)| start + i);
    let mut to = advance(text, from, end, room);
    if to == end {
        // Near the line's end: fill the window leftwards instead.
        from = text[start..end]
            .char_indices()
            .rev()
            .nth(room - 1)
            .map_or(start, |(i, _)| start + i);
        to = end;
    }
    (from, to)
}

/// `text` wrapped at `columns`, its lines joined by line breaks (miette
/// draws each under the first). Words are never split.
fn wrap(text: &str, columns: usize) -> String {
    let options = textwrap::Options::new(columns)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(false);
    textwrap::wrap(text, options).join("\n")
}

/// The offset `chars` characters after `from`, at most `end`.
fn advance(text: &str, from: usize, end: usize, chars: usize) -> usize {
    text[from..end]
        .char_indices()
        .nth(chars)
        .map_or(end, |(i, _)| from + i)
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        let line = inner.line();
        let shift = self.shifts.get(line).copied().unwrap_or(0);
        // The column of the span's start, as miette counts it (bytes), in the
        // file; 0 when the contents start at a line's beginning.
        let column = match inner.column() {
            0 => 0,
            column => (column as isize + shift).max(0) as usize,
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            self.first_line + line,
            column,
            // miette counts lines from the start of the source (and decides
            // which snippets to merge by it): count the lines left out too.
            self.first_line + inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn primary(start: usize, end: usize) -> Mark {
        Mark {
            label: Some("here".into()),
            start,
            end,
            primary: true,
        }
    }

    #[test]
    fn short_lines_are_kept_whole_with_their_line_numbers() {
        let text = "a\nb = 1\nc = 22\nd\ne\n";
        let at = text.find("22").unwrap();
        let (excerpt, labels) = excerpt("f", text, &[primary(at, at + 2)], 80).unwrap();
        assert_eq!(excerpt.text, "b = 1\nc = 22\nd");
        assert_eq!(excerpt.first_line, 1);
        let span = labels[0].as_ref().unwrap().inner();
        assert_eq!(
            &excerpt.text[span.offset()..span.offset() + span.len()],
            "22"
        );
        let contents = excerpt.read_span(span, 0, 0).unwrap();
        assert_eq!((contents.line(), contents.column()), (2, 4));
    }

    #[test]
    fn a_long_line_is_clipped_around_the_mark_and_keeps_file_columns() {
        let text = format!("{{\"d\":\"{}\",\"x\":\"0.0.0.0/0\"}}", "x".repeat(70_000));
        let at = text.find("0.0.0.0/0").unwrap();
        let (excerpt, labels) = excerpt("t.json", &text, &[primary(at, at + 9)], 60).unwrap();
        assert!(excerpt.text.chars().count() <= 60, "{}", excerpt.text);
        assert!(excerpt.text.starts_with(ELLIPSIS));
        let span = labels[0].as_ref().unwrap().inner();
        assert_eq!(
            &excerpt.text[span.offset()..span.offset() + span.len()],
            "0.0.0.0/0"
        );
        let contents = excerpt.read_span(span, 0, 0).unwrap();
        assert_eq!((contents.line(), contents.column()), (0, at));
    }

    #[test]
    fn a_secondary_mark_outside_the_window_is_left_out() {
        let text = format!("v = \"{}\" x = 1", "y".repeat(500));
        let far = text.find("x = 1").unwrap();
        let marks = [
            primary(1, 2),
            Mark {
                label: None,
                start: far,
                end: far + 1,
                primary: false,
            },
        ];
        let (_, labels) = excerpt("f", &text, &marks, 50).unwrap();
        assert!(labels[0].is_some() && labels[1].is_none());
    }

    #[test]
    fn a_label_is_wrapped_to_fit_beside_its_underline() {
        let text = "  cidr_blocks = [var.ssh_cidr]\n";
        let at = text.find("var.ssh_cidr").unwrap();
        let mark = Mark {
            label: Some("Ingress to port 22 is open to 0.0.0.0/0 through a variable".into()),
            ..primary(at, at + 12)
        };
        let (excerpt, labels) = excerpt("f", text, &[mark], 60).unwrap();
        let drawn = draw(excerpt, labels);
        assert!(drawn.contains("0.0.0.0/0 through"), "{drawn}");
        assert!(drawn.lines().all(|l| l.chars().count() <= 60), "{drawn}");
        assert!(drawn.lines().filter(|l| l.contains("Ingress")).count() == 1);
    }

    #[test]
    fn a_mark_past_the_text_gives_no_excerpt() {
        assert!(excerpt("f", "abc", &[primary(2, 9)], 80).is_none());
    }

    /// Draws `excerpt` with miette as the text report does.
    fn draw(excerpt: Excerpt, labels: Vec<Option<LabeledSpan>>) -> String {
        let labels = labels.into_iter().flatten().collect();
        #[derive(Debug)]
        struct Shown(Excerpt, Vec<LabeledSpan>);
        impl std::fmt::Display for Shown {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("finding")
            }
        }
        impl std::error::Error for Shown {}
        impl miette::Diagnostic for Shown {
            fn source_code(&self) -> Option<&dyn SourceCode> {
                Some(&self.0)
            }
            fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
                Some(Box::new(self.1.clone().into_iter()))
            }
        }
        let mut out = String::new();
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
            .with_context_lines(1)
            .render_report(&mut out, &Shown(excerpt, labels))
            .unwrap();
        out
    }

    #[test]
    fn every_span_over_long_multibyte_lines_draws_within_the_width() {
        let long = "é".repeat(300);
        let text = format!("a = 1\nb = \"{long}\" # x\n\nc = \"{long}\"\r\nd = 2\n");
        let boundaries: Vec<usize> = (0..=text.len())
            .filter(|&i| text.is_char_boundary(i))
            .step_by(7)
            .collect();
        for &start in &boundaries {
            for &end in boundaries.iter().filter(|&&e| e >= start).step_by(5) {
                let marks = [
                    primary(start, end),
                    Mark {
                        label: Some("from".into()),
                        start: end,
                        end,
                        primary: false,
                    },
                ];
                let (excerpt, labels) = excerpt("f", &text, &marks, 80).unwrap();
                let drawn = draw(excerpt, labels);
                assert!(drawn.contains("here"), "{start}..{end}:\n{drawn}");
                for line in drawn
                    .lines()
                    .filter(|l| !l.contains("here") && !l.contains("from"))
                {
                    assert!(line.chars().count() <= 80, "{start}..{end}:\n{drawn}");
                }
            }
        }
    }
}
