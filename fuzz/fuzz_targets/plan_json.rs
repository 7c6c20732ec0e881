//! A `terraform show -json` plan, loaded as its own unit as a scan does when
//! no configuration sits beside it.
#![no_main]

use demarc::eval::terraform::{plan::load_plan, Library, TerraformOptions};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some(text) = demarc_fuzz::text(data) else {
        return;
    };
    let options = TerraformOptions::default();
    let library = Library::new(Vec::new(), Vec::new(), &options);
    // The plan's directory is no scanned root, so nothing is read from disk.
    let path = Path::new("/nonexistent/demarc-fuzz/plan.json");
    if let Some(unit) = load_plan("plan.json".into(), text.into(), path, &library, &options) {
        demarc_fuzz::check_unit(&unit);
    }
});
