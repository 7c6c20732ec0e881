//! Limits that keep hostile input from crashing or hanging a scan.
//!
//! The HCL and JSON parsers are recursive descent, so a 100,000-deep nesting
//! would overflow the stack before they could report it: the depth is checked
//! on the raw text first, which costs one pass over the bytes. The same pass
//! counts elements, whose parsed form weighs far more than their text.

/// Deepest nesting of brackets, braces and parentheses accepted in a file.
/// Real templates stay far below 50.
pub const MAX_NESTING: usize = 256;

/// Most elements accepted in a file, counted as the separators and openings
/// outside strings and comments (`,`, `[`, `{`, `(`, and in HCL newlines).
/// Each element costs 150-200 bytes once parsed and lowered, so 16 MiB of
/// `[0,0,…]` (8 million elements) took 1.3 GB as JSON and 1.7 GB as HCL;
/// this bounds that near 400 MB. Real files stay far below it: 16 MiB of
/// Terraform is some 500,000 lines, and a plan averages well over 8 bytes
/// per value.
pub const MAX_ELEMENTS: usize = 2_000_000;

/// Largest IaC file read; larger ones are reported, not scanned.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Which comment syntax the nesting check must skip.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Comments {
    /// JSON: no comments.
    None,
    /// HCL: `#`, `//` and `/* */`.
    Hcl,
}

/// Which limit a file's structure exceeds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Excess {
    Nesting,
    Elements,
}

impl Excess {
    pub fn message(self) -> String {
        match self {
            Excess::Nesting => format!("nesting deeper than {MAX_NESTING} levels"),
            Excess::Elements => format!("more than {MAX_ELEMENTS} elements"),
        }
    }
}

/// Returns the byte offset where nesting first exceeds [`MAX_NESTING`] or
/// the elements first exceed [`MAX_ELEMENTS`], and which. Brackets and
/// separators inside double-quoted strings and comments do not count.
pub fn excessive_structure(text: &str, comments: Comments) -> Option<(usize, Excess)> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut elements = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    // Skip the escaped character; HCL and JSON share `\`.
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'#' if comments == Comments::Hcl => i = line_end(bytes, i),
            b'/' if comments == Comments::Hcl && bytes.get(i + 1) == Some(&b'/') => {
                i = line_end(bytes, i)
            }
            b'/' if comments == Comments::Hcl && bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |p| i + 2 + p + 1);
            }
            b'[' | b'{' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some((i, Excess::Nesting));
                }
                elements += 1;
            }
            b']' | b'}' | b')' => depth = depth.saturating_sub(1),
            b',' => elements += 1,
            b'\n' if comments == Comments::Hcl => elements += 1,
            _ => {}
        }
        if elements > MAX_ELEMENTS {
            return Some((i, Excess::Elements));
        }
        i += 1;
    }
    None
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_found_at_its_offset() {
        let text = "[".repeat(100_000);
        assert_eq!(
            excessive_structure(&text, Comments::None),
            Some((MAX_NESTING, Excess::Nesting))
        );
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let strings = format!(
            "x = \"{}\"\n# {}\n/* {} */",
            "[".repeat(1000),
            "{".repeat(1000),
            "(".repeat(1000)
        );
        assert_eq!(excessive_structure(&strings, Comments::Hcl), None);
        let nested = format!("{}{}", "{".repeat(10), "}".repeat(10));
        assert_eq!(excessive_structure(&nested, Comments::None), None);
    }

    #[test]
    fn elements_past_the_limit_are_found_where_they_cross_it() {
        let list = format!("[{}]", "0,".repeat(MAX_ELEMENTS));
        // The opening bracket is the first element, each comma one more.
        let at = 1 + 2 * (MAX_ELEMENTS - 1) + 1;
        assert_eq!(
            excessive_structure(&list, Comments::None),
            Some((at, Excess::Elements))
        );
        // Separators in strings do not count; HCL newlines do.
        let quoted = format!("\"{}\"", ",".repeat(MAX_ELEMENTS + 1));
        assert_eq!(excessive_structure(&quoted, Comments::Hcl), None);
        let lines = "a = 1\n".repeat(MAX_ELEMENTS + 1);
        assert!(excessive_structure(&lines, Comments::Hcl).is_some());
        assert_eq!(excessive_structure(&lines, Comments::None), None);
    }
}
