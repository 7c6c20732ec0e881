//! What every fuzz target checks besides "no panic, no hang": each error a
//! reader reports points at a place inside the input, so the user gets a
//! file:line:col they can open, and the report stage (which indexes the
//! unit's files by these spans) cannot fail on it.

use demarc::model::{ScanError, Unit, UnitError};
use demarc::rules::RuleSet;
use demarc::source::Span;
use std::sync::OnceLock;

/// Fuzz input as the scanner sees it: files that are not UTF-8 are refused
/// before any reader runs, so they are not interesting here.
pub fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// The built-in rules, loaded once per process.
fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::embedded().expect("the built-in rules load"))
}

/// Checks a unit's errors, notes and resources, then runs the built-in rules
/// on it as a scan does and checks where their findings point.
pub fn check_unit(unit: &Unit) {
    for error in unit.errors.iter().chain(&unit.notes) {
        check_unit_error(unit, error);
    }
    for resource in &unit.resources {
        check_span(unit, resource.header, "a resource header");
    }
    let (hits, _undecided) = rules().run(unit);
    for hit in hits {
        check_span(unit, hit.witness.span, "a finding");
    }
}

fn check_unit_error(unit: &Unit, error: &UnitError) {
    let Some(span) = error.span else {
        panic!("error without a position: {error:?}");
    };
    assert_eq!(
        span.file, error.file,
        "error located in another file than its own: {error:?}"
    );
    check_span(unit, span, "an error");
}

fn check_span(unit: &Unit, span: Span, what: &str) {
    let Some(file) = unit.files.get(span.file as usize) else {
        panic!(
            "{what} points at file {} of a unit with {} files",
            span.file,
            unit.files.len()
        );
    };
    assert!(
        span.start <= span.end && span.end as usize <= file.text.len(),
        "{what} has span {span:?} outside {} ({} bytes)",
        file.display,
        file.text.len()
    );
}

/// Checks errors that readers report already located (configuration,
/// CODEOWNERS, rule files): each names a line of `text` (one past the last
/// for an error at the end of the input) and a column from 1.
pub fn check_located(errors: &[ScanError], text: &str) {
    let last_line = text.split('\n').count();
    for error in errors {
        let Some(line) = error.line else {
            panic!("error without a line: {error:?}");
        };
        assert!(
            (1..=last_line).contains(&line),
            "error on line {line} of a {last_line}-line input: {error:?}"
        );
        assert!(
            error.column.is_none_or(|column| column >= 1),
            "column counted from 0: {error:?}"
        );
    }
}
