//! A CODEOWNERS file: parsed with its warnings, then asked for the owners of
//! a few paths, as attribution does.
#![no_main]

use demarc::codeowners::CodeOwners;
use libfuzzer_sys::fuzz_target;

const PATHS: [&str; 4] = [
    "main.tf",
    "infra/network/main.tf",
    "templates/app.yaml",
    ".github/CODEOWNERS",
];

fuzz_target!(|data: &[u8]| {
    let Some(text) = demarc_fuzz::text(data) else {
        return;
    };
    let (owners, warnings) = CodeOwners::parse(text, "CODEOWNERS");
    demarc_fuzz::check_located(&warnings, text);
    for path in PATHS {
        for owner in owners.owners_of(path) {
            assert!(!owner.is_empty(), "an empty owner for {path}");
        }
    }
});
