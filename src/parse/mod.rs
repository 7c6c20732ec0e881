//! Parsers that keep the byte span of every value.

pub mod hcl;
pub mod json;
pub mod limits;
pub mod yaml;
