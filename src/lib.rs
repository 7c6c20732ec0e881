//! demarc: finds customer-side cloud misconfigurations in Terraform and
//! CloudFormation, and says which responsibility layer each belongs to.
//!
//! The modules follow the pipeline and depend only downward:
//! `discover` → `parse` → `eval` → `rules` → `attribution` → `report`, with
//! `scan` driving them and `cli` on top. `source`, `value`, `model` and
//! `finding` are the shared vocabulary at the bottom.

pub mod attribution;
pub mod cli;
pub mod discover;
pub mod eval;
pub mod finding;
pub mod model;
pub mod parse;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod value;
