//! A `.tf` file: parsed, lowered and evaluated as a root module, then the
//! built-in rules run on what it defines.
#![no_main]

use demarc::eval::terraform::{load_module, TerraformOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(text) = demarc_fuzz::text(data) else {
        return;
    };
    let unit = load_module(
        vec![("main.tf".into(), text.into())],
        &TerraformOptions::default(),
    );
    demarc_fuzz::check_unit(&unit);
});
