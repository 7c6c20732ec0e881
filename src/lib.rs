//! demarc: finds customer-side cloud misconfigurations in Terraform and
//! CloudFormation, and says which responsibility layer each belongs to.
//!
//! The modules follow the pipeline and depend only downward:
//! `discover` → `parse` → `eval` → `rules` → `attribution` → `report`, with
//! `scan` driving them and `cli` on top. `source`, `value`, `model` and
//! `finding` are the shared vocabulary at the bottom.
//!
//! Around a scan, for the places demarc runs (CI, pre-commit, a terminal):
//! `config` (`.demarc.yaml`), `suppress` (inline suppressions),
//! `fingerprint` and `baseline` (gate on what is new), `codeowners` and
//! `owners` (who answers for a finding), `diff` (`--changed-since`), with `repo`, `read`
//! (every file read, bounded and confined) and `date` as helpers; `fixtures`
//! runs rules' bad/good examples (the test harness and `demarc test`).
//! `postprocess` is the stage after the scan that applies CODEOWNERS, the
//! baseline and the owner filter.

pub mod attribution;
pub mod baseline;
pub mod cli;
pub mod codeowners;
pub mod compliance;
pub mod config;
pub mod date;
pub mod diff;
pub mod discover;
pub mod eval;
pub mod finding;
pub mod fingerprint;
pub mod fixtures;
pub mod model;
pub mod owners;
pub mod parse;
pub mod postprocess;
pub mod read;
pub mod repo;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod suppress;
pub mod value;
