//! A user rule file (`--rules DIR`, `rules.dirs`): read into a rule with its
//! matchers, or errors that each name a line.
#![no_main]

use demarc::rules::load::read_rule;
use demarc::source::SourceFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(text) = demarc_fuzz::text(data) else {
        return;
    };
    let file = SourceFile::new("rules/custom.yaml".into(), text.into());
    if let Err(errors) = read_rule(&file) {
        demarc_fuzz::check_located(&errors, text);
    }
});
