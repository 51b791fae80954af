//! AWS adapters of the domain's ports, and the wiring the Lambda functions share. Nothing here
//! holds a rule: the rules are in `p3-domain`; this crate only stores, schedules and sends.
#![warn(missing_docs)]

pub mod auth;
pub mod case_files;
pub mod documents;
#[doc(hidden)]
pub mod dynamo;
pub mod edge;
pub mod files;
pub mod limit;
pub mod oidc;
pub mod pages;
pub mod report_pages;
pub mod reporting;
pub mod retention;
pub mod s3_attachments;
pub mod s3_forms;
pub mod s3_inbox;
pub mod scheduler;
pub mod sdk;
pub mod secrets;
pub mod ses;
pub mod sqs;
pub mod wiring;
