//! `.demarc.yaml`: parsed, then its rule choices applied to the built-in
//! rules (selectors, severity overrides), as a scan does.
#![no_main]

use demarc::config::Config;
use demarc::rules::RuleSet;
use demarc::source::SourceFile;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some(text) = demarc_fuzz::text(data) else {
        return;
    };
    let file = SourceFile::new(".demarc.yaml".into(), text.into());
    // Paths in it are confined to the repository lexically; a directory
    // that does not exist keeps the result independent of this machine.
    let repository = Path::new("/nonexistent/demarc-fuzz");
    match Config::parse(file, repository, repository) {
        Ok(config) => {
            let mut rules = RuleSet::embedded().expect("the built-in rules load");
            if let Err(errors) = config.apply_to_rules(&mut rules) {
                demarc_fuzz::check_located(&errors, text);
            }
        }
        Err(errors) => demarc_fuzz::check_located(&errors, text),
    }
});
