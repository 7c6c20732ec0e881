//! What the parsers and evaluators hand to the rule engine: scan units made of
//! resources, and the errors met on the way.

use crate::source::{SourceFile, Span};
use crate::value::Node;
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Framework {
    Terraform,
    Cloudformation,
}

impl Framework {
    pub const ALL: [Framework; 2] = [Framework::Terraform, Framework::Cloudformation];

    pub fn name(self) -> &'static str {
        match self {
            Framework::Terraform => "terraform",
            Framework::Cloudformation => "cloudformation",
        }
    }
}

/// A resource (or Terraform data source) after evaluation.
#[derive(Clone, Debug)]
pub struct Resource {
    pub framework: Framework,
    /// `aws_s3_bucket`, `AWS::S3::Bucket`.
    pub resource_type: String,
    /// Terraform address (`aws_s3_bucket.logs`, `data.aws_iam_policy_document.p`)
    /// or CloudFormation logical ID.
    pub address: String,
    /// Terraform data source rather than managed resource.
    pub is_data: bool,
    /// The resource body as a map. For CloudFormation this is the whole
    /// resource entry (`Type`, `Properties`, `Condition`, `Metadata`, ...).
    pub body: Node,
    /// What a finding about something missing points at: the block header
    /// (`resource "aws_s3_bucket" "logs"`) or the logical ID key.
    pub header: Span,
    /// For a resource a transform made (SAM's `AWS::Serverless::*`): the
    /// resource the user wrote, which findings name.
    pub generated_by: Option<WrittenResource>,
}

/// A resource as written in the source, before a transform expanded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenResource {
    pub address: String,
    pub resource_type: String,
}

impl Resource {
    /// The address the user wrote: the SAM resource for one SAM generates.
    pub fn written_address(&self) -> &str {
        self.generated_by
            .as_ref()
            .map_or(&self.address, |written| &written.address)
    }
}

/// An error met while reading, parsing or evaluating input. The span, when
/// there is one, is resolved to line and column by the unit that owns it.
#[derive(Clone, Debug)]
pub struct UnitError {
    pub file: crate::source::FileId,
    pub span: Option<Span>,
    pub message: String,
}

/// One scan unit: a Terraform module directory or a CloudFormation template,
/// with its files, resources and errors.
#[derive(Debug, Default)]
pub struct Unit {
    pub files: Vec<SourceFile>,
    pub resources: Vec<Resource>,
    pub errors: Vec<UnitError>,
    /// Non-fatal messages: what was not evaluated and why (a remote module
    /// not downloaded, a module outside the scanned paths). Unlike `errors`
    /// they do not mean the input could not be scanned.
    pub notes: Vec<UnitError>,
    /// Terraform `module "NAME" { ... }` blocks of the unit's files, whole:
    /// a suppression above or inside one covers that module's findings.
    pub module_blocks: Vec<ModuleBlock>,
}

/// A `module "NAME"` block and the span of the whole block.
#[derive(Clone, Debug)]
pub struct ModuleBlock {
    pub name: String,
    pub span: Span,
}

impl Unit {
    pub fn file(&self, span: Span) -> &SourceFile {
        &self.files[span.file as usize]
    }

    pub fn resource(&self, address: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.address == address)
    }
}

/// A user-facing error, located by file path and position.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ScanError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for ScanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}
