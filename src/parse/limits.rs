//! Limits that keep hostile input from crashing or hanging a scan.
//!
//! The HCL and JSON parsers are recursive descent, so a 100,000-deep nesting
//! would overflow the stack before they could report it: the depth is checked
//! on the raw text first, which costs one pass over the bytes.

/// Deepest nesting of brackets, braces and parentheses accepted in a file.
/// Real templates stay far below 50.
pub const MAX_NESTING: usize = 256;

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

/// Returns the byte offset where nesting first exceeds [`MAX_NESTING`].
/// Brackets inside double-quoted strings and comments do not count.
pub fn excessive_nesting(text: &str, comments: Comments) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
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
                    return Some(i);
                }
            }
            b']' | b'}' | b')' => depth = depth.saturating_sub(1),
            _ => {}
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
        assert_eq!(excessive_nesting(&text, Comments::None), Some(MAX_NESTING));
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let strings = format!(
            "x = \"{}\"\n# {}\n/* {} */",
            "[".repeat(1000),
            "{".repeat(1000),
            "(".repeat(1000)
        );
        assert_eq!(excessive_nesting(&strings, Comments::Hcl), None);
        let nested = format!("{}{}", "{".repeat(10), "}".repeat(10));
        assert_eq!(excessive_nesting(&nested, Comments::None), None);
    }
}
