//! The rules of P3 Housing's complaints procedure and the Housing Ombudsman's Complaint
//! Handling Code, with no AWS, HTTP or database in sight. Every entry point (the local server,
//! the Lambda functions and the CLI) runs these rules through [`service::Service`] over the
//! small traits in [`ports`].
#![warn(missing_docs)]

pub mod access;
pub mod adjustments;
pub mod alert;
pub mod annual_record;
pub mod attachment;
pub mod backdating;
pub mod calendar;
pub mod case;
pub mod casefile;
pub mod complaint;
pub mod correspondence;
pub mod deadline;
pub mod decisions;
pub mod earlier_reply;
pub mod event;
pub mod host;
pub mod import;
pub mod inbox;
pub mod letter;
pub mod london;
pub mod note;
pub mod policy;
pub mod ports;
pub mod quarterly;
pub mod report;
pub mod report_period;
pub mod report_support;
pub mod resident_asks;
pub mod resident_files;
pub mod restriction;
pub mod retention;
pub mod role;
pub mod self_assessment;
pub mod service;
pub mod service_request;
pub mod service_request_review;
pub mod staff_account;
pub mod staff_files;
mod stage_request;
pub mod updates;
pub mod validation;

/// The Housing Ombudsman's contact details, stated on every final response and refusal.
pub const HOUSING_OMBUDSMAN: &str = "Housing Ombudsman Service, PO Box 152, Liverpool L33 7WQ; telephone 0300 111 3000; www.housing-ombudsman.org.uk";
