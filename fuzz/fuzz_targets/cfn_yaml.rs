//! A CloudFormation template in YAML: parsed, evaluated (parameters,
//! conditions, intrinsics, SAM), then the built-in rules run on it.
#![no_main]

use demarc::eval::cloudformation::{load_template, CloudFormationOptions, Syntax};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some(text) = demarc_fuzz::text(data) else {
        return;
    };
    let options = CloudFormationOptions::default();
    if let Some(unit) = load_template("template.yaml".into(), text.into(), Syntax::Yaml, &options) {
        demarc_fuzz::check_unit(&unit);
    }
});
