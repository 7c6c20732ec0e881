//! From syntax to resources with values: what `terraform plan` or
//! CloudFormation would see, with anything not knowable left unknown.

pub mod cloudformation;
pub mod terraform;
